using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Attest.Tpm.Verification.Internal;

/// <summary>
/// A checked forward reader for the little-endian UEFI structures of the TCG event log (PC Client PFP §10.2: the
/// log uses the platform's byte order, little-endian on every UEFI platform). Every read checks what remains.
/// </summary>
internal ref struct LittleEndianCursor
{
    private readonly ReadOnlySpan<byte> _buffer;

    public LittleEndianCursor(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public byte ReadByte(string field) => Take(1, field)[0];

    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public ReadOnlySpan<byte> ReadBytes(int count, string field) => Take(count, field);

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > Remaining)
        {
            Throw(field, Position, $"needs {count} bytes but only {Remaining} remain");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }

    [DoesNotReturn]
    public static void Throw(string field, int offset, string problem) =>
        throw new EventLog.TcgEventLogFormatException($"{field} at offset {offset}: {problem}.", field, offset);
}
