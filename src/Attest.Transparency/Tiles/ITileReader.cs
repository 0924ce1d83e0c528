namespace Attest.Transparency.Tiles;

/// <summary>
/// Reads c2sp.org/tlog-tiles resources (hash tiles and entry bundles) in batches: a log's own tile store, or an HTTP
/// client fetching a remote log. Readers return bytes as stored or served; callers decide how far to trust them
/// (<see cref="TileProofs"/> trusts them, <see cref="TileClient"/> verifies them against a checkpoint).
/// </summary>
public interface ITileReader
{
    /// <summary>Reads the given tiles.</summary>
    /// <param name="tiles">The tiles to read; their widths are part of the request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One byte buffer per requested tile, in the same order.</returns>
    /// <exception cref="TileNotFoundException">A tile does not exist.</exception>
    ValueTask<IReadOnlyList<ReadOnlyMemory<byte>>> ReadTilesAsync(IReadOnlyList<TilePath> tiles, CancellationToken cancellationToken);
}

/// <summary>Thrown by an <see cref="ITileReader"/> when a requested tile does not exist.</summary>
public sealed class TileNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="tile"/>.</summary>
    /// <param name="tile">The missing tile.</param>
    public TileNotFoundException(TilePath tile)
        : base($"Tile {tile} was not found.")
    {
        Tile = tile;
    }

    /// <summary>Creates the exception with a message (no tile named).</summary>
    public TileNotFoundException()
    {
    }

    /// <summary>Creates the exception with a message (no tile named).</summary>
    /// <param name="message">The message.</param>
    public TileNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception (no tile named).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TileNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The missing tile, when known.</summary>
    public TilePath? Tile { get; }
}

/// <summary>Adapters for <see cref="ITileReader"/>.</summary>
public static class TileReader
{
    /// <summary>
    /// Wraps a single-tile fetch function (for example one HTTP GET per tile) as a batched reader that issues the
    /// fetches of one batch concurrently.
    /// </summary>
    /// <param name="fetch">Fetches one tile.</param>
    public static ITileReader FromFetch(Func<TilePath, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        return new FetchTileReader(fetch);
    }

    private sealed class FetchTileReader(Func<TilePath, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> fetch) : ITileReader
    {
        public async ValueTask<IReadOnlyList<ReadOnlyMemory<byte>>> ReadTilesAsync(IReadOnlyList<TilePath> tiles, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(tiles);
            var tasks = new Task<ReadOnlyMemory<byte>>[tiles.Count];
            for (var i = 0; i < tiles.Count; i++)
            {
                tasks[i] = fetch(tiles[i], cancellationToken).AsTask();
            }

            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }
    }
}
