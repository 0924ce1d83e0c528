using Attest.Provenance.Attestations;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Monitoring;

/// <summary>
/// Follows one log through its static tile API and checks everything it serves: each checkpoint's signature and
/// witness quorum; consistency with the newest verified checkpoint (proof computed from tiles verified against the new
/// checkpoint); and, for every new entry bundle, that its entries re-derive the hash tiles byte for byte (with the
/// transparency core's <see cref="TileWriter"/>) and the checkpoint's root. Verified state is saved after each pass.
/// </summary>
/// <remarks>
/// A pass that finds misbehaviour does not advance the state: the last verified checkpoint stays the reference, so
/// the finding repeats until an operator looks. Not thread-safe; <see cref="PassAsync"/> calls must not overlap.
/// </remarks>
public sealed class LogMonitor
{
    private readonly TiledLog _log;
    private readonly MonitorStateStore _store;
    private readonly HttpClient _http;

    /// <summary>Creates a monitor for <paramref name="log"/>.</summary>
    /// <param name="log">The log (URL, origin, keys, witness policy).</param>
    /// <param name="http">The HTTP client.</param>
    /// <param name="store">Where its state is kept.</param>
    public LogMonitor(LogPolicy log, HttpClient http, MonitorStateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _log = new TiledLog(log, http);
        _http = http;
        _store = store;
    }

    /// <summary>Gets the log's origin.</summary>
    public string Origin => _log.Log.Origin;

    /// <summary>Gets the newest verified checkpoint (after <see cref="PassAsync"/> or <see cref="LoadAsync"/>), or null.</summary>
    public SignedCheckpoint? Verified { get; private set; }

    /// <summary>Loads the saved state, so <see cref="Verified"/> is set before the first pass.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The saved state.</returns>
    public async Task<MonitorState> LoadAsync(CancellationToken cancellationToken)
    {
        var state = await _store.LoadAsync(Origin, cancellationToken).ConfigureAwait(false);
        Verified = state.Checkpoint;
        return state;
    }

    /// <summary>One pass: fetch the checkpoint, check it against the saved state, re-derive the new entries, save.</summary>
    /// <param name="checkSearch">Whether to query <c>/v1/search</c> for every indexed store path and report omitted or altered entries.</param>
    /// <param name="cancellationToken">Cancels the pass.</param>
    /// <returns>What was verified and found.</returns>
    public async Task<MonitorResult> PassAsync(bool checkSearch, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var findings = new List<MonitorFinding>();
        long verifiedEntries = 0;
        var newState = state;
        try
        {
            var bytes = await _log.GetCheckpointBytesAsync(cancellationToken).ConfigureAwait(false);
            newState = await CheckAsync(state, bytes, findings, cancellationToken).ConfigureAwait(false);
            verifiedEntries = newState.TreeSize - state.TreeSize;
            if (checkSearch && findings.Count == 0)
            {
                await CheckSearchAsync(newState, findings, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (LogUnreachableException e)
        {
            findings.Add(new MonitorFinding(MonitorFindingKind.Unreachable, Origin, e.Message));
        }
        catch (TileNotFoundException e)
        {
            findings.Add(new MonitorFinding(MonitorFindingKind.Unreachable, Origin, e.Message));
        }

        if (findings.Count == 0 && !ReferenceEquals(newState, state))
        {
            await _store.SaveAsync(newState, cancellationToken).ConfigureAwait(false);
            Verified = newState.Checkpoint;
        }

        return new MonitorResult(Origin, state.TreeSize, findings.Count == 0 ? newState.TreeSize : state.TreeSize, findings.Count == 0 ? verifiedEntries : 0, findings);
    }

    /// <summary>
    /// Checks a checkpoint offered from elsewhere (a witness request) against the verified state: if it is the verified
    /// one, or the log's tiles prove it consistent and its entries re-derive it, it is verified (and becomes the state).
    /// </summary>
    /// <param name="checkpoint">The offered checkpoint (already signature-checked by the caller).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The findings (empty when verified).</returns>
    public async Task<IReadOnlyList<MonitorFinding>> VerifyOfferedAsync(SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (state.Checkpoint is { } current && current.Checkpoint.TreeSize == checkpoint.Checkpoint.TreeSize && current.Checkpoint.RootHash == checkpoint.Checkpoint.RootHash)
        {
            return [];
        }

        var findings = new List<MonitorFinding>();
        try
        {
            var next = await CheckAsync(state, checkpoint.ToBytes(), findings, cancellationToken).ConfigureAwait(false);
            if (findings.Count == 0 && !ReferenceEquals(next, state))
            {
                await _store.SaveAsync(next, cancellationToken).ConfigureAwait(false);
                Verified = next.Checkpoint;
            }
        }
        catch (Exception e) when (e is LogUnreachableException or TileNotFoundException)
        {
            findings.Add(new MonitorFinding(MonitorFindingKind.Unreachable, Origin, e.Message));
        }

        return findings;
    }

    private async Task<MonitorState> CheckAsync(MonitorState state, byte[] checkpointBytes, List<MonitorFinding> findings, CancellationToken cancellationToken)
    {
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = _log.VerifyCheckpoint(checkpointBytes);
        }
        catch (LogIntegrityException e)
        {
            findings.Add(new MonitorFinding(MonitorFindingKind.BadCheckpoint, Origin, e.Message));
            return state;
        }

        var size = (long)checkpoint.Checkpoint.TreeSize;
        var root = checkpoint.Checkpoint.RootHash;
        var oldSize = state.TreeSize;
        var oldRoot = state.Root;
        if (size < oldSize)
        {
            findings.Add(Found(MonitorFindingKind.Fork, $"the log now serves a checkpoint of size {size} (root {root.ToBase64()}), smaller than the verified size {oldSize} (root {oldRoot.ToBase64()}); a log never shrinks."));
            return state;
        }

        if (size == oldSize)
        {
            if (root != oldRoot)
            {
                findings.Add(Found(MonitorFindingKind.SplitView, $"two checkpoints for size {size}: the verified one has root {oldRoot.ToBase64()}, the log now serves root {root.ToBase64()}."));
            }

            return state;
        }

        var tiles = new TileClient(_log.Reader, size, root);
        if (oldSize > 0)
        {
            MerkleHash[] proof;
            try
            {
                proof = await tiles.ConsistencyProofAsync(oldSize, cancellationToken).ConfigureAwait(false);
            }
            catch (TileVerificationException e)
            {
                findings.Add(Found(MonitorFindingKind.RewrittenTile, $"tiles served for the checkpoint of size {size} (root {root.ToBase64()}) do not match it: {e.Message}"));
                return state;
            }

            var verdict = MerkleProof.VerifyConsistency(oldSize, size, oldRoot, root, proof);
            if (!verdict.IsValid)
            {
                findings.Add(Found(MonitorFindingKind.Fork, $"the checkpoint of size {size} (root {root.ToBase64()}) is not consistent with the verified checkpoint of size {oldSize} (root {oldRoot.ToBase64()}): {verdict.Reason}."));
                return state;
            }
        }

        return await RederiveAsync(state, checkpoint, findings, cancellationToken).ConfigureAwait(false);
    }

    // Re-derives the tree from the served entry bundles: every full tile the new entries complete and the final
    // right edge must equal the served tiles byte for byte, and the root must equal the checkpoint's.
    private async Task<MonitorState> RederiveAsync(MonitorState state, SignedCheckpoint checkpoint, List<MonitorFinding> findings, CancellationToken cancellationToken)
    {
        var size = (long)checkpoint.Checkpoint.TreeSize;
        var root = checkpoint.Checkpoint.RootHash;
        var oldSize = state.TreeSize;
        var writer = oldSize == 0 ? new TileWriter() : TileWriter.Resume(oldSize, state.RightEdgeTiles, state.PartialBundle);
        var rightEdge = new Dictionary<TilePath, ReadOnlyMemory<byte>>();
        var oldEdge = TileLayout.RightEdgeTiles(oldSize);
        for (var i = 0; i < oldEdge.Length; i++)
        {
            rightEdge[oldEdge[i]] = state.RightEdgeTiles[i];
        }

        var oldPartial = oldSize % TilePath.FullWidth == 0 ? [] : EntryBundle.Parse(state.PartialBundle.Span, (int)(oldSize % TilePath.FullWidth));
        ReadOnlyMemory<byte> partialBundle = state.PartialBundle;
        var index = state.Index.ToDictionary(p => p.Key, p => new List<long>(p.Value), StringComparer.Ordinal);
        for (var bundleIndex = oldSize >> TilePath.Height; bundleIndex << TilePath.Height < size; bundleIndex++)
        {
            var bundlePath = TileLayout.EntryBundle(bundleIndex, size);
            var served = await _log.GetTileAsync(bundlePath, cancellationToken).ConfigureAwait(false);
            if (!EntryBundle.TryParse(served, bundlePath.Width, out var entries, out var error))
            {
                findings.Add(Found(MonitorFindingKind.AlteredEntry, $"entry bundle {bundlePath} for the checkpoint of size {size} is malformed: {error}."));
                return state;
            }

            var first = bundleIndex << TilePath.Height;
            var skip = (int)Math.Max(0, writer.Size - first);
            if (skip > 0)
            {
                // The entries already verified from the partial bundle must come back unchanged.
                for (var i = 0; i < skip; i++)
                {
                    if (!entries[i].AsSpan().SequenceEqual(oldPartial[i]))
                    {
                        findings.Add(Found(MonitorFindingKind.AlteredEntry, $"entry {first + i} in {bundlePath} differs from the bytes verified at size {oldSize} (leaf hash was {TreeHasher.HashLeaf(oldPartial[i]).ToBase64()}, now {TreeHasher.HashLeaf(entries[i]).ToBase64()})."));
                        return state;
                    }
                }
            }

            var fresh = new ReadOnlyMemory<byte>[entries.Length - skip];
            for (var i = skip; i < entries.Length; i++)
            {
                fresh[i - skip] = entries[i];
                Index(index, first + i, entries[i]);
            }

            var update = writer.AppendEntries(fresh);
            foreach (var tile in update.Tiles)
            {
                if (tile.Path.IsEntries)
                {
                    partialBundle = tile.Path.IsPartial ? tile.Bytes : ReadOnlyMemory<byte>.Empty;
                    continue;
                }

                if (tile.Path.IsPartial)
                {
                    rightEdge[tile.Path] = tile.Bytes;
                }
                else if (!await MatchesServedAsync(tile, size, root, findings, cancellationToken).ConfigureAwait(false))
                {
                    return state;
                }
            }
        }

        if (writer.ComputeRoot() != root)
        {
            findings.Add(Found(MonitorFindingKind.AlteredEntry, $"the entries served for the checkpoint of size {size} re-derive root {writer.ComputeRoot().ToBase64()}, not the checkpoint's root {root.ToBase64()}: the entry bundles do not match the tree."));
            return state;
        }

        var edgePaths = TileLayout.RightEdgeTiles(size);
        var edge = new ReadOnlyMemory<byte>[edgePaths.Length];
        for (var i = 0; i < edgePaths.Length; i++)
        {
            edge[i] = rightEdge[edgePaths[i]];
            if (!await MatchesServedAsync(new TileData(edgePaths[i], edge[i]), size, root, findings, cancellationToken).ConfigureAwait(false))
            {
                return state;
            }
        }

        if (size % TilePath.FullWidth == 0)
        {
            partialBundle = ReadOnlyMemory<byte>.Empty;
        }

        return new MonitorState(Origin, checkpoint, edge, partialBundle, index.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
    }

    private async Task<bool> MatchesServedAsync(TileData derived, long size, MerkleHash root, List<MonitorFinding> findings, CancellationToken cancellationToken)
    {
        var served = await _log.GetTileAsync(derived.Path, cancellationToken).ConfigureAwait(false);
        if (served.AsSpan().SequenceEqual(derived.Bytes.Span))
        {
            return true;
        }

        var at = FirstDifference(served, derived.Bytes.Span);
        findings.Add(Found(
            MonitorFindingKind.RewrittenTile,
            $"tile {derived.Path} served for the checkpoint of size {size} (root {root.ToBase64()}) differs from the tile re-derived from the entries ({served.Length} bytes served, {derived.Bytes.Length} derived, first difference at byte {at}, hash {at / MerkleHash.Size})."));
        return false;
    }

    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        return common;
    }

    private static void Index(Dictionary<string, List<long>> index, long entryIndex, byte[] entry)
    {
        if (LogEntries.Classify(entry) != LogEntryKind.Attestation || !AttestationDocument.TryParse(entry, out var document, out _))
        {
            return;
        }

        foreach (var output in document.Statement.Outputs)
        {
            var path = output.Path.FullPath;
            if (!index.TryGetValue(path, out var list))
            {
                if (index.Count >= MonitorState.MaxIndexedPaths)
                {
                    continue;
                }

                list = [];
                index[path] = list;
            }

            if (list.Count < MonitorState.MaxIndexesPerPath && (list.Count == 0 || list[^1] < entryIndex))
            {
                list.Add(entryIndex);
            }
        }
    }

    // Every indexed entry must come back from /v1/search for its store path, with the bytes whose leaf hash the
    // verified tiles hold at its index.
    private async Task CheckSearchAsync(MonitorState state, List<MonitorFinding> findings, CancellationToken cancellationToken)
    {
        if (state.Checkpoint is null || state.Index.Count == 0)
        {
            return;
        }

        var tiles = new TileClient(_log.Reader, state.TreeSize, state.Root);
        var search = new LogClient(_log.Log, _http, state: null);
        foreach (var (storePath, indexes) in state.Index.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            IReadOnlyList<(long Index, byte[] Document)> results;
            try
            {
                results = await search.SearchAsync("storePath", storePath, cancellationToken).ConfigureAwait(false);
            }
            catch (LogIntegrityException e)
            {
                findings.Add(Found(MonitorFindingKind.VanishedEntry, $"searching for {storePath} failed: {e.Message}"));
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new LogUnreachableException($"Search for {storePath} in log {Origin} failed: {e.Message}", e);
            }

            var returned = results.ToDictionary(r => r.Index, r => r.Document);
            foreach (var index in indexes)
            {
                if (!returned.TryGetValue(index, out var document))
                {
                    findings.Add(Found(MonitorFindingKind.VanishedEntry, $"a search for {storePath} omits entry {index}, which the monitor verified in the tree of size {state.TreeSize} (root {state.Root.ToBase64()})."));
                    continue;
                }

                MerkleHash leaf;
                try
                {
                    leaf = await tiles.LeafHashAsync(index, cancellationToken).ConfigureAwait(false);
                }
                catch (TileVerificationException e)
                {
                    findings.Add(Found(MonitorFindingKind.RewrittenTile, $"tiles of the verified checkpoint of size {state.TreeSize} no longer match it: {e.Message}"));
                    return;
                }

                if (TreeHasher.HashLeaf(document) != leaf)
                {
                    findings.Add(Found(MonitorFindingKind.AlteredEntry, $"a search for {storePath} returns entry {index} with bytes that hash to {TreeHasher.HashLeaf(document).ToBase64()}, not the verified leaf {leaf.ToBase64()}."));
                }
            }
        }
    }

    private MonitorFinding Found(MonitorFindingKind kind, string message) => new(kind, Origin, message);
}
