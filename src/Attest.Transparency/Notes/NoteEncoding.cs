using System.Buffers.Text;
using System.Text;

namespace Attest.Transparency.Notes;

/// <summary>Strict text primitives shared by the note, checkpoint, witness and proof-bundle parsers.</summary>
internal static class NoteEncoding
{
    /// <summary>U+2014 EM DASH followed by a space, the prefix of every signature line (c2sp.org/signed-note).</summary>
    public static ReadOnlySpan<byte> SignaturePrefix => "\u2014 "u8;

    /// <summary>
    /// Decodes standard padded base64 (RFC 4648 §4) strictly: only the alphabet and trailing '=' padding, a length that
    /// is a multiple of four, no whitespace. Returns false without writing when <paramref name="destination"/> is
    /// too small for the decoded bytes.
    /// </summary>
    public static bool TryDecodeBase64(ReadOnlySpan<byte> text, Span<byte> destination, out int written)
    {
        written = 0;
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return false;
        }

        int padding = text[^1] == (byte)'=' ? (text[^2] == (byte)'=' ? 2 : 1) : 0;
        for (int i = 0; i < text.Length - padding; i++)
        {
            if (!IsBase64Char(text[i]))
            {
                return false;
            }
        }

        int decodedLength = (text.Length / 4 * 3) - padding;
        if (decodedLength > destination.Length)
        {
            return false;
        }

        var status = Base64.DecodeFromUtf8(text, destination, out int consumed, out written);
        return status == System.Buffers.OperationStatus.Done && consumed == text.Length && written == decodedLength;
    }

    /// <summary>Upper bound of the bytes that <paramref name="base64Length"/> characters of base64 decode to.</summary>
    public static int MaxDecodedLength(int base64Length) => base64Length / 4 * 3;

    /// <summary>Decodes strict base64 into a new array; the array's size is bounded by the (already capped) input.</summary>
    public static byte[]? DecodeBase64OrNull(ReadOnlySpan<byte> text)
    {
        var buffer = new byte[MaxDecodedLength(text.Length)];
        if (!TryDecodeBase64(text, buffer, out int written))
        {
            return null;
        }

        return written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>True when <paramref name="text"/> is base64 whose decoding re-encodes to the same text.</summary>
    public static bool IsCanonicalBase64(ReadOnlySpan<byte> text, ReadOnlySpan<byte> decoded)
    {
        Span<byte> again = stackalloc byte[Base64.GetMaxEncodedToUtf8Length(decoded.Length)];
        return Base64.EncodeToUtf8(decoded, again, out _, out int n) == System.Buffers.OperationStatus.Done
            && again[..n].SequenceEqual(text);
    }

    private static bool IsBase64Char(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'+' or (byte)'/';

    /// <summary>
    /// Parses an ASCII decimal that fits in a <see cref="ulong"/>, with no sign, no whitespace and no leading zero
    /// (except "0" itself), as c2sp.org/tlog-checkpoint, tlog-witness and tlog-proof require.
    /// </summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 20 || (text[0] == (byte)'0' && text.Length > 1))
        {
            return false;
        }

        ulong result = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            ulong digit = (ulong)(b - (byte)'0');
            if (result > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            result = (result * 10) + digit;
        }

        value = result;
        return true;
    }

    /// <summary>
    /// Key names (c2sp.org/signed-note): non-empty valid UTF-8 with no Unicode white space and no '+'. Go's note
    /// package uses unicode.IsSpace, which <see cref="Rune.IsWhiteSpace"/> matches.
    /// </summary>
    public static bool IsValidKeyName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || !System.Text.Unicode.Utf8.IsValid(name))
        {
            return false;
        }

        while (!name.IsEmpty)
        {
            Rune.DecodeFromUtf8(name, out var rune, out int consumed);
            if (Rune.IsWhiteSpace(rune) || rune.Value == '+' || rune.Value < 0x20)
            {
                return false;
            }

            name = name[consumed..];
        }

        return true;
    }

    /// <inheritdoc cref="IsValidKeyName(ReadOnlySpan{byte})"/>
    public static bool IsValidKeyName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > NoteLimits.MaxKeyNameBytes)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[NoteLimits.MaxKeyNameBytes * 3];
        return IsWellFormedWithoutControls(name) && Encoding.UTF8.TryGetBytes(name, utf8, out int n)
            && n <= NoteLimits.MaxKeyNameBytes && IsValidKeyName(utf8[..n]);
    }

    /// <summary>True when <paramref name="text"/> has no lone surrogates and no character below U+0020.</summary>
    public static bool IsWellFormedWithoutControls(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x20)
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
