using System.Buffers;
using System.Buffers.Text;

namespace Attest.Provenance.Internal;

/// <summary>
/// RFC 4648 §4 base64 with padding, accepted only in its canonical form (no whitespace, no URL-safe alphabet, zero
/// pad bits per §3.5), so one byte string has exactly one accepted text and canonical documents deduplicate exactly.
/// </summary>
internal static class StrictBase64
{
    private static readonly SearchValues<byte> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        var ascii = text.Length <= 512 ? stackalloc byte[text.Length] : new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                return false;
            }

            ascii[i] = (byte)text[i];
        }

        return TryDecode(ascii, out bytes);
    }

    public static bool TryDecode(ReadOnlySpan<byte> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text.EndsWith("=="u8) ? 2 : text.EndsWith("="u8) ? 1 : 0;
        var body = text[..^padding];
        if (body.IndexOfAnyExcept(Alphabet) >= 0)
        {
            return false;
        }

        // RFC 4648 §3.5: the bits of the last character that padding leaves unused must be zero.
        if ((padding == 1 && (Value(body[^1]) & 0x03) != 0) || (padding == 2 && (Value(body[^1]) & 0x0F) != 0))
        {
            return false;
        }

        var decoded = new byte[(text.Length / 4 * 3) - padding];
        if (Base64.DecodeFromUtf8(text, decoded, out _, out var written) != OperationStatus.Done || written != decoded.Length)
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    private static int Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        _ => 63,
    };
}
