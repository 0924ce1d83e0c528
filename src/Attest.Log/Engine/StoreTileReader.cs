using Attest.Log.Storage;
using Attest.Transparency.Tiles;

namespace Attest.Log.Engine;

/// <summary>
/// Serves c2sp.org/tlog-tiles resources from the store. Hash tiles are stored at their widest (a partial tile is a
/// prefix of every wider one), so any width up to the stored one is a prefix; entry bundles are assembled from the
/// individually stored entries.
/// </summary>
internal sealed class StoreTileReader(LogStore store, Func<long> durableSize) : ITileReader
{
    public ValueTask<IReadOnlyList<ReadOnlyMemory<byte>>> ReadTilesAsync(IReadOnlyList<TilePath> tiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        var result = new ReadOnlyMemory<byte>[tiles.Count];
        for (var i = 0; i < tiles.Count; i++)
        {
            result[i] = Read(tiles[i]) ?? throw new TileNotFoundException(tiles[i]);
        }

        return ValueTask.FromResult<IReadOnlyList<ReadOnlyMemory<byte>>>(result);
    }

    /// <summary>The tile's bytes, or null when the log does not (yet) have it at that width.</summary>
    public byte[]? Read(TilePath path)
    {
        if (path.IsEntries)
        {
            var first = path.Index * TilePath.FullWidth;
            if (first + path.Width > durableSize())
            {
                return null;
            }

            var entries = new ReadOnlyMemory<byte>[path.Width];
            for (var i = 0; i < path.Width; i++)
            {
                var entry = store.GetEntry(first + i);
                if (entry is null)
                {
                    return null;
                }

                entries[i] = entry;
            }

            return EntryBundle.Encode(entries);
        }

        var stored = store.GetTile(path.Level, path.Index);
        if (stored is null || stored.Length < path.HashTileLength)
        {
            return null;
        }

        return stored.Length == path.HashTileLength ? stored : stored.AsSpan(0, path.HashTileLength).ToArray();
    }
}
