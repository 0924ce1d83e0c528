using System.Collections.Concurrent;

namespace Attest.Transparency.Tiles;

/// <summary>
/// A thread-safe in-memory tile store: an <see cref="ITileReader"/> over tiles written from <see cref="TileUpdate"/>s.
/// For tests, benchmarks and small deployments; the log server keeps its tiles in its database.
/// </summary>
public sealed class MemoryTileStore : ITileReader
{
    private readonly ConcurrentDictionary<TilePath, ReadOnlyMemory<byte>> _tiles = new();

    /// <summary>The number of stored tiles (full and partial, hash tiles and bundles).</summary>
    public int Count => _tiles.Count;

    /// <summary>Stores (or replaces) one tile.</summary>
    /// <param name="path">The tile path.</param>
    /// <param name="bytes">The tile bytes.</param>
    public void Put(TilePath path, ReadOnlyMemory<byte> bytes) => _tiles[path] = bytes;

    /// <summary>Stores every tile of an update.</summary>
    /// <param name="update">The update from a <see cref="TileWriter"/>.</param>
    public void Apply(TileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        foreach (var tile in update.Tiles)
        {
            Put(tile.Path, tile.Bytes);
        }
    }

    /// <summary>Returns a stored tile.</summary>
    /// <param name="path">The tile path.</param>
    /// <param name="bytes">The bytes, if stored.</param>
    /// <returns><see langword="true"/> when the tile is stored.</returns>
    public bool TryGet(TilePath path, out ReadOnlyMemory<byte> bytes) => _tiles.TryGetValue(path, out bytes);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<ReadOnlyMemory<byte>>> ReadTilesAsync(IReadOnlyList<TilePath> tiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new ReadOnlyMemory<byte>[tiles.Count];
        for (var i = 0; i < tiles.Count; i++)
        {
            if (!_tiles.TryGetValue(tiles[i], out result[i]))
            {
                throw new TileNotFoundException(tiles[i]);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<ReadOnlyMemory<byte>>>(result);
    }
}
