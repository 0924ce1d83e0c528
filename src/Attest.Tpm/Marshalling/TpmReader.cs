using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Attest.Tpm.Marshalling;

/// <summary>
/// A forward-only reader of TPM 2.0 wire structures (TPM 2.0 Part 1 §18: all integers big-endian).
/// Every read checks the bytes that remain before it slices, so a hostile size field can never read
/// past the buffer or cause an allocation larger than the input (CVE-2023-1017/1018 were exactly that).
/// </summary>
/// <remarks>
/// A failed read throws <see cref="TpmFormatException"/> naming the field and offset and leaves
/// <see cref="Position"/> where it was, so callers can report precisely what was wrong.
/// </remarks>
public ref struct TpmReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    public TpmReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>The unread part of the buffer.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[Position..];

    /// <summary>The bytes consumed from <paramref name="start"/> (an earlier <see cref="Position"/>) up to now.</summary>
    public readonly ReadOnlySpan<byte> ConsumedSince(int start) => _buffer[start..Position];

    /// <summary>Reads one byte.</summary>
    public byte ReadByte(string field) => Take(1, field)[0];

    /// <summary>Reads a big-endian UINT16.</summary>
    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16BigEndian(Take(2, field));

    /// <summary>Reads a big-endian UINT32.</summary>
    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, field));

    /// <summary>Reads a big-endian UINT64.</summary>
    public ulong ReadUInt64(string field) => BinaryPrimitives.ReadUInt64BigEndian(Take(8, field));

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count, string field)
    {
        if (count < 0)
        {
            ThrowFormat(field, Position, $"negative length {count}");
        }

        return Take(count, field);
    }

    /// <summary>
    /// Reads a TPM2B: a UINT16 size followed by that many bytes (TPM 2.0 Part 2 §10.4). The size is checked
    /// against the bytes that remain and against <paramref name="maxSize"/> (the structure's own bound,
    /// e.g. sizeof(TPMU_HA) for TPM2B_DIGEST) before anything is sliced.
    /// </summary>
    public ReadOnlySpan<byte> ReadSized(string field, int maxSize)
    {
        int start = Position;
        ushort size = ReadUInt16(field);
        if (size > maxSize)
        {
            Position = start;
            ThrowFormat(field, start, $"size {size} exceeds the maximum {maxSize}");
        }

        if (size > Remaining)
        {
            Position = start;
            ThrowFormat(field, start, $"size {size} exceeds the {Remaining} bytes that remain");
        }

        return Take(size, field);
    }

    /// <summary>Throws unless every byte has been consumed (trailing bytes are an error, not ignored).</summary>
    public readonly void EnsureEnd(string structure)
    {
        if (Remaining != 0)
        {
            ThrowFormat(structure, Position, $"{Remaining} trailing bytes");
        }
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining)
        {
            ThrowFormat(field, Position, $"needs {count} bytes but only {Remaining} remain");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }

    [DoesNotReturn]
    private static void ThrowFormat(string field, int offset, string problem) => TpmFormatException.Throw(field, offset, problem);
}

/// <summary>Bytes that are not a well-formed TPM 2.0 structure.</summary>
public sealed class TpmFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public TpmFormatException(string message, string field, int offset)
        : base(message)
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TpmFormatException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public TpmFormatException()
        : this("Malformed TPM structure.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>The field that could not be read.</summary>
    public string Field { get; }

    /// <summary>Its byte offset in the structure.</summary>
    public int Offset { get; }

    /// <summary>Throws "<paramref name="field"/> at offset <paramref name="offset"/>: <paramref name="problem"/>."</summary>
    [DoesNotReturn]
    internal static void Throw(string field, int offset, string problem) =>
        throw new TpmFormatException($"{field} at offset {offset}: {problem}.", field, offset);
}
