using System.Globalization;
using System.Text;

namespace Attest.Provenance.Signing;

/// <summary>
/// The DSSE v1 pre-authentication encoding, the bytes that are actually signed:
/// <c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, lengths as ASCII decimal byte counts without leading
/// zeros (DSSE protocol.md, "Signature Definition").
/// </summary>
public static class DssePae
{
    /// <summary>Gets the length of the encoding.</summary>
    /// <param name="payloadType">The payload type.</param>
    /// <param name="payloadLength">The payload length in bytes.</param>
    /// <returns>The number of bytes <see cref="Encode(string, ReadOnlySpan{byte})"/> produces.</returns>
    public static int GetLength(string payloadType, int payloadLength)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        var typeLength = Encoding.UTF8.GetByteCount(payloadType);
        return checked(6 + 1 + DigitCount(typeLength) + 1 + typeLength + 1 + DigitCount(payloadLength) + 1 + payloadLength);
    }

    /// <summary>Encodes the payload type and payload.</summary>
    /// <param name="payloadType">The payload type, encoded as UTF-8.</param>
    /// <param name="payload">The serialized body.</param>
    /// <returns>The encoding.</returns>
    public static byte[] Encode(string payloadType, ReadOnlySpan<byte> payload)
    {
        var result = new byte[GetLength(payloadType, payload.Length)];
        Encode(payloadType, payload, result);
        return result;
    }

    /// <summary>Encodes into <paramref name="destination"/>.</summary>
    /// <param name="payloadType">The payload type, encoded as UTF-8.</param>
    /// <param name="payload">The serialized body.</param>
    /// <param name="destination">Receives the encoding; at least <see cref="GetLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int Encode(string payloadType, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (!TryEncode(payloadType, payload, destination, out var written))
        {
            throw new ArgumentException("The destination is too small.", nameof(destination));
        }

        return written;
    }

    /// <summary>Encodes into <paramref name="destination"/> if it is large enough.</summary>
    /// <param name="payloadType">The payload type, encoded as UTF-8.</param>
    /// <param name="payload">The serialized body.</param>
    /// <param name="destination">Receives the encoding.</param>
    /// <param name="bytesWritten">The number of bytes written, or zero on failure.</param>
    /// <returns>Whether the destination was large enough.</returns>
    public static bool TryEncode(string payloadType, ReadOnlySpan<byte> payload, Span<byte> destination, out int bytesWritten)
    {
        var length = GetLength(payloadType, payload.Length);
        bytesWritten = 0;
        if (destination.Length < length)
        {
            return false;
        }

        var typeLength = Encoding.UTF8.GetByteCount(payloadType);
        var w = 0;
        "DSSEv1 "u8.CopyTo(destination);
        w += 7;
        typeLength.TryFormat(destination[w..], out var n, default, CultureInfo.InvariantCulture);
        w += n;
        destination[w++] = (byte)' ';
        w += Encoding.UTF8.GetBytes(payloadType, destination[w..]);
        destination[w++] = (byte)' ';
        payload.Length.TryFormat(destination[w..], out n, default, CultureInfo.InvariantCulture);
        w += n;
        destination[w++] = (byte)' ';
        payload.CopyTo(destination[w..]);
        w += payload.Length;
        bytesWritten = w;
        return true;
    }

    private static int DigitCount(int value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
