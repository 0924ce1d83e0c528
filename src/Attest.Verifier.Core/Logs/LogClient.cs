using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Logs;

/// <summary>A checkpoint that verified under the policy, with a tile client bound to its tree.</summary>
/// <param name="Checkpoint">The signed checkpoint (log signature and witness quorum checked).</param>
/// <param name="Tiles">Verifies tiles and entries against it.</param>
public sealed record VerifiedCheckpoint(SignedCheckpoint Checkpoint, TileClient Tiles);

/// <summary>
/// Reads one log named by the trust policy over HTTP: its checkpoint (verified with the log key and the witness
/// k-of-n, and proved consistent with the newest checkpoint the verifier saw before), its tiles (verified by the
/// transparency core's <see cref="TileClient"/>), and its search API — whose answers are never trusted: every entry
/// returned must hash to the verified leaf at its index.
/// </summary>
/// <remarks>
/// One client verifies one checkpoint per lifetime (fetched on first use) so that every path of a batch is judged
/// against the same tree. The client is thread-safe.
/// </remarks>
public sealed class LogClient : IEvidenceSource, IRegistrySource
{
    /// <summary>Largest hash tile or entry bundle accepted: 256 entries of at most 65,535 bytes with their length prefixes.</summary>
    public const int MaxTileBytes = TilePath.FullWidth * (ushort.MaxValue + 2);

    /// <summary>Largest search answer accepted, in bytes (100 documents of at most 64 KiB, with room for the JSON around them).</summary>
    public const int MaxSearchResponseBytes = 8 << 20;

    /// <summary>Most entries read for one store path; more is refused rather than read without end.</summary>
    public const int MaxEntriesPerPath = 10_000;

    /// <summary>Most registry entries kept for one builder key.</summary>
    public const int MaxRegistryEntriesPerBuilder = 10_000;

    private readonly TiledLog _log;
    private readonly VerifierState? _state;
    private readonly Lock _gate = new();
    private Task<VerifiedCheckpoint>? _checkpoint;

    /// <summary>Creates a client for <paramref name="log"/>.</summary>
    /// <param name="log">The log as the policy names it.</param>
    /// <param name="http">The HTTP client (its base address is not used; the policy's URL is).</param>
    /// <param name="state">Where the newest verified checkpoint is kept; <see langword="null"/> checks no history.</param>
    /// <exception cref="FormatException">The policy's log or witness keys are not note verifier keys.</exception>
    public LogClient(LogPolicy log, HttpClient http, VerifierState? state)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(http);
        Log = log;
        _log = new TiledLog(log, http);
        _state = state;
    }

    /// <summary>Gets the log as the policy names it.</summary>
    public LogPolicy Log { get; }

    /// <summary>Gets the log's origin.</summary>
    public string Origin => Log.Origin;

    /// <summary>Gets the rule the log's checkpoints must meet: its note key and the witness k-of-n.</summary>
    public CheckpointPolicy CheckpointPolicy => _log.Policy;

    /// <summary>Builds the checkpoint rule for a log of the policy.</summary>
    /// <param name="log">The log.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="FormatException">A key is not a note verifier key.</exception>
    public static CheckpointPolicy CreateCheckpointPolicy(LogPolicy log)
    {
        ArgumentNullException.ThrowIfNull(log);
        NoteVerifier logKey = NoteVerifier.Import(log.VerifierKey);
        NoteVerifier[] witnesses = [.. log.Witnesses.VerifierKeys.Select(NoteVerifier.Import)];
        return new CheckpointPolicy(log.Origin, [logKey], witnesses, log.Witnesses.Threshold);
    }

    /// <summary>
    /// Fetches the log's checkpoint once, verifies it, proves it consistent with the stored one and stores it when newer.
    /// </summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The verified checkpoint and its tile client.</returns>
    /// <exception cref="LogIntegrityException">The checkpoint does not verify, or it forks from the stored one.</exception>
    /// <exception cref="HttpRequestException">The log cannot be reached.</exception>
    public Task<VerifiedCheckpoint> GetCheckpointAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_checkpoint is null || _checkpoint.IsFaulted || _checkpoint.IsCanceled)
            {
                _checkpoint = RefreshAsync(cancellationToken);
            }

            return _checkpoint;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<LogEvidence>> FindAsync(StorePath storePath, CancellationToken cancellationToken)
    {
        VerifiedCheckpoint verified = await GetCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var found = await SearchAsync("storePath", storePath.FullPath, cancellationToken).ConfigureAwait(false);
        return await ProveAsync(verified, found, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <c>registry=&lt;key id&gt;</c> returns the registry changes that name the builder (at most
    /// <see cref="MaxRegistryEntriesPerBuilder"/> are read); anything else in the answer is dropped, and each kept entry
    /// must hash to its verified leaf, like any search result.
    /// </remarks>
    public async Task<IReadOnlyList<LogEvidence>> FindRegistryChangesAsync(string origin, string builderKeyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(builderKeyId);
        if (!string.Equals(origin, Origin, StringComparison.Ordinal))
        {
            return [];
        }

        VerifiedCheckpoint verified = await GetCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var found = await SearchAsync(
            "registry", builderKeyId, d => LogEntries.Classify(d) == LogEntryKind.RegistryChange, MaxRegistryEntriesPerBuilder, MaxRegistryEntriesPerBuilder, cancellationToken)
            .ConfigureAwait(false);
        return await ProveAsync(verified, found, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks untrusted search answers against the verified tree and attaches their inclusion proofs.</summary>
    private async Task<List<LogEvidence>> ProveAsync(VerifiedCheckpoint verified, IReadOnlyList<(long Index, byte[] Document)> found, CancellationToken cancellationToken)
    {
        long treeSize = (long)verified.Checkpoint.Checkpoint.TreeSize;
        var evidence = new List<LogEvidence>(found.Count);
        var seen = new HashSet<long>();
        foreach ((long index, byte[] document) in found)
        {
            // Entries sequenced after the checkpoint are not yet in a signed tree; the next run will see them.
            if (index >= treeSize || !seen.Add(index))
            {
                continue;
            }

            MerkleHash leaf;
            MerkleHash[] proof;
            try
            {
                leaf = await verified.Tiles.LeafHashAsync(index, cancellationToken).ConfigureAwait(false);
                proof = await verified.Tiles.InclusionProofAsync(index, cancellationToken).ConfigureAwait(false);
            }
            catch (TileVerificationException e)
            {
                throw new LogIntegrityException($"Log {Origin} served tiles that do not match its signed checkpoint (size {treeSize}): {e.Message}", e);
            }
            catch (TileNotFoundException e)
            {
                throw new LogIntegrityException($"Log {Origin} does not serve a tile of its signed checkpoint (size {treeSize}): {e.Message}", e);
            }

            if (TreeHasher.HashLeaf(document) != leaf)
            {
                throw new LogIntegrityException(
                    $"Log {Origin} returned a search result for entry {index} whose bytes do not hash to leaf {index} of its signed tree (size {treeSize}); the log altered the entry.");
            }

            evidence.Add(new LogEvidence(Origin, (ulong)index, document, new TlogProof((ulong)index, proof, verified.Checkpoint)));
        }

        return evidence;
    }

    /// <summary>
    /// Runs a search (<c>GET /v1/search</c>) and returns the untrusted indexes and document bytes, following pages.
    /// </summary>
    /// <param name="parameter">The search key: <c>storePath</c>, <c>drvPath</c>, <c>narHash</c> or <c>builder</c>.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The answers as the log gave them; check each against the tiles before use.</returns>
    /// <exception cref="LogIntegrityException">An answer is malformed or there are more than <see cref="MaxEntriesPerPath"/>.</exception>
    public Task<IReadOnlyList<(long Index, byte[] Document)>> SearchAsync(string parameter, string value, CancellationToken cancellationToken) =>
        SearchAsync(parameter, value, static _ => true, MaxEntriesPerPath, MaxEntriesPerPath, cancellationToken);

    private async Task<IReadOnlyList<(long Index, byte[] Document)>> SearchAsync(
        string parameter, string value, Predicate<byte[]> keep, int maxKept, int maxScanned, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        ArgumentException.ThrowIfNullOrEmpty(value);
        var results = new List<(long, byte[])>();
        long? after = null;
        int scanned = 0;
        while (true)
        {
            string query = $"v1/search?{parameter}={Uri.EscapeDataString(value)}"
                + (after is { } a ? "&after=" + a.ToString(CultureInfo.InvariantCulture) : string.Empty);
            byte[] body = await _log.GetAsync(query, MaxSearchResponseBytes, cancellationToken).ConfigureAwait(false)
                ?? throw new LogIntegrityException($"Log {Origin} has no search API at {new Uri(Log.Url, query)}.");
            var page = new List<(long, byte[])>();
            long? next = ParseSearchPage(body, page);
            scanned += page.Count;
            results.AddRange(page.Where(r => keep(r.Item2)));
            if (results.Count > maxKept || scanned > maxScanned)
            {
                throw new LogIntegrityException(results.Count > maxKept
                    ? $"Log {Origin} returned more than {maxKept} entries for {parameter}={value}."
                    : $"Log {Origin} returned more than {maxScanned} results for {parameter}={value}; the verifier reads no more.");
            }

            if (next is not { } n || (after is { } previous && n <= previous))
            {
                return results;
            }

            after = n;
        }
    }

    private long? ParseSearchPage(byte[] body, List<(long, byte[])> results)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entries", out JsonElement entries) || entries.ValueKind != JsonValueKind.Array)
            {
                throw new LogIntegrityException($"Log {Origin} answered a search without an \"entries\" array.");
            }

            foreach (JsonElement entry in entries.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object
                    || !entry.TryGetProperty("index", out JsonElement index) || !index.TryGetInt64(out long i) || i < 0
                    || !entry.TryGetProperty("document", out JsonElement doc) || doc.ValueKind != JsonValueKind.Object)
                {
                    throw new LogIntegrityException($"Log {Origin} answered a search with an entry lacking a non-negative \"index\" or an object \"document\".");
                }

                // The raw bytes as served: they must hash to the leaf, so they are not re-serialised.
                results.Add((i, JsonMarshal.GetRawUtf8Value(doc).ToArray()));
            }

            return root.TryGetProperty("next", out JsonElement next) && next.TryGetInt64(out long n) ? n : null;
        }
        catch (JsonException e)
        {
            throw new LogIntegrityException($"Log {Origin} answered a search with invalid JSON: {e.Message}", e);
        }
    }

    private async Task<VerifiedCheckpoint> RefreshAsync(CancellationToken cancellationToken)
    {
        byte[] bytes = await _log.GetAsync("checkpoint", NoteLimits.MaxNoteBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new LogIntegrityException($"Log {Origin} serves no checkpoint at {new Uri(Log.Url, "checkpoint")}.");
        SignedCheckpoint fetched = _log.VerifyCheckpoint(bytes);
        var current = new VerifiedCheckpoint(fetched, _log.TilesFor(fetched));
        if (_state is not null)
        {
            await _state.AdvanceAsync(CheckpointPolicy, fetched, ProveConsistentAsync, cancellationToken).ConfigureAwait(false);
        }

        return current;

        async Task ProveConsistentAsync(SignedCheckpoint older, SignedCheckpoint newer, CancellationToken token)
        {
            TileClient tiles = ReferenceEquals(newer, fetched) ? current.Tiles : _log.TilesFor(newer);
            MerkleHash[] proof;
            try
            {
                proof = await tiles.ConsistencyProofAsync((long)older.Checkpoint.TreeSize, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TileVerificationException or TileNotFoundException)
            {
                throw new LogIntegrityException(
                    $"Log {Origin}: cannot prove checkpoint size {older.Checkpoint.TreeSize} consistent with size {newer.Checkpoint.TreeSize}: {e.Message}", e);
            }

            Checkpoint o = older.Checkpoint;
            Checkpoint n = newer.Checkpoint;
            ProofVerdict result = MerkleProof.VerifyConsistency((long)o.TreeSize, (long)n.TreeSize, o.RootHash, n.RootHash, proof);
            if (!result.IsValid)
            {
                bool olderIsStored = !ReferenceEquals(older, fetched);
                throw VerifierState.ForkException(olderIsStored ? older : newer, olderIsStored ? newer : older, $"the consistency proof fails ({result.Reason})");
            }
        }
    }
}
