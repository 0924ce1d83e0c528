using System.Diagnostics.CodeAnalysis;
using Attest.Provenance.Internal;

namespace Attest.Provenance.Json;

/// <summary>
/// The JSON Canonicalization Scheme of RFC 8785: members sorted by their UTF-16 code units, numbers in ECMAScript
/// form, strings with minimal escaping, no whitespace.
/// </summary>
/// <remarks>
/// <para>Input is parsed strictly (RFC 8259, no comments or trailing commas, exactly one value) under the limits of
/// <see cref="JsonCanonicalizationOptions"/>. Duplicate member names, invalid UTF-8 and unpaired surrogate escapes
/// are rejected (RFC 8785 §3.1, I-JSON).</para>
/// <para>Numbers: every number is read as the nearest IEEE 754 double and written per ECMA-262 <c>Number::toString</c>
/// (RFC 8785 §3.2.2.3), so <c>4.50</c> becomes <c>4.5</c> and <c>1E30</c> becomes <c>1e+30</c>. Numbers that overflow
/// the double range are rejected. An integer literal (no fraction, no exponent) must read back exactly as written:
/// every integer up to 2^53 in magnitude does; beyond that only the canonical spelling of a double is accepted (such as
/// <c>295147905179352830000</c>, so canonical output always reads back), and a literal like <c>9007199254740993</c>,
/// which would silently become <c>9007199254740992</c>, is rejected. Write such values as strings.</para>
/// </remarks>
public static class JsonCanonicalizer
{
    /// <summary>Canonicalizes a UTF-8 JSON text.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <param name="options">Limits; <see cref="JsonCanonicalizationOptions.Default"/> when null.</param>
    /// <returns>The canonical UTF-8 bytes.</returns>
    /// <exception cref="JsonCanonicalizationException">The text is not acceptable; the error says why and where.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json, JsonCanonicalizationOptions? options = null)
    {
        if (!TryCanonicalize(utf8Json, out var canonical, out var error, options))
        {
            throw new JsonCanonicalizationException(error);
        }

        return canonical;
    }

    /// <summary>Canonicalizes a UTF-8 JSON text, reporting failure as a value rather than an exception.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <param name="canonical">The canonical bytes on success.</param>
    /// <param name="error">What was wrong and where, on failure.</param>
    /// <param name="options">Limits; <see cref="JsonCanonicalizationOptions.Default"/> when null.</param>
    /// <returns>Whether the text was canonicalized.</returns>
    public static bool TryCanonicalize(
        ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out byte[]? canonical,
        [NotNullWhen(false)] out JsonCanonicalizationError? error,
        JsonCanonicalizationOptions? options = null)
    {
        options ??= JsonCanonicalizationOptions.Default;
        options.Validate();
        if (utf8Json.Length > options.MaxInputBytes)
        {
            canonical = null;
            error = new JsonCanonicalizationError(
                JsonCanonicalizationErrorCode.TooLarge,
                "$",
                options.MaxInputBytes,
                $"The JSON text is {utf8Json.Length} bytes; the limit is {options.MaxInputBytes} bytes.");
            return false;
        }

        return new CanonicalWriter(options).TryRun(utf8Json, out canonical, out error);
    }

    /// <summary>Returns whether a UTF-8 JSON text is already in canonical form.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <param name="options">Limits; <see cref="JsonCanonicalizationOptions.Default"/> when null.</param>
    /// <returns><see langword="true"/> if canonicalizing the text yields exactly the same bytes.</returns>
    public static bool IsCanonical(ReadOnlySpan<byte> utf8Json, JsonCanonicalizationOptions? options = null) =>
        TryCanonicalize(utf8Json, out var canonical, out _, options) && utf8Json.SequenceEqual(canonical);

    /// <summary>Formats a double as ECMAScript <c>Number::toString</c> does (RFC 8785 §3.2.2.3).</summary>
    /// <param name="value">A finite number.</param>
    /// <returns>The canonical number text, for example <c>1e+21</c>, <c>0.000001</c> or <c>5e-324</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite; JSON cannot represent it.</exception>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "NaN and infinities have no JSON form.");
        }

        Span<byte> buffer = stackalloc byte[EcmaScriptNumber.MaxLength];
        var length = EcmaScriptNumber.Format(value, buffer);
        return System.Text.Encoding.ASCII.GetString(buffer[..length]);
    }
}
