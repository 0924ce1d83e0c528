using System.Net;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Logs;

/// <summary>
/// Reads one log's resources over HTTP — its c2sp.org/tlog-tiles <c>checkpoint</c> and <c>tile/...</c> files and any
/// other path under its URL — as raw bytes with size caps, and verifies checkpoints under the log key and witness
/// k-of-n. Tiles and entries are untrusted here: a <see cref="TileClient"/> over <see cref="Reader"/> checks them.
/// The one HTTP reader of the verifier: <see cref="LogClient"/>, the monitor and the report all read through it.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class TiledLog
{
    private readonly HttpClient _http;

    /// <summary>Creates a reader for <paramref name="log"/>.</summary>
    /// <param name="log">The log (URL, origin, keys).</param>
    /// <param name="http">The HTTP client.</param>
    /// <exception cref="FormatException">The policy's log or witness keys are not note verifier keys.</exception>
    public TiledLog(LogPolicy log, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(http);
        Log = log;
        _http = http;
        Policy = LogClient.CreateCheckpointPolicy(log);
        Reader = TileReader.FromFetch(async (tile, token) => await GetTileAsync(tile, token).ConfigureAwait(false));
    }

    /// <summary>Gets the log.</summary>
    public LogPolicy Log { get; }

    /// <summary>Gets the rule its checkpoints must meet.</summary>
    public CheckpointPolicy Policy { get; }

    /// <summary>Gets a reader of its tiles (untrusted bytes; a missing tile is a <see cref="TileNotFoundException"/>).</summary>
    public ITileReader Reader { get; }

    /// <summary>Fetches the checkpoint as served.</summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The note bytes.</returns>
    /// <exception cref="LogUnreachableException">The log does not serve one, or cannot be read.</exception>
    /// <exception cref="LogIntegrityException">The checkpoint is larger than a note may be.</exception>
    public async Task<byte[]> GetCheckpointBytesAsync(CancellationToken cancellationToken) =>
        await GetAsync("checkpoint", NoteLimits.MaxNoteBytes, cancellationToken).ConfigureAwait(false)
        ?? throw new LogUnreachableException($"Log {Log.Origin} serves no checkpoint at {new Uri(Log.Url, "checkpoint")}.", null, HttpStatusCode.NotFound);

    /// <summary>Fetches one tile or entry bundle as served.</summary>
    /// <param name="tile">The tile.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="TileNotFoundException">The log does not serve it.</exception>
    /// <exception cref="LogUnreachableException">The log cannot be read.</exception>
    /// <exception cref="LogIntegrityException">The tile is larger than <see cref="LogClient.MaxTileBytes"/>.</exception>
    public async Task<byte[]> GetTileAsync(TilePath tile, CancellationToken cancellationToken) =>
        await GetAsync(tile.ToString(), LogClient.MaxTileBytes, cancellationToken).ConfigureAwait(false) ?? throw new TileNotFoundException(tile);

    /// <summary>Fetches and verifies the checkpoint under the log key and witness policy.</summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The checkpoint and a tile client bound to it.</returns>
    /// <exception cref="LogIntegrityException">The checkpoint is malformed or does not verify.</exception>
    /// <exception cref="LogUnreachableException">The log cannot be read.</exception>
    public async Task<VerifiedCheckpoint> GetVerifiedCheckpointAsync(CancellationToken cancellationToken)
    {
        var bytes = await GetCheckpointBytesAsync(cancellationToken).ConfigureAwait(false);
        var checkpoint = VerifyCheckpoint(bytes);
        return new VerifiedCheckpoint(checkpoint, TilesFor(checkpoint));
    }

    /// <summary>A tile client that checks this log's tiles against <paramref name="checkpoint"/>.</summary>
    /// <param name="checkpoint">A verified checkpoint of this log.</param>
    /// <returns>The tile client.</returns>
    public TileClient TilesFor(SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new TileClient(Reader, (long)checkpoint.Checkpoint.TreeSize, checkpoint.Checkpoint.RootHash);
    }

    /// <summary>Parses and verifies checkpoint bytes under the log key and witness policy.</summary>
    /// <param name="bytes">The note bytes.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="LogIntegrityException">The checkpoint is malformed, for another origin, too large, or does not verify.</exception>
    public SignedCheckpoint VerifyCheckpoint(ReadOnlySpan<byte> bytes)
    {
        if (!SignedCheckpoint.TryParse(bytes, out var checkpoint, out var error))
        {
            throw new LogIntegrityException($"Log {Log.Origin} served a malformed checkpoint: {error}.");
        }

        var verdict = checkpoint.Verify(Policy);
        if (!verdict.IsValid)
        {
            throw new LogIntegrityException($"Log {Log.Origin} served a checkpoint (size {checkpoint.Checkpoint.TreeSize}) that does not verify under the policy: {verdict.Message}");
        }

        if (checkpoint.Checkpoint.TreeSize > TilePath.MaxTreeSize)
        {
            throw new LogIntegrityException($"Log {Log.Origin} served a checkpoint of size {checkpoint.Checkpoint.TreeSize}, beyond a tiled log's limit.");
        }

        return checkpoint;
    }

    /// <summary>
    /// Streams the verified entries <c>[from, tiles.TreeSize)</c> bundle by bundle (each entry checked against its
    /// verified leaf hash by <see cref="TileClient.ReadBundleAsync"/>). The next bundle is fetched while the caller
    /// works on the current one.
    /// </summary>
    /// <param name="tiles">A tile client bound to a verified checkpoint.</param>
    /// <param name="from">The first entry index.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    /// <returns>For each bundle: the index of its first entry returned, and the entries from there.</returns>
    public static async IAsyncEnumerable<(long FirstIndex, byte[][] Entries)> ReadEntriesAsync(
        TileClient tiles, long from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        var bundle = from >> TilePath.Height;
        Task<byte[][]>? next = bundle << TilePath.Height < tiles.TreeSize ? tiles.ReadBundleAsync(bundle, cancellationToken).AsTask() : null;
        try
        {
            while (next is not null)
            {
                var entries = await next.ConfigureAwait(false);
                var first = bundle << TilePath.Height;
                bundle++;
                next = bundle << TilePath.Height < tiles.TreeSize ? tiles.ReadBundleAsync(bundle, cancellationToken).AsTask() : null;
                var skip = (int)Math.Max(0, from - first);
                yield return (first + skip, skip == 0 ? entries : entries[skip..]);
            }
        }
        finally
        {
            // A caller that stops early leaves the prefetch running: observe its failure so it is not left unobserved.
            _ = next?.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>GETs a resource under the log URL, refusing bodies above <paramref name="maxBytes"/>.</summary>
    /// <param name="relative">The path (and query) relative to the log URL.</param>
    /// <param name="maxBytes">The largest body accepted.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The body, or <see langword="null"/> when the log answers 404.</returns>
    /// <exception cref="LogUnreachableException">The request failed or the log answered another error status.</exception>
    /// <exception cref="LogIntegrityException">The body is larger than <paramref name="maxBytes"/>.</exception>
    public async Task<byte[]?> GetAsync(string relative, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relative);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var uri = new Uri(Log.Url, relative);
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new LogUnreachableException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                throw new LogIntegrityException($"GET {uri} announced {response.Content.Headers.ContentLength} bytes; the limit is {maxBytes}.");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                // Grown as bytes arrive, never sized from the announced length.
                using var buffer = new MemoryStream();
                var chunk = new byte[16 * 1024];
                int read;
                while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > maxBytes)
                    {
                        throw new LogIntegrityException($"GET {uri} returned more than {maxBytes} bytes.");
                    }

                    await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                return buffer.ToArray();
            }
        }
        catch (HttpRequestException e) when (e is not LogUnreachableException)
        {
            throw new LogUnreachableException($"GET {uri} failed: {e.Message}", e, e.StatusCode);
        }
    }
}
