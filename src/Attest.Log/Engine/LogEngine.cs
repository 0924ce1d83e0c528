using System.Diagnostics;
using System.Threading.Channels;
using Attest.Log.Metrics;
using Attest.Log.Sequencing;
using Attest.Log.Storage;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Microsoft.Extensions.Logging;

namespace Attest.Log.Engine;

/// <summary>
/// The log: a RocksDB store, the sequencer that writes batches of entries together with their hash tiles, indexes and
/// tree state in one synced write, and the checkpointer that signs each new tree size after it is durable. At start-up
/// the stored tree is checked against the last signed checkpoint and the log refuses to open on any mismatch.
/// </summary>
public sealed partial class LogEngine : IEntryAppender, IAsyncDisposable
{
    internal const string TreeMetaKey = "tree";
    internal const string CheckpointMetaKey = "checkpoint";

    private readonly LogStore _store;
    private readonly LogOptions _options;
    private readonly NoteSigner _signer;
    private readonly ILogger _logger;
    private readonly TileWriter _writer;
    private readonly StoreTileReader _tiles;
    private readonly FoldedNodeCache _foldedNodes = new(1 << 16);
    private readonly Channel<long> _toSign = Channel.CreateBounded<long>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _checkpointer;
    private readonly Sequencer _sequencer;
    private volatile TreeHead _durable;
    private readonly Lock _publishLock = new();
    private volatile PublishedCheckpoint _published;
    private TaskCompletionSource _nextCheckpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _durableAt;
    private bool _disposed;

    private LogEngine(LogStore store, LogOptions options, NoteSigner signer, LogMetrics metrics, ILogger logger, TileWriter writer, SignedCheckpoint checkpoint)
    {
        _store = store;
        _options = options;
        _signer = signer;
        _logger = logger;
        _writer = writer;
        Metrics = metrics;
        _durable = new TreeHead(writer.Size, writer.ComputeRoot());
        _tiles = new StoreTileReader(store, () => _durable.Size);
        _published = new PublishedCheckpoint(checkpoint, checkpoint, 0);
        metrics.SetTreeSize(writer.Size);
        metrics.ObserveCheckpoint((long)checkpoint.Checkpoint.TreeSize, TimeSpan.Zero);
        _sequencer = new Sequencer(this, options.Sequencer, metrics);
        metrics.QueueDepth = () => _sequencer.QueueDepth;
        _sequencer.BatchCommitted += size => _toSign.Writer.TryWrite(size);
        _checkpointer = Task.Run(SignCheckpointsAsync);
    }

    /// <summary>The log's origin.</summary>
    public string Origin => _options.Origin;

    /// <summary>The note verifier key of the log (<c>origin+hash+base64</c>).</summary>
    public NoteVerifier Verifier => _signer.Verifier;

    /// <summary>The underlying store (for reads such as the builder registry).</summary>
    public LogStore Store => _store;

    /// <summary>The operational metrics.</summary>
    public LogMetrics Metrics { get; }

    /// <summary>The sequencer that orders submissions.</summary>
    public Sequencer Sequencer => _sequencer;

    /// <summary>The number of durable entries (IEntryAppender view; the next entry gets this index).</summary>
    public long Size => _writer.Size;

    /// <summary>The durable tree size and root (may be ahead of the latest checkpoint for a moment).</summary>
    public TreeHead DurableHead => _durable;

    /// <summary>
    /// The checkpoint served at <c>/checkpoint</c>: with a witness quorum configured, the latest one that quorum
    /// cosigned (or the latest signed one until any is); without, the latest signed one plus any cosignatures.
    /// </summary>
    public SignedCheckpoint Checkpoint => _published.Served;

    /// <summary>Whether <see cref="Checkpoint"/> satisfies the k-of-n witness policy (always true when k is 0).</summary>
    public bool IsCheckpointWitnessed => _published.ServedCosigners >= _options.WitnessQuorum;

    /// <summary>The latest checkpoint with only the log's signature.</summary>
    public SignedCheckpoint LogSignedCheckpoint => _published.Signed;

    /// <summary>The tree size of the latest signed checkpoint.</summary>
    public long CheckpointSize => (long)_published.Signed.Checkpoint.TreeSize;

    /// <summary>Raised (on the checkpointer thread) after each new checkpoint is signed and stored.</summary>
    public event Action<SignedCheckpoint>? CheckpointSigned;

    /// <summary>
    /// Opens the log in <see cref="LogOptions.DataDirectory"/>: checks the stored tree against the last signed checkpoint,
    /// signs a checkpoint for any durable entries not yet covered, and starts sequencing.
    /// </summary>
    /// <exception cref="LogStoreException">The store is locked, or its tree does not match the last signed checkpoint (the message says how).</exception>
    public static async Task<LogEngine> OpenAsync(LogOptions options, NoteSigner signer, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        if (!string.Equals(signer.Name, options.Origin, StringComparison.Ordinal))
        {
            throw new LogStoreException($"The log key is named '{signer.Name}' but the origin is '{options.Origin}'; the checkpoint signer's name must be the origin.");
        }

        var store = LogStore.Open(options.DataDirectory);
        try
        {
            var (writer, checkpoint) = await RecoverAsync(store, options, signer, logger, cancellationToken);
            LogMessages.Opened(logger, options.Origin, store.Directory, writer.Size, (long)checkpoint.Checkpoint.TreeSize);
            return new LogEngine(store, options, signer, new LogMetrics(), logger, writer, checkpoint);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Queues an admitted entry and completes once it is durable (201) or found to be a duplicate (200).</summary>
    /// <exception cref="SequencerException">The queue is full, the log is shutting down, or storage failed.</exception>
    public Task<AppendResult> SubmitAsync(LogEntry entry) => _sequencer.SubmitAsync(entry);

    /// <summary>Completes once a signed checkpoint covers at least <paramref name="treeSize"/> entries; returns it.</summary>
    public async Task<SignedCheckpoint> WaitForCheckpointAsync(long treeSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = Volatile.Read(ref _nextCheckpoint).Task;
            var current = _published;
            if ((long)current.Served.Checkpoint.TreeSize >= treeSize && current.ServedCosigners >= _options.WitnessQuorum)
            {
                return current.Served;
            }

            await next.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The canonical document at <paramref name="index"/> if it is durable, else null.</summary>
    public byte[]? GetEntry(long index) => index >= 0 && index < _durable.Size ? _store.GetEntry(index) : null;

    /// <summary>The index of a durable document with this SHA-256 digest, or null.</summary>
    public long? FindDuplicate(ReadOnlySpan<byte> digest) => _store.FindDuplicate(digest);

    /// <summary>Stops taking submissions, makes everything queued durable, signs a final checkpoint and closes the store.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        LogMessages.Draining(_logger, _durable.Size);
        await _sequencer.DrainAsync(cancellationToken);
        _toSign.Writer.TryComplete();
        await _checkpointer.WaitAsync(cancellationToken);
        LogMessages.ShutDown(_logger, _durable.Size, CheckpointSize);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _sequencer.DisposeAsync();
        _toSign.Writer.TryComplete();
        await _checkpointer;
        _store.Dispose();
    }

    /// <inheritdoc />
    void IEntryAppender.Append(IReadOnlyList<LogEntry> entries)
    {
        using var batch = _store.CreateBatch();
        var first = _writer.Size;
        var leaves = new MerkleHash[entries.Count];
        var builders = new Dictionary<string, BuilderRecord>(StringComparer.Ordinal);
        var searchKeys = new List<byte[]>(entries.Count * 6);
        var digests = new (byte[] Digest, long Index)[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var index = first + i;
            batch.PutDocument(index, entry.Document);
            digests[i] = (entry.Digest, index);
            foreach (var term in entry.SearchTerms)
            {
                searchKeys.Add(StoreKeys.Search(term.Kind, term.Value, index));
            }

            if (entry.RegistryChange is { } change)
            {
                var previous = builders.GetValueOrDefault(change.KeyId) ?? _store.GetBuilder(change.KeyId);
                var record = change.Revoke
                    ? (previous ?? new BuilderRecord(change.KeyId, change.PublicKey, change.Name, index, null)) with { RevokedAt = index }
                    : new BuilderRecord(change.KeyId, change.PublicKey, change.Name, index, null);
                builders[change.KeyId] = record;
                batch.PutBuilder(record);
            }

            leaves[i] = entry.LeafHash;
        }

        // The dedup digests and index keys are random; inserted in key order, RocksDB's memtable skip list reuses
        // the previous insert's position instead of searching from the top for each key.
        Array.Sort(digests, static (a, b) => a.Digest.AsSpan().SequenceCompareTo(b.Digest));
        foreach (var (digest, index) in digests)
        {
            batch.PutDigest(digest, index);
        }

        searchKeys.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        foreach (var key in searchKeys)
        {
            batch.PutSearchKey(key);
        }

        // If the write below fails the writer is ahead of the disk; the sequencer then stops for good, so nothing
        // is ever appended on top of that state (a restart recovers from the store).
        var update = _writer.AppendLeafHashes(leaves);
        foreach (var tile in update.Tiles)
        {
            batch.PutTile(tile.Path.Level, tile.Path.Index, tile.Bytes.Span);
            if (!tile.Path.IsEntries && !tile.Path.IsPartial)
            {
                batch.PutTileInterior(tile.Path.Level, tile.Path.Index, TileInterior.Compute(tile.Bytes.Span));
            }
        }

        batch.PutMeta(TreeMetaKey, _writer.TreeState.Serialize());
        _store.Commit(batch);

        Volatile.Write(ref _durableAt, Stopwatch.GetTimestamp());
        _durable = new TreeHead(update.Size, update.Root);
        Metrics.SetTreeSize(update.Size);
    }

    /// <summary>A hash tile or entry bundle, or null when the log does not have it (at that width) yet.</summary>
    public byte[]? ReadTile(TilePath path) => _tiles.Read(path);

    /// <summary>The inclusion proof of <paramref name="index"/> in the tree of <paramref name="treeSize"/> durable entries.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index or size is out of range.</exception>
    public ValueTask<MerkleHash[]> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stored = DurableSizeAtLeast(treeSize);
        return ValueTask.FromResult(ProofPlan.ForInclusion(index, treeSize).Execute(new StoreNodeReader(_store, stored, _foldedNodes)));
    }

    /// <summary>The consistency proof between two durable tree sizes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public ValueTask<MerkleHash[]> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stored = DurableSizeAtLeast(size2);
        return ValueTask.FromResult(ProofPlan.ForConsistency(size1, size2).Execute(new StoreNodeReader(_store, stored, _foldedNodes)));
    }

    /// <summary>The root hash of the tree of <paramref name="treeSize"/> durable entries.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is out of range.</exception>
    public ValueTask<MerkleHash> RootAtAsync(long treeSize, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var head = _durable;
        if (treeSize == head.Size)
        {
            return ValueTask.FromResult(head.Root);
        }

        var signed = _published.Signed.Checkpoint;
        if (treeSize == (long)signed.TreeSize)
        {
            return ValueTask.FromResult(signed.RootHash);
        }

        var stored = DurableSizeAtLeast(treeSize);
        return ValueTask.FromResult(treeSize == 0 ? TreeHasher.EmptyRoot : ProofPlan.ForRoot(treeSize).Execute(new StoreNodeReader(_store, stored, _foldedNodes))[0]);
    }

    /// <summary>The durable size, checked to cover <paramref name="size"/> (one read, so tiles and size agree).</summary>
    private long DurableSizeAtLeast(long size)
    {
        var stored = _durable.Size;
        if (size < 0 || size > stored)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Tree size {size} is not in 0..{stored} (the durable tree).");
        }

        return stored;
    }

    private async Task SignCheckpointsAsync()
    {
        await foreach (var size in _toSign.Reader.ReadAllAsync())
        {
            var head = _durable;
            if (head.Size <= CheckpointSize)
            {
                continue;
            }

            try
            {
                var signed = SignAndStore(_store, _options, _signer, head);
                Metrics.ObserveCheckpoint(head.Size, Stopwatch.GetElapsedTime(Volatile.Read(ref _durableAt)));
                lock (_publishLock)
                {
                    var current = _published;
                    Publish(_options.WitnessQuorum == 0 ? new PublishedCheckpoint(signed, signed, 0) : current with { Signed = signed });
                }

                CheckpointSigned?.Invoke(signed);
            }
#pragma warning disable CA1031 // A failed signature is retried with the next batch; the entries are already durable.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogMessages.CheckpointFailed(_logger, head.Size, ex);
            }
        }
    }

    /// <summary>Replaces the served checkpoint with one carrying witness cosignatures (same body as the signed one).</summary>
    internal void PublishCosigned(SignedCheckpoint cosigned, int cosigners)
    {
        lock (_publishLock)
        {
            var current = _published;
            var stale = cosigned.Checkpoint.TreeSize < current.Served.Checkpoint.TreeSize
                || (_options.WitnessQuorum == 0 && !cosigned.Checkpoint.Equals(current.Signed.Checkpoint));
            if (!stale)
            {
                Publish(current with { Served = cosigned, ServedCosigners = cosigners });
            }
        }
    }

    private void Publish(PublishedCheckpoint checkpoint)
    {
        _published = checkpoint;
        var previous = Interlocked.Exchange(ref _nextCheckpoint, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    private static SignedCheckpoint SignAndStore(LogStore store, LogOptions options, NoteSigner signer, TreeHead head)
    {
        // The tree this checkpoint signs is already durable, and Ed25519 note signatures are deterministic, so a
        // checkpoint lost in a crash is re-signed byte for byte from the stored tree at start-up; it need not wait
        // for its own fsync (one fsync per batch, not two).
        var checkpoint = new Checkpoint(options.Origin, (ulong)head.Size, head.Root).Sign(signer);
        store.PutMeta(CheckpointMetaKey, checkpoint.ToBytes());
        return checkpoint;
    }

    private sealed record PublishedCheckpoint(SignedCheckpoint Signed, SignedCheckpoint Served, int ServedCosigners);
}

/// <summary>A tree size and its RFC 9162 root hash.</summary>
/// <param name="Size">The number of leaves.</param>
/// <param name="Root">The root hash at that size.</param>
public sealed record TreeHead(long Size, MerkleHash Root);
