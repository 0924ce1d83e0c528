using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Merkle;

/// <summary>
/// A 32-byte SHA-256 value as used throughout RFC 9162 Merkle trees: leaf hashes, interior node hashes, tree roots and
/// proof elements. A value type with ordinal byte equality; the default value is 32 zero bytes.
/// </summary>
/// <remarks>
/// Stored as four 64-bit words so that equality is four comparisons and copies are register moves. The words are only
/// ever reinterpreted as bytes through <see cref="MemoryMarshal"/>, so the byte order of the machine does not matter.
/// Merkle hashes are public values, so equality is not constant-time.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct MerkleHash : IEquatable<MerkleHash>
{
    /// <summary>The length of a hash in bytes (SHA-256).</summary>
    public const int Size = 32;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    /// <summary>Creates a hash from exactly <see cref="Size"/> bytes.</summary>
    /// <param name="bytes">The 32 hash bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public MerkleHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            ThrowHelper.ThrowArgument(nameof(bytes), $"A Merkle hash is {Size} bytes, got {bytes.Length}.");
        }

        this = MemoryMarshal.Read<MerkleHash>(bytes);
    }

    /// <summary>Reads a hash from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    /// <param name="source">At least 32 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than 32 bytes.</exception>
    public static MerkleHash Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            ThrowHelper.ThrowArgument(nameof(source), $"A Merkle hash is {Size} bytes, only {source.Length} remain.");
        }

        return MemoryMarshal.Read<MerkleHash>(source);
    }

    /// <summary>Creates a hash from a span that must be exactly <see cref="Size"/> bytes long.</summary>
    /// <param name="bytes">The candidate bytes.</param>
    /// <param name="hash">The hash, or the default value when the length is wrong.</param>
    /// <returns><see langword="true"/> when <paramref name="bytes"/> is exactly 32 bytes long.</returns>
    public static bool TryCreate(ReadOnlySpan<byte> bytes, out MerkleHash hash)
    {
        if (bytes.Length != Size)
        {
            hash = default;
            return false;
        }

        hash = MemoryMarshal.Read<MerkleHash>(bytes);
        return true;
    }

    /// <summary>Copies the 32 hash bytes into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            ThrowHelper.ThrowArgument(nameof(destination), $"A Merkle hash needs {Size} bytes, got {destination.Length}.");
        }

        MemoryMarshal.Write(destination, in this);
    }

    /// <summary>Copies the hash into <paramref name="destination"/> if it has room.</summary>
    /// <param name="destination">The buffer to write to.</param>
    /// <returns><see langword="false"/> (writing nothing) when <paramref name="destination"/> is shorter than 32 bytes.</returns>
    public bool TryCopyTo(Span<byte> destination) => MemoryMarshal.TryWrite(destination, in this);

    /// <summary>Returns the 32 hash bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        MemoryMarshal.Write(bytes, in this);
        return bytes;
    }

    /// <summary>Formats the hash as standard padded base64 (44 characters), the form used in checkpoints.</summary>
    public string ToBase64()
    {
        Span<byte> bytes = stackalloc byte[Size];
        MemoryMarshal.Write(bytes, in this);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Formats the hash as 64 lowercase hexadecimal characters.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        MemoryMarshal.Write(bytes, in this);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Parses standard padded base64 that decodes to exactly 32 bytes.</summary>
    /// <param name="base64">44 base64 characters.</param>
    /// <exception cref="FormatException">The text is not base64 of exactly 32 bytes.</exception>
    public static MerkleHash FromBase64(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        if (!TryFromBase64(base64, out var hash))
        {
            ThrowHelper.ThrowFormat($"Expected standard base64 of a {Size}-byte hash (44 characters), got {base64.Length} characters that do not decode to one.");
        }

        return hash;
    }

    /// <summary>Parses canonical standard padded base64 (44 characters) that decodes to exactly 32 bytes.</summary>
    /// <param name="base64">The candidate text.</param>
    /// <param name="hash">The hash, or the default value on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryFromBase64(ReadOnlySpan<char> base64, out MerkleHash hash)
    {
        hash = default;
        // 32 bytes encode to 43 characters plus one '=' of padding; anything else cannot be a hash.
        if (base64.Length != 44)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size + 1];
        if (!Convert.TryFromBase64Chars(base64, bytes, out var written) || written != Size)
        {
            return false;
        }

        // Reject non-canonical text (non-zero padding bits, embedded whitespace) so each hash has one encoding.
        Span<char> canonical = stackalloc char[44];
        if (!Convert.TryToBase64Chars(bytes[..Size], canonical, out _) || !canonical.SequenceEqual(base64))
        {
            return false;
        }

        hash = MemoryMarshal.Read<MerkleHash>(bytes);
        return true;
    }

    /// <summary>Parses canonical standard padded base64 given as UTF-8 bytes that decodes to exactly 32 bytes.</summary>
    /// <param name="utf8Base64">The candidate UTF-8 text.</param>
    /// <param name="hash">The hash, or the default value on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryFromBase64Utf8(ReadOnlySpan<byte> utf8Base64, out MerkleHash hash)
    {
        hash = default;
        if (utf8Base64.Length != 44)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size + 1];
        if (Base64.DecodeFromUtf8(utf8Base64, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != 44 || written != Size)
        {
            return false;
        }

        Span<byte> canonical = stackalloc byte[44];
        if (Base64.EncodeToUtf8(bytes[..Size], canonical, out _, out _) != System.Buffers.OperationStatus.Done
            || !canonical.SequenceEqual(utf8Base64))
        {
            return false;
        }

        hash = MemoryMarshal.Read<MerkleHash>(bytes);
        return true;
    }

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <param name="hex">The hexadecimal text.</param>
    /// <exception cref="FormatException">The text is not 64 hexadecimal characters.</exception>
    public static MerkleHash FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!TryFromHex(hex, out var hash))
        {
            ThrowHelper.ThrowFormat($"Expected {2 * Size} hexadecimal characters of a hash, got {hex.Length} characters that are not.");
        }

        return hash;
    }

    /// <summary>Parses 64 hexadecimal characters (either case).</summary>
    /// <param name="hex">The candidate text.</param>
    /// <param name="hash">The hash, or the default value on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryFromHex(ReadOnlySpan<char> hex, out MerkleHash hash)
    {
        hash = default;
        if (hex.Length != 2 * Size)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        hash = MemoryMarshal.Read<MerkleHash>(bytes);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(MerkleHash other) =>
        _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is MerkleHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    /// <summary>Returns the lowercase hexadecimal form (see <see cref="ToHex"/>).</summary>
    public override string ToString() => ToHex();

    /// <summary>Compares two hashes byte for byte.</summary>
    public static bool operator ==(MerkleHash left, MerkleHash right) => left.Equals(right);

    /// <summary>Compares two hashes byte for byte.</summary>
    public static bool operator !=(MerkleHash left, MerkleHash right) => !left.Equals(right);
}
