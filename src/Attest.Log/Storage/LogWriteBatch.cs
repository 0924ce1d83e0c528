using System.Buffers.Binary;
using System.Text.Json;
using RocksDbSharp;

namespace Attest.Log.Storage;

/// <summary>Changes to the store that become visible together, in one synced RocksDB write (<see cref="LogStore.Commit"/>).</summary>
public sealed class LogWriteBatch : IDisposable
{
    private readonly LogStore _store;

    internal LogWriteBatch(LogStore store)
    {
        _store = store;
        Batch = new WriteBatch();
    }

    internal WriteBatch Batch { get; }

    /// <summary>The number of changes in the batch.</summary>
    public int Count => Batch.Count();

    /// <summary>Stores a document at its index together with its deduplication digest.</summary>
    public void PutEntry(long index, ReadOnlySpan<byte> document, ReadOnlySpan<byte> documentDigest)
    {
        if (documentDigest.Length != 32)
        {
            throw new ArgumentException("A document digest is 32 bytes (SHA-256).", nameof(documentDigest));
        }

        Span<byte> indexBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(indexBytes, index);
        Batch.Put(indexBytes, document, _store.Entries);
        Batch.Put(documentDigest, indexBytes, _store.Dedup);
    }

    /// <summary>Stores a document at its index (its digest goes in separately with <see cref="PutDigest"/>).</summary>
    public void PutDocument(long index, ReadOnlySpan<byte> document)
    {
        Span<byte> indexBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(indexBytes, index);
        Batch.Put(indexBytes, document, _store.Entries);
    }

    /// <summary>Stores a document's deduplication digest pointing at its index.</summary>
    public void PutDigest(ReadOnlySpan<byte> documentDigest, long index)
    {
        if (documentDigest.Length != 32)
        {
            throw new ArgumentException("A document digest is 32 bytes (SHA-256).", nameof(documentDigest));
        }

        Span<byte> indexBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(indexBytes, index);
        Batch.Put(documentDigest, indexBytes, _store.Dedup);
    }

    /// <summary>Stores (or widens) a hash tile.</summary>
    public void PutTile(int level, long tileIndex, ReadOnlySpan<byte> tile) => Batch.Put(StoreKeys.Tile(level, tileIndex), tile, _store.Tiles);

    /// <summary>Stores the interior node hashes of a full hash tile (see <see cref="LogStore.GetTileInterior"/>).</summary>
    public void PutTileInterior(int level, long tileIndex, ReadOnlySpan<byte> interior) => Batch.Put(StoreKeys.Tile(level, tileIndex), interior, _store.TileInteriors);

    /// <summary>Adds a secondary-index record pointing at <paramref name="index"/>.</summary>
    public void PutSearch(SearchKind kind, string value, long index) => Batch.Put(StoreKeys.Search(kind, value, index), ReadOnlySpan<byte>.Empty, _store.SearchIndex);

    /// <summary>Adds a secondary-index record already encoded by <see cref="StoreKeys.Search"/>.</summary>
    internal void PutSearchKey(ReadOnlySpan<byte> key) => Batch.Put(key, ReadOnlySpan<byte>.Empty, _store.SearchIndex);

    /// <summary>Creates or replaces a builder's registry record.</summary>
    public void PutBuilder(BuilderRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Batch.Put(StoreKeys.Builder(record.KeyId), JsonSerializer.SerializeToUtf8Bytes(record), _store.Builders);
    }

    /// <summary>Sets a metadata value.</summary>
    public void PutMeta(string name, ReadOnlySpan<byte> value) => Batch.Put(StoreKeys.Meta(name), value, _store.Meta);

    /// <inheritdoc />
    public void Dispose() => Batch.Dispose();
}
