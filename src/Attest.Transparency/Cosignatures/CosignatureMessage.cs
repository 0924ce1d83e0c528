using System.Buffers.Text;

namespace Attest.Transparency.Cosignatures;

/// <summary>The Ed25519 cosignature signed message (c2sp.org/tlog-cosignature, "Ed25519 signed message").</summary>
internal static class CosignatureMessage
{
    /// <summary>Timestamps must not exceed 2^63-1 (c2sp.org/tlog-cosignature, "Format").</summary>
    public const ulong MaxTimestamp = long.MaxValue;

    /// <summary>Payload after the key ID: 8-byte big-endian timestamp, then the 64-byte Ed25519 signature.</summary>
    public const int PayloadSize = 8 + 64;

    private static ReadOnlySpan<byte> Header => "cosignature/v1\ntime "u8;

    /// <summary>
    /// Writes <c>cosignature/v1\ntime &lt;t&gt;\n</c> followed by the checkpoint text into a new array (its size comes
    /// from the caller's already validated text, not from outside input).
    /// </summary>
    public static byte[] Build(ulong timestamp, ReadOnlySpan<byte> text)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(timestamp, digits, out int digitCount);
        var message = new byte[Header.Length + digitCount + 1 + text.Length];
        Header.CopyTo(message);
        digits[..digitCount].CopyTo(message.AsSpan(Header.Length));
        message[Header.Length + digitCount] = (byte)'\n';
        text.CopyTo(message.AsSpan(Header.Length + digitCount + 1));
        return message;
    }
}
