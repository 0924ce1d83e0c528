using System.Buffers.Binary;
using System.Text.Json;
using RocksDbSharp;

namespace Attest.Log.Storage;

/// <summary>
/// The log's embedded RocksDB store. One column family per kind of record (see <see cref="StoreKeys"/>); every change
/// goes through one synced <see cref="LogWriteBatch"/>, so a crash leaves either all of a batch or none of it.
/// Only one process may open a data directory at a time (RocksDB's LOCK file).
/// </summary>
public sealed class LogStore : IDisposable
{
    internal const string EntriesFamily = "entries";
    internal const string DedupFamily = "dedup";
    internal const string TilesFamily = "tiles";
    internal const string TileInteriorsFamily = "tile-interiors";
    internal const string SearchFamily = "search";
    internal const string BuildersFamily = "builders";
    internal const string MetaFamily = "meta";

    private static readonly string[] s_families = [EntriesFamily, DedupFamily, TilesFamily, TileInteriorsFamily, SearchFamily, BuildersFamily, MetaFamily];

    private readonly RocksDb _db;
    private readonly WriteOptions _synced;
    private readonly WriteOptions _unsynced = new WriteOptions().SetSync(false);
    private bool _disposed;

    private LogStore(RocksDb db, string directory)
    {
        _db = db;
        Directory = directory;
        _synced = new WriteOptions().SetSync(true);
        Entries = db.GetColumnFamily(EntriesFamily);
        Dedup = db.GetColumnFamily(DedupFamily);
        Tiles = db.GetColumnFamily(TilesFamily);
        TileInteriors = db.GetColumnFamily(TileInteriorsFamily);
        SearchIndex = db.GetColumnFamily(SearchFamily);
        Builders = db.GetColumnFamily(BuildersFamily);
        Meta = db.GetColumnFamily(MetaFamily);
    }

    /// <summary>Largest UTF-8 length of a secondary-index value.</summary>
    public const int MaxSearchValueBytes = StoreKeys.MaxSearchValueBytes;

    /// <summary>The data directory this store lives in.</summary>
    public string Directory { get; }

    internal ColumnFamilyHandle Entries { get; }

    internal ColumnFamilyHandle Dedup { get; }

    internal ColumnFamilyHandle Tiles { get; }

    internal ColumnFamilyHandle TileInteriors { get; }

    internal ColumnFamilyHandle SearchIndex { get; }

    internal ColumnFamilyHandle Builders { get; }

    internal ColumnFamilyHandle Meta { get; }

    /// <summary>Opens (creating if needed) the store in <paramref name="directory"/>.</summary>
    /// <exception cref="LogStoreException">The directory is locked by another process or is not a usable store.</exception>
    public static LogStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            .SetMaxBackgroundCompactions(1)
            .SetMaxBackgroundFlushes(1)
            // Flushes and compactions write tens of MB at a time. Left to the kernel, those pages stay dirty until its
            // writeback starts (by age or share of RAM) and can then go out in a burst that a batch's WAL fsync waits
            // behind. Syncing them every 1 MB as they are written keeps the dirty backlog small (measured: at most
            // ~1.4 MB dirty during a 70 s closed loop, against up to 120 MB without); throughput was within run-to-run
            // noise either way.
            .SetBytesPerSync(1UL << 20);
        var families = new ColumnFamilies();
        foreach (var name in s_families)
        {
            families.Add(name, FamilyOptions(name));
        }

        try
        {
            var store = new LogStore(RocksDb.Open(options, full, families), full);
            BackgroundPriority.LowerCompactionThreads();
            return store;
        }
        catch (RocksDbException ex) when (ex.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            throw new LogStoreException(
                $"The data directory '{full}' is in use by another process (is the log server running? stop it, or use the admin API instead): {ex.Message}", ex);
        }
        catch (RocksDbException ex)
        {
            throw new LogStoreException($"Cannot open the log store in '{full}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Per-family options for an append-only log whose writes are ~3 KB documents plus small random index keys.
    /// </summary>
    private static ColumnFamilyOptions FamilyOptions(string family)
    {
        var options = new ColumnFamilyOptions();
        switch (family)
        {
            case EntriesFamily:
                // Value separation: documents go to blob files at flush and are never rewritten by compaction (the
                // log never deletes or overwrites an entry, so blob garbage collection has nothing to do). The SST
                // files then hold only 8-byte keys and blob references. Each blob is LZ4-compressed once, at flush,
                // in the background (before, every compaction recompressed the documents it rewrote); against
                // uncompressed blobs this measured no CPU cost per entry and a smaller store.
                options.SetWriteBufferSize(64UL << 20);
                options.SetCompression(Compression.No);
                var native = Native.Instance;
                native.rocksdb_options_set_enable_blob_files(options.Handle, 1);
                native.rocksdb_options_set_min_blob_size(options.Handle, 512);
                native.rocksdb_options_set_blob_file_size(options.Handle, 256UL << 20);
                native.rocksdb_options_set_blob_compression_type(options.Handle, (int)Compression.Lz4);
                native.rocksdb_options_set_enable_blob_gc(options.Handle, 0);
                break;
            case DedupFamily:
                // Nearly every lookup is for a digest that is not there (a new document): bloom filters answer that
                // without touching data blocks, in the memtable as well as in the SST files. Random 32-byte digests
                // do not compress. A small memtable keeps skip-list inserts and probes within the CPU caches.
                options.SetWriteBufferSize(16UL << 20);
                options.SetCompression(Compression.No);
                options.SetMemtablePrefixBloomSizeRatio(0.1);
                Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(options.Handle, 1);
                options.SetBlockBasedTableFactory(BloomTable());
                break;
            case SearchFamily:
                // Six or so random keys per entry: a small memtable keeps the inserts cache-friendly.
                options.SetWriteBufferSize(16UL << 20);
                break;
            default:
                break;
        }

        return options;
    }

    private static BlockBasedTableOptions BloomTable()
    {
        var table = new BlockBasedTableOptions();
        table.SetFilterPolicy(BloomFilterPolicy.Create(10, false));
        table.SetWholeKeyFiltering(true);
        table.SetCacheIndexAndFilterBlocks(true);
        table.SetPinL0FilterAndIndexBlocksInCache(true);
        return table;
    }

    /// <summary>Starts a batch of changes; nothing is visible until <see cref="Commit"/>.</summary>
    public LogWriteBatch CreateBatch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new LogWriteBatch(this);
    }

    /// <summary>Writes the batch atomically and waits until it is synced to disk (fsync of the write-ahead log).</summary>
    public void Commit(LogWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _db.Write(batch.Batch, _synced);
    }

    /// <summary>The canonical document stored at <paramref name="index"/>, or null.</summary>
    public byte[]? GetEntry(long index) => _db.Get(StoreKeys.Index(index), Entries);

    /// <summary>The index of the document with this SHA-256 digest, or null if it was never logged.</summary>
    public long? FindDuplicate(ReadOnlySpan<byte> documentDigest)
    {
        if (documentDigest.Length != 32)
        {
            throw new ArgumentException("A document digest is 32 bytes (SHA-256).", nameof(documentDigest));
        }

        var value = _db.Get(documentDigest, Dedup);
        return value is { Length: 8 } ? BinaryPrimitives.ReadInt64BigEndian(value) : null;
    }

    /// <summary>The widest hash tile stored at level <paramref name="level"/>, index <paramref name="tileIndex"/>, or null.</summary>
    public byte[]? GetTile(int level, long tileIndex) => _db.Get(StoreKeys.Tile(level, tileIndex), Tiles);

    /// <summary>
    /// The interior node hashes (levels 1-7, 254 hashes) of the full hash tile at <paramref name="level"/>,
    /// <paramref name="tileIndex"/>, or null when not stored (the tile is partial, or was filled before interiors were kept).
    /// </summary>
    public byte[]? GetTileInterior(int level, long tileIndex) => _db.Get(StoreKeys.Tile(level, tileIndex), TileInteriors);

    /// <summary>A metadata value (tree state, checkpoints), or null.</summary>
    public byte[]? GetMeta(string name) => _db.Get(StoreKeys.Meta(name), Meta);

    /// <summary>Writes one metadata value on its own, synced.</summary>
    public void PutMetaSynced(string name, byte[] value)
    {
        using var batch = CreateBatch();
        batch.PutMeta(name, value);
        Commit(batch);
    }

    /// <summary>Writes one metadata value on its own without waiting for the disk (a later synced write or a clean close flushes it).</summary>
    public void PutMeta(string name, byte[] value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _db.Put(StoreKeys.Meta(name), value, Meta, _unsynced);
    }

    /// <summary>Up to <paramref name="limit"/> entry indexes with this search value, in increasing order, after <paramref name="afterIndex"/>.</summary>
    public IReadOnlyList<long> Search(SearchKind kind, string value, long afterIndex, int limit) => Walk(kind, value, afterIndex, limit, null);

    /// <summary>
    /// The indexes after <paramref name="afterIndex"/> listed under <paramref name="kind"/>/<paramref name="value"/> that
    /// are also listed under <paramref name="alsoKind"/>/<paramref name="alsoValue"/>, in log order, at most
    /// <paramref name="limit"/>. The first list is walked and the second probed, so the first should be the shorter one.
    /// </summary>
    public IReadOnlyList<long> SearchBoth(SearchKind kind, string value, SearchKind alsoKind, string alsoValue, long afterIndex, int limit)
    {
        var alsoPrefix = StoreKeys.SearchPrefix(alsoKind, alsoValue);
        var probe = new byte[alsoPrefix.Length + 8];
        alsoPrefix.CopyTo(probe, 0);
        return Walk(kind, value, afterIndex, limit, indexBytes =>
        {
            indexBytes.CopyTo(probe.AsSpan(alsoPrefix.Length));
            return _db.Get(probe, SearchIndex) is not null;
        });
    }

    // Walks the index of kind/value in log order after afterIndex, keeping at most limit indexes that keep accepts
    // (given the 8-byte big-endian index of the key).
    private List<long> Walk(SearchKind kind, string value, long afterIndex, int limit, KeepIndex? keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var prefix = StoreKeys.SearchPrefix(kind, value);
        var result = new List<long>();
        using var iterator = _db.NewIterator(SearchIndex);
        for (iterator.Seek(StoreKeys.Search(kind, value, afterIndex < 0 ? 0 : checked(afterIndex + 1))); iterator.Valid() && result.Count < limit; iterator.Next())
        {
            var key = iterator.Key();
            if (key.Length != prefix.Length + 8 || !key.AsSpan(0, prefix.Length).SequenceEqual(prefix))
            {
                break;
            }

            var index = key.AsSpan(prefix.Length);
            if (keep is null || keep(index))
            {
                result.Add(StoreKeys.ReadIndex(index));
            }
        }

        return result;
    }

    private delegate bool KeepIndex(ReadOnlySpan<byte> index);

    /// <summary>The registry record of a builder key, or null if it was never registered.</summary>
    public BuilderRecord? GetBuilder(string keyId)
    {
        var value = _db.Get(StoreKeys.Builder(keyId), Builders);
        return value is null ? null : JsonSerializer.Deserialize<BuilderRecord>(value);
    }

    /// <summary>Every builder the registry has known, active or revoked, ordered by key id.</summary>
    public IReadOnlyList<BuilderRecord> ListBuilders()
    {
        var result = new List<BuilderRecord>();
        using var iterator = _db.NewIterator(Builders);
        for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
        {
            var record = JsonSerializer.Deserialize<BuilderRecord>(iterator.Value());
            if (record is not null)
            {
                result.Add(record);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _db.Dispose();
    }
}
