using System.Net;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Monitoring;

/// <summary>Thrown when a log cannot be read (HTTP failure, missing resource); not evidence of misbehaviour.</summary>
public sealed class LogUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogUnreachableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public LogUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LogUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Reads a log's static c2sp.org/tlog-tiles resources over HTTP (<c>checkpoint</c>, <c>tile/...</c>): raw bytes as
/// served, with size caps; nothing here is trusted. <see cref="TileClient"/> and <see cref="LogMonitor"/> verify.
/// </summary>
public sealed class TiledLog
{
    private readonly HttpClient _http;

    /// <summary>Creates a reader for <paramref name="log"/>.</summary>
    /// <param name="log">The log (URL, origin, keys).</param>
    /// <param name="http">The HTTP client.</param>
    public TiledLog(LogPolicy log, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(http);
        Log = log;
        _http = http;
        Policy = LogClient.CreateCheckpointPolicy(log);
        Reader = TileReader.FromFetch(async (tile, token) => await GetAsync(tile.ToString(), LogClient.MaxTileBytes, token).ConfigureAwait(false)
            ?? throw new TileNotFoundException(tile));
    }

    /// <summary>Gets the log.</summary>
    public LogPolicy Log { get; }

    /// <summary>Gets the rule its checkpoints must meet.</summary>
    public CheckpointPolicy Policy { get; }

    /// <summary>Gets a reader of its tiles (untrusted bytes).</summary>
    public ITileReader Reader { get; }

    /// <summary>Fetches the checkpoint as served.</summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The note bytes.</returns>
    /// <exception cref="LogUnreachableException">The log does not serve one.</exception>
    public async Task<byte[]> GetCheckpointBytesAsync(CancellationToken cancellationToken) =>
        await GetAsync("checkpoint", NoteLimits.MaxNoteBytes, cancellationToken).ConfigureAwait(false)
        ?? throw new LogUnreachableException($"Log {Log.Origin} serves no checkpoint at {new Uri(Log.Url, "checkpoint")}.");

    /// <summary>Fetches one tile or entry bundle as served.</summary>
    /// <param name="tile">The tile.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="TileNotFoundException">The log does not serve it.</exception>
    public async Task<byte[]> GetTileAsync(TilePath tile, CancellationToken cancellationToken) =>
        await GetAsync(tile.ToString(), LogClient.MaxTileBytes, cancellationToken).ConfigureAwait(false) ?? throw new TileNotFoundException(tile);

    /// <summary>Fetches and verifies the checkpoint under the log key and witness policy.</summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The checkpoint and a tile client bound to it.</returns>
    /// <exception cref="LogIntegrityException">The checkpoint is malformed or does not verify.</exception>
    public async Task<VerifiedCheckpoint> GetVerifiedCheckpointAsync(CancellationToken cancellationToken)
    {
        var bytes = await GetCheckpointBytesAsync(cancellationToken).ConfigureAwait(false);
        var checkpoint = VerifyCheckpoint(bytes);
        return new VerifiedCheckpoint(checkpoint, new TileClient(Reader, (long)checkpoint.Checkpoint.TreeSize, checkpoint.Checkpoint.RootHash));
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
    /// verified leaf hash by <see cref="TileClient.ReadBundleAsync"/>).
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
        for (var bundle = from >> TilePath.Height; bundle << TilePath.Height < tiles.TreeSize; bundle++)
        {
            var entries = await tiles.ReadBundleAsync(bundle, cancellationToken).ConfigureAwait(false);
            var first = bundle << TilePath.Height;
            var skip = (int)Math.Max(0, from - first);
            yield return (first + skip, skip == 0 ? entries : entries[skip..]);
        }
    }

    private async Task<byte[]?> GetAsync(string relative, int maxBytes, CancellationToken cancellationToken)
    {
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
                throw new LogUnreachableException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                throw new LogIntegrityException($"GET {uri} announced {response.Content.Headers.ContentLength} bytes; the limit is {maxBytes}.");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
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
        catch (HttpRequestException e)
        {
            throw new LogUnreachableException($"GET {uri} failed: {e.Message}", e);
        }
    }
}
