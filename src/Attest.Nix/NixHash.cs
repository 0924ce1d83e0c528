using System.Buffers.Text;
using System.Security.Cryptography;

namespace Attest.Nix;

/// <summary>
/// A hash as Nix writes it: an algorithm and a digest, formatted as <c>sha256:&lt;nix32&gt;</c> (Nix's default),
/// <c>sha256:&lt;hex&gt;</c>, <c>sha256:&lt;base64&gt;</c> or SRI <c>sha256-&lt;base64&gt;</c>.
/// </summary>
/// <remarks>
/// Parsing follows Nix's <c>Hash::parseAny</c>: after the <c>algo:</c> prefix the encoding is recognised by its
/// length (hex = 2n, nix32 = ceil(8n/5), base64 = 4 ceil(n/3) characters for an n-byte digest); after an
/// <c>algo-</c> prefix only base64 is accepted. Hex is accepted in either case and written in lower case. The
/// default value has no algorithm and an empty digest (<see cref="IsEmpty"/>).
/// </remarks>
public readonly struct NixHash : IEquatable<NixHash>, ISpanFormattable
{
    private readonly byte[]? _digest;

    /// <summary>Creates a hash from an algorithm and a digest of the right size.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="digest">The digest; copied.</param>
    /// <exception cref="ArgumentException">The digest size does not match the algorithm.</exception>
    public NixHash(NixHashAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        var size = GetDigestSize(algorithm);
        if (digest.Length != size)
        {
            throw new ArgumentException(
                $"A {GetAlgorithmName(algorithm)} digest is {size} bytes, not {digest.Length}.", nameof(digest));
        }

        Algorithm = algorithm;
        _digest = digest.ToArray();
    }

    private NixHash(NixHashAlgorithm algorithm, byte[] digest)
    {
        Algorithm = algorithm;
        _digest = digest;
    }

    /// <summary>The algorithm; zero for the default value.</summary>
    public NixHashAlgorithm Algorithm { get; }

    /// <summary>The digest bytes; empty for the default value.</summary>
    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>Whether this is the default (unset) value.</summary>
    public bool IsEmpty => _digest is null;

    /// <summary>Computes the SHA-256 hash of <paramref name="data"/>.</summary>
    /// <param name="data">The data.</param>
    /// <returns>The hash.</returns>
    public static NixHash ComputeSha256(ReadOnlySpan<byte> data) => new(NixHashAlgorithm.Sha256, SHA256.HashData(data));

    /// <summary>Wraps a SHA-256 digest.</summary>
    /// <param name="digest">32 bytes; copied.</param>
    /// <returns>The hash.</returns>
    public static NixHash FromSha256(ReadOnlySpan<byte> digest) => new(NixHashAlgorithm.Sha256, digest);

    /// <summary>Gets the digest size in bytes of <paramref name="algorithm"/>.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <returns>16, 20, 32 or 64.</returns>
    public static int GetDigestSize(NixHashAlgorithm algorithm) => algorithm switch
    {
        NixHashAlgorithm.Md5 => 16,
        NixHashAlgorithm.Sha1 => 20,
        NixHashAlgorithm.Sha256 => 32,
        NixHashAlgorithm.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown hash algorithm."),
    };

    /// <summary>Gets Nix's name of <paramref name="algorithm"/> (<c>md5</c>, <c>sha1</c>, <c>sha256</c>, <c>sha512</c>).</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <returns>The name.</returns>
    public static string GetAlgorithmName(NixHashAlgorithm algorithm) => algorithm switch
    {
        NixHashAlgorithm.Md5 => "md5",
        NixHashAlgorithm.Sha1 => "sha1",
        NixHashAlgorithm.Sha256 => "sha256",
        NixHashAlgorithm.Sha512 => "sha512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown hash algorithm."),
    };

    /// <summary>Parses Nix's name of an algorithm (case-sensitive, as Nix).</summary>
    /// <param name="name">The name, such as <c>sha256</c>.</param>
    /// <param name="algorithm">The algorithm on success.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParseAlgorithm(ReadOnlySpan<char> name, out NixHashAlgorithm algorithm)
    {
        algorithm = name switch
        {
            "md5" => NixHashAlgorithm.Md5,
            "sha1" => NixHashAlgorithm.Sha1,
            "sha256" => NixHashAlgorithm.Sha256,
            "sha512" => NixHashAlgorithm.Sha512,
            _ => 0,
        };
        return algorithm != 0;
    }

    /// <summary>
    /// Parses a hash that names its algorithm: <c>algo:&lt;nix32|hex|base64&gt;</c> or SRI <c>algo-&lt;base64&gt;</c>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="NixFormatException">The text is not such a hash.</exception>
    public static NixHash Parse(ReadOnlySpan<char> text)
    {
        var error = TryParseCore(text, null, out var hash);
        return error is null ? hash : throw new NixFormatException(error);
    }

    /// <summary>Parses a hash that names its algorithm; see <see cref="Parse(ReadOnlySpan{char})"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="hash">The hash on success.</param>
    /// <returns>Whether the text is such a hash.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out NixHash hash) => TryParseCore(text, null, out hash) is null;

    /// <summary>
    /// Parses a hash of a known algorithm, with or without a prefix: a bare nix32, hex or base64 digest, or any of the
    /// prefixed forms provided the prefix names <paramref name="algorithm"/>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="algorithm">The expected algorithm.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="NixFormatException">The text is not a hash of that algorithm.</exception>
    public static NixHash Parse(ReadOnlySpan<char> text, NixHashAlgorithm algorithm)
    {
        _ = GetDigestSize(algorithm);
        var error = TryParseCore(text, algorithm, out var hash);
        return error is null ? hash : throw new NixFormatException(error);
    }

    /// <summary>Parses a hash of a known algorithm; see <see cref="Parse(ReadOnlySpan{char}, NixHashAlgorithm)"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="algorithm">The expected algorithm.</param>
    /// <param name="hash">The hash on success.</param>
    /// <returns>Whether the text is a hash of that algorithm.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, NixHashAlgorithm algorithm, out NixHash hash)
    {
        _ = GetDigestSize(algorithm);
        return TryParseCore(text, algorithm, out hash) is null;
    }

    /// <summary>Formats as <c>algo:&lt;nix32&gt;</c>, Nix's default (narinfo, <c>nix-store -q --hash</c>).</summary>
    /// <returns>The text, or an empty string for the default value.</returns>
    public override string ToString() => ToString(NixHashEncoding.Nix32, includeAlgorithm: true);

    /// <summary>Formats the hash in <paramref name="encoding"/>.</summary>
    /// <param name="encoding">The encoding.</param>
    /// <param name="includeAlgorithm">
    /// Whether to prefix <c>algo:</c>; ignored for <see cref="NixHashEncoding.Sri"/>, which always has <c>algo-</c>.
    /// </param>
    /// <returns>The text, or an empty string for the default value.</returns>
    public string ToString(NixHashEncoding encoding, bool includeAlgorithm)
    {
        if (_digest is null)
        {
            return string.Empty;
        }

        var prefix = encoding == NixHashEncoding.Sri || includeAlgorithm ? GetAlgorithmName(Algorithm).Length + 1 : 0;
        var length = prefix + GetEncodedLength(encoding, _digest.Length);
        return string.Create(length, (this, encoding, includeAlgorithm), static (span, state) =>
            state.Item1.FormatCore(span, state.encoding, state.includeAlgorithm));
    }

    /// <summary>Formats as SRI <c>algo-&lt;base64&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public string ToSri() => ToString(NixHashEncoding.Sri, includeAlgorithm: true);

    /// <summary>Formats the digest alone as lower-case hex (the in-toto/SLSA digest form).</summary>
    /// <returns>The hex digest.</returns>
    public string ToHex() => ToString(NixHashEncoding.Base16, includeAlgorithm: false);

    /// <summary>Formats the digest alone in nix32.</summary>
    /// <returns>The nix32 digest.</returns>
    public string ToNix32() => ToString(NixHashEncoding.Nix32, includeAlgorithm: false);

    /// <inheritdoc/>
    /// <remarks>Formats: <c>null</c>/<c>""</c>/<c>n</c> nix32, <c>x</c> hex, <c>b</c> base64, <c>s</c> SRI; all prefixed.</remarks>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString(ParseFormat(format), true);

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        var encoding = ParseFormat(format);
        if (_digest is null)
        {
            charsWritten = 0;
            return true;
        }

        var length = GetAlgorithmName(Algorithm).Length + 1 + GetEncodedLength(encoding, _digest.Length);
        if (destination.Length < length)
        {
            charsWritten = 0;
            return false;
        }

        FormatCore(destination[..length], encoding, includeAlgorithm: true);
        charsWritten = length;
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(NixHash other) =>
        Algorithm == other.Algorithm && Digest.SequenceEqual(other.Digest);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NixHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.AddBytes(Digest);
        return hash.ToHashCode();
    }

    /// <summary>Compares two hashes for equality of algorithm and digest.</summary>
    /// <param name="left">The first hash.</param>
    /// <param name="right">The second hash.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(NixHash left, NixHash right) => left.Equals(right);

    /// <summary>Compares two hashes for inequality.</summary>
    /// <param name="left">The first hash.</param>
    /// <param name="right">The second hash.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(NixHash left, NixHash right) => !left.Equals(right);

    private static NixHashEncoding ParseFormat(ReadOnlySpan<char> format) => format switch
    {
        "" or "n" => NixHashEncoding.Nix32,
        "x" => NixHashEncoding.Base16,
        "b" => NixHashEncoding.Base64,
        "s" => NixHashEncoding.Sri,
        _ => throw new FormatException($"Unknown NixHash format '{format}'; use n, x, b or s."),
    };

    private static int GetEncodedLength(NixHashEncoding encoding, int size) => encoding switch
    {
        NixHashEncoding.Nix32 => Nix32.GetEncodedLength(size),
        NixHashEncoding.Base16 => size * 2,
        NixHashEncoding.Base64 or NixHashEncoding.Sri => Base64.GetMaxEncodedToUtf8Length(size),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown hash encoding."),
    };

    private void FormatCore(Span<char> destination, NixHashEncoding encoding, bool includeAlgorithm)
    {
        var digest = _digest!;
        var position = 0;
        if (encoding == NixHashEncoding.Sri || includeAlgorithm)
        {
            var name = GetAlgorithmName(Algorithm);
            name.CopyTo(destination);
            position = name.Length;
            destination[position++] = encoding == NixHashEncoding.Sri ? '-' : ':';
        }

        var rest = destination[position..];
        switch (encoding)
        {
            case NixHashEncoding.Nix32:
                Nix32.Encode(digest, rest);
                break;
            case NixHashEncoding.Base16:
                Convert.TryToHexStringLower(digest, rest, out _);
                break;
            default:
                Convert.TryToBase64Chars(digest, rest, out _);
                break;
        }
    }

    private static string? TryParseCore(ReadOnlySpan<char> text, NixHashAlgorithm? expected, out NixHash hash)
    {
        hash = default;
        var separator = text.IndexOfAny(':', '-');
        NixHashAlgorithm algorithm;
        var sri = false;
        ReadOnlySpan<char> body;
        if (separator >= 0 && TryParseAlgorithm(text[..separator], out var named))
        {
            if (expected is { } e && e != named)
            {
                return $"Expected a {GetAlgorithmName(e)} hash, got '{text[..separator]}' in '{Truncate(text)}'.";
            }

            algorithm = named;
            sri = text[separator] == '-';
            body = text[(separator + 1)..];
        }
        else if (expected is { } e)
        {
            algorithm = e;
            body = text;
        }
        else
        {
            return separator >= 0
                ? $"Unknown hash algorithm '{Truncate(text[..separator])}' in '{Truncate(text)}'."
                : $"Hash '{Truncate(text)}' does not name its algorithm (expected 'sha256:...' or 'sha256-...').";
        }

        var size = GetDigestSize(algorithm);
        var digest = new byte[size];
        bool ok;
        if (sri)
        {
            ok = body.Length == Base64.GetMaxEncodedToUtf8Length(size) && TryDecodeBase64(body, digest);
        }
        else if (body.Length == size * 2)
        {
            ok = Convert.FromHexString(body, digest, out _, out var written) == System.Buffers.OperationStatus.Done
                && written == size;
        }
        else if (body.Length == Nix32.GetEncodedLength(size))
        {
            ok = Nix32.TryDecode(body, digest, out _);
        }
        else if (body.Length == Base64.GetMaxEncodedToUtf8Length(size))
        {
            ok = TryDecodeBase64(body, digest);
        }
        else
        {
            return $"A {GetAlgorithmName(algorithm)} hash has {size * 2} hex, {Nix32.GetEncodedLength(size)} nix32 or "
                + $"{Base64.GetMaxEncodedToUtf8Length(size)} base64 characters, not {body.Length}, in '{Truncate(text)}'.";
        }

        if (!ok)
        {
            return $"Invalid {(sri ? "SRI base64" : "digest")} characters in {GetAlgorithmName(algorithm)} hash '{Truncate(text)}'.";
        }

        hash = new NixHash(algorithm, digest);
        return null;
    }

    private static bool TryDecodeBase64(ReadOnlySpan<char> body, byte[] digest)
    {
        // Base64 of an n-byte digest is 4*ceil(n/3) characters; only canonical padding is accepted.
        Span<byte> scratch = stackalloc byte[66];
        if (!Convert.TryFromBase64Chars(body, scratch, out var written) || written != digest.Length)
        {
            return false;
        }

        scratch[..written].CopyTo(digest);
        Span<char> again = stackalloc char[body.Length];
        return Convert.TryToBase64Chars(digest, again, out var chars) && chars == body.Length && again.SequenceEqual(body);
    }

    private static string Truncate(ReadOnlySpan<char> text) =>
        text.Length <= 140 ? text.ToString() : string.Concat(text[..140], "...");
}
