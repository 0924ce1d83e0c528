using System.Buffers;
using System.Buffers.Binary;

namespace Attest.Tpm.Marshalling;

/// <summary>
/// Builds TPM 2.0 wire structures (big-endian, TPM 2.0 Part 1 §18) into a growable buffer.
/// Sized fields are written with <see cref="BeginSized"/>/<see cref="EndSized"/> so the size is patched
/// in after the contents, as TPM2B and the command header's commandSize require.
/// </summary>
public sealed class TpmWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    /// <summary>Creates a writer.</summary>
    public TpmWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    /// <summary>Bytes written so far.</summary>
    public int Length => _buffer.WrittenCount;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>Copies the bytes written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Writes one byte.</summary>
    public TpmWriter Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    /// <summary>Writes a big-endian UINT16.</summary>
    public TpmWriter UInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    /// <summary>Writes a big-endian UINT32.</summary>
    public TpmWriter UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    /// <summary>Writes a big-endian UINT64.</summary>
    public TpmWriter UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>Writes raw bytes.</summary>
    public TpmWriter Bytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
        return this;
    }

    /// <summary>Writes a TPM2B: UINT16 size then the bytes (TPM 2.0 Part 2 §10.4).</summary>
    public TpmWriter Sized(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value.Length, "A TPM2B holds at most 65,535 bytes.");
        }

        UInt16((ushort)value.Length);
        return Bytes(value);
    }

    /// <summary>Reserves a UINT16 size and returns its offset; call <see cref="EndSized"/> after the contents.</summary>
    public int BeginSized()
    {
        int at = Length;
        UInt16(0);
        return at;
    }

    /// <summary>Patches the UINT16 size reserved at <paramref name="sizeOffset"/> with the bytes written since.</summary>
    public void EndSized(int sizeOffset)
    {
        int size = Length - sizeOffset - 2;
        if (size > ushort.MaxValue)
        {
            throw new InvalidOperationException($"Sized structure of {size} bytes exceeds 65,535.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(WritableAt(sizeOffset, 2), (ushort)size);
    }

    /// <summary>Reserves a UINT32 (e.g. commandSize, authorizationSize) and returns its offset.</summary>
    public int BeginSized32()
    {
        int at = Length;
        UInt32(0);
        return at;
    }

    /// <summary>Patches a UINT32 reserved at <paramref name="sizeOffset"/> with <paramref name="value"/>.</summary>
    public void PatchUInt32(int sizeOffset, uint value) =>
        BinaryPrimitives.WriteUInt32BigEndian(WritableAt(sizeOffset, 4), value);

    private Span<byte> WritableAt(int offset, int count)
    {
        // ArrayBufferWriter exposes only read access to written data; the patch goes through the underlying memory.
        ReadOnlyMemory<byte> written = _buffer.WrittenMemory;
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(written, out ArraySegment<byte> segment) || segment.Array is null)
        {
            throw new InvalidOperationException("Writer memory is not array-backed.");
        }

        return segment.Array.AsSpan(segment.Offset + offset, count);
    }
}
