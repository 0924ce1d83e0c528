using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Attest.Nix.Internal;

/// <summary>Producer side of a <see cref="NarBlockRing"/>: appends NAR bytes to the current block.</summary>
internal sealed unsafe class NarBlockWriter
{
    private static readonly byte[] Zeros = new byte[8];

    private readonly NarBlockRing _ring;
    private readonly CancellationToken _cancellationToken;
    private byte[] _block;
    private byte* _pointer;
    private int _position;

    public NarBlockWriter(NarBlockRing ring, CancellationToken cancellationToken)
    {
        _ring = ring;
        _cancellationToken = cancellationToken;
        _block = ring.AcquireFree();
        _pointer = PointerOf(_block);
    }

    /// <summary>Total bytes written so far.</summary>
    public long Length { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var space = _block.Length - _position;
            if (space == 0)
            {
                Flush();
                space = _block.Length;
            }

            var count = Math.Min(space, data.Length);
            data[..count].CopyTo(_block.AsSpan(_position));
            _position += count;
            Length += count;
            data = data[count..];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteUInt64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Write(bytes);
    }

    /// <summary>Writes <c>str(s)</c>: length, bytes, zero padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteUInt64((ulong)value.Length);
        Write(value);
        WritePadding(value.Length);
    }

    public void WritePadding(long contentLength) => Write(Zeros.AsSpan(0, NarTokens.Padding(contentLength)));

    /// <summary>Free space in the current block for a direct read; flushes first if the block is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public byte* GetSpace(out int space)
    {
        if (_position == _block.Length)
        {
            Flush();
        }

        space = _block.Length - _position;
        return _pointer + _position;
    }

    /// <summary>Commits <paramref name="count"/> bytes written at <see cref="GetSpace"/>.</summary>
    public void Advance(int count)
    {
        _position += count;
        Length += count;
    }

    /// <summary>Publishes the last partial block.</summary>
    public void Finish()
    {
        if (_position > 0)
        {
            _ring.Publish(_position);
            _position = 0;
        }
    }

    private void Flush()
    {
        _ring.Publish(_position);
        _cancellationToken.ThrowIfCancellationRequested();
        _block = _ring.AcquireFree();
        _pointer = PointerOf(_block);
        _position = 0;
    }

    // Blocks come from the pinned object heap, so their address is stable.
    private static byte* PointerOf(byte[] block) =>
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));
}
