using System.Buffers.Text;

namespace Attest.Provenance.Internal;

/// <summary>
/// RFC 4648 §4 base64 with padding, accepted only in its canonical form (no whitespace, no URL-safe alphabet,
/// zero pad bits), so one byte string has exactly one accepted text and canonical documents deduplicate exactly.
/// </summary>
internal static class StrictBase64
{
    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        var body = text.AsSpan(0, text.Length - padding);
        foreach (var c in body)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '/')
            {
                return false;
            }
        }

        var decoded = new byte[(text.Length / 4 * 3) - padding];
        if (!Convert.TryFromBase64String(text, decoded, out var written) || written != decoded.Length)
        {
            return false;
        }

        // Non-zero pad bits decode to the same bytes; re-encoding exposes them.
        var length = Base64.GetMaxEncodedToUtf8Length(decoded.Length);
        Span<char> reencoded = length <= 1024 ? stackalloc char[length] : new char[length];
        if (!Convert.TryToBase64Chars(decoded, reencoded, out var charsWritten) ||
            !reencoded[..charsWritten].SequenceEqual(text))
        {
            return false;
        }

        bytes = decoded;
        return true;
    }
}
