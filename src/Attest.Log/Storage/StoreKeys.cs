using System.Buffers.Binary;
using System.Text;

namespace Attest.Log.Storage;

/// <summary>The key schema of the log's RocksDB column families; every integer is big-endian so keys sort numerically.</summary>
internal static class StoreKeys
{
    /// <summary>Largest UTF-8 length of a secondary-index value (a store path is at most 211 bytes; this leaves room).</summary>
    public const int MaxSearchValueBytes = 1024;

    public static byte[] Index(long index)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, index);
        return key;
    }

    public static long ReadIndex(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key);

    /// <summary>tiles: level (1 byte) || tile index (8 bytes). The value is the widest tile written so far.</summary>
    public static byte[] Tile(int level, long tileIndex)
    {
        var key = new byte[9];
        key[0] = checked((byte)level);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), tileIndex);
        return key;
    }

    /// <summary>search: kind (1 byte) || UTF-8 length (2 bytes) || value || entry index (8 bytes).</summary>
    public static byte[] Search(SearchKind kind, string value, long index)
    {
        var prefix = SearchPrefix(kind, value);
        var key = new byte[prefix.Length + 8];
        prefix.CopyTo(key, 0);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(prefix.Length), index);
        return key;
    }

    public static byte[] SearchPrefix(SearchKind kind, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > MaxSearchValueBytes)
        {
            throw new ArgumentException($"A search value is at most {MaxSearchValueBytes} UTF-8 bytes; this one has {length}.", nameof(value));
        }

        var key = new byte[3 + length];
        key[0] = (byte)kind;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)length);
        Encoding.UTF8.GetBytes(value, key.AsSpan(3));
        return key;
    }

    public static byte[] Meta(string name) => Encoding.UTF8.GetBytes(name);

    public static byte[] Builder(string keyId) => Encoding.UTF8.GetBytes(keyId);
}
