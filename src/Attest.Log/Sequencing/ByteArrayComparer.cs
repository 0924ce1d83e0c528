using System.Buffers.Binary;

namespace Attest.Log.Sequencing;

/// <summary>Compares byte arrays by content; the hash is the first 4 bytes, enough for SHA-256 digests.</summary>
internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteArrayComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => obj.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(obj) : HashCode.Combine(obj.Length);
}
