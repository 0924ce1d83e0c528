using System.Diagnostics.CodeAnalysis;

namespace Attest.Nix;

/// <summary>
/// Nix's base-32 encoding ("nix32"), used for store path hash parts and <c>sha256:&lt;nix32&gt;</c> hashes.
/// </summary>
/// <remarks>
/// The alphabet is <c>0123456789abcdfghijklmnpqrsvwxyz</c> (no e, o, u, t). Unlike RFC 4648 base32, Nix emits the
/// most significant 5-bit group first while numbering bits from the least significant end of the byte array:
/// character <c>k</c> (from the left) of an encoding of length <c>L</c> holds bits <c>5(L-1-k)</c> to
/// <c>5(L-1-k)+4</c> of the input read as a little-endian bit string. Decoding is strict: only the 32 alphabet
/// characters are accepted and bits beyond the byte length must be zero, so every byte string has exactly one
/// encoding.
/// </remarks>
public static class Nix32
{
    /// <summary>The 32 characters of Nix's base-32 alphabet, in digit order.</summary>
    public const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    private static readonly sbyte[] DigitValues = BuildDigitValues();

    /// <summary>Gets the number of characters needed to encode <paramref name="byteCount"/> bytes.</summary>
    /// <param name="byteCount">Number of bytes; must not be negative.</param>
    /// <returns><c>ceil(8 * byteCount / 5)</c>; zero for zero bytes.</returns>
    public static int GetEncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteCount, int.MaxValue / 8);
        return byteCount == 0 ? 0 : ((byteCount * 8) - 1) / 5 + 1;
    }

    /// <summary>
    /// Gets the number of bytes a valid encoding of <paramref name="charCount"/> characters decodes to, or -1 when no
    /// byte string encodes to that many characters (for example 2, 5 or 9 characters).
    /// </summary>
    /// <param name="charCount">Number of characters; must not be negative.</param>
    /// <returns>The decoded byte count, or -1.</returns>
    public static int GetDecodedLength(int charCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(charCount);
        var bytes = (int)((long)charCount * 5 / 8);
        return GetEncodedLength(bytes) == charCount ? bytes : -1;
    }

    /// <summary>Encodes <paramref name="data"/> as a nix32 string.</summary>
    /// <param name="data">The bytes to encode.</param>
    /// <returns>The encoding, <see cref="GetEncodedLength"/> characters long.</returns>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        var length = GetEncodedLength(data.Length);
        if (length <= 256)
        {
            Span<char> buffer = stackalloc char[length];
            EncodeCore(data, buffer);
            return new string(buffer);
        }

        var chars = new char[length];
        EncodeCore(data, chars);
        return new string(chars);
    }

    /// <summary>Encodes <paramref name="data"/> into <paramref name="destination"/>.</summary>
    /// <param name="data">The bytes to encode.</param>
    /// <param name="destination">Receives the encoding; must hold <see cref="GetEncodedLength"/> characters.</param>
    /// <returns>The number of characters written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int Encode(ReadOnlySpan<byte> data, Span<char> destination)
    {
        if (!TryEncode(data, destination, out var written))
        {
            throw new ArgumentException(
                $"Destination holds {destination.Length} characters; {GetEncodedLength(data.Length)} are needed.",
                nameof(destination));
        }

        return written;
    }

    /// <summary>Encodes <paramref name="data"/> into <paramref name="destination"/> if it is large enough.</summary>
    /// <param name="data">The bytes to encode.</param>
    /// <param name="destination">Receives the encoding.</param>
    /// <param name="charsWritten">The number of characters written, or zero on failure.</param>
    /// <returns><see langword="false"/> if <paramref name="destination"/> is too small.</returns>
    public static bool TryEncode(ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten)
    {
        var length = GetEncodedLength(data.Length);
        if (destination.Length < length)
        {
            charsWritten = 0;
            return false;
        }

        EncodeCore(data, destination[..length]);
        charsWritten = length;
        return true;
    }

    /// <summary>Decodes a nix32 string.</summary>
    /// <param name="encoded">The encoding.</param>
    /// <returns>The decoded bytes.</returns>
    /// <exception cref="FormatException">The text is not a canonical nix32 encoding.</exception>
    public static byte[] Decode(ReadOnlySpan<char> encoded)
    {
        var length = GetDecodedLength(encoded.Length);
        if (length < 0)
        {
            throw new FormatException($"A nix32 string cannot be {encoded.Length} characters long.");
        }

        var result = new byte[length];
        var error = DecodeCore(encoded, result);
        if (error >= 0)
        {
            throw new FormatException(DescribeError(encoded, error));
        }

        return result;
    }

    /// <summary>Decodes a nix32 string into <paramref name="destination"/>.</summary>
    /// <param name="encoded">The encoding.</param>
    /// <param name="destination">Receives the bytes; must hold <see cref="GetDecodedLength"/> bytes.</param>
    /// <param name="bytesWritten">The number of bytes written, or zero on failure.</param>
    /// <returns>
    /// <see langword="false"/> if the text is not a canonical nix32 encoding or <paramref name="destination"/> is too
    /// small; <paramref name="destination"/> may then hold partial output.
    /// </returns>
    public static bool TryDecode(ReadOnlySpan<char> encoded, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var length = GetDecodedLength(encoded.Length);
        if (length < 0 || destination.Length < length)
        {
            return false;
        }

        if (DecodeCore(encoded, destination[..length]) >= 0)
        {
            return false;
        }

        bytesWritten = length;
        return true;
    }

    /// <summary>Returns whether <paramref name="encoded"/> is a canonical nix32 encoding of some byte string.</summary>
    /// <param name="encoded">The text to check.</param>
    /// <returns><see langword="true"/> if <see cref="Decode"/> would succeed.</returns>
    public static bool IsValid(ReadOnlySpan<char> encoded)
    {
        var length = GetDecodedLength(encoded.Length);
        if (length < 0)
        {
            return false;
        }

        Span<byte> scratch = length <= 256 ? stackalloc byte[length] : new byte[length];
        return DecodeCore(encoded, scratch) < 0;
    }

    /// <summary>Returns whether <paramref name="c"/> is one of the 32 nix32 alphabet characters.</summary>
    /// <param name="c">The character.</param>
    /// <returns><see langword="true"/> for an alphabet character.</returns>
    public static bool IsNix32Char(char c) => c < 128 && DigitValues[c] >= 0;

    private static void EncodeCore(ReadOnlySpan<byte> data, Span<char> destination)
    {
        var length = destination.Length;
        for (var n = length - 1; n >= 0; n--)
        {
            var b = n * 5;
            var i = b / 8;
            var j = b % 8;
            var c = data[i] >> j;
            if (i + 1 < data.Length)
            {
                c |= data[i + 1] << (8 - j);
            }

            destination[length - 1 - n] = Alphabet[c & 0x1f];
        }
    }

    // Returns -1 on success, otherwise the index of the offending character (or encoded.Length for a final
    // character whose high bits overflow the byte length).
    private static int DecodeCore(ReadOnlySpan<char> encoded, Span<byte> destination)
    {
        destination.Clear();
        var length = encoded.Length;
        for (var n = 0; n < length; n++)
        {
            var c = encoded[length - n - 1];
            int digit = c < 128 ? DigitValues[c] : -1;
            if (digit < 0)
            {
                return length - n - 1;
            }

            var b = n * 5;
            var i = b / 8;
            var j = b % 8;
            destination[i] |= unchecked((byte)(digit << j));
            var carry = digit >> (8 - j);
            if (i + 1 < destination.Length)
            {
                destination[i + 1] |= (byte)carry;
            }
            else if (carry != 0)
            {
                // The leading character carries bits past the end of the byte string: not canonical.
                return length - n - 1 + length;
            }
        }

        return -1;
    }

    [SuppressMessage("Globalization", "CA1305", Justification = "Integers and ASCII only.")]
    private static string DescribeError(ReadOnlySpan<char> encoded, int error)
    {
        if (error >= encoded.Length)
        {
            var at = error - encoded.Length;
            return $"The nix32 character '{encoded[at]}' at offset {at} sets bits beyond the {GetDecodedLength(encoded.Length)}-byte value.";
        }

        var c = encoded[error];
        return c is >= ' ' and <= '~'
            ? $"Invalid nix32 character '{c}' at offset {error}."
            : $"Invalid nix32 character U+{(int)c:X4} at offset {error}.";
    }

    private static sbyte[] BuildDigitValues()
    {
        var values = new sbyte[128];
        Array.Fill(values, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (sbyte)i;
        }

        return values;
    }
}
