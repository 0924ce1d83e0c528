using Attest.Transparency.Internal;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tiles;

/// <summary>
/// Where the nodes of a tree of a given size live in c2sp.org/tlog-tiles: which tiles exist, their widths, and
/// which tile holds (or derives) each complete subtree.
/// </summary>
public static class TileLayout
{
    /// <summary>The number of complete level-8·<paramref name="level"/> nodes in a tree of <paramref name="treeSize"/> leaves.</summary>
    /// <param name="level">The tile level.</param>
    /// <param name="treeSize">The tree size.</param>
    public static long NodeCount(int level, long treeSize) => treeSize >> (level * TilePath.Height);

    /// <summary>The hash tile <c>(level, index)</c> as it exists in a tree of <paramref name="treeSize"/> leaves, with its width.</summary>
    /// <param name="level">The tile level, 0 to 5.</param>
    /// <param name="index">The tile index.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The tile does not exist (yet) in that tree.</exception>
    public static TilePath HashTile(int level, long index, long treeSize)
    {
        CheckSize(treeSize);
        if (level is < 0 or > TilePath.MaxLevel)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(level), $"Tile level {level} is not in 0..{TilePath.MaxLevel}.");
        }

        var width = WidthOf(NodeCount(level, treeSize), index);
        if (width <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), $"Tile {level}/{index} does not exist in a tree of size {treeSize}.");
        }

        return TilePath.Hash(level, index, width);
    }

    /// <summary>The entry bundle <paramref name="index"/> as it exists in a tree of <paramref name="treeSize"/> leaves, with its width.</summary>
    /// <param name="index">The bundle index.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The bundle does not exist (yet) in that tree.</exception>
    public static TilePath EntryBundle(long index, long treeSize)
    {
        CheckSize(treeSize);
        var width = WidthOf(treeSize, index);
        if (width <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), $"Entry bundle {index} does not exist in a tree of size {treeSize}.");
        }

        return TilePath.Entries(index, width);
    }

    /// <summary>The entry bundle holding entry <paramref name="entryIndex"/> in a tree of <paramref name="treeSize"/> leaves.</summary>
    /// <param name="entryIndex">The entry (leaf) index, below <paramref name="treeSize"/>.</param>
    /// <param name="treeSize">The tree size.</param>
    public static TilePath EntryBundleFor(long entryIndex, long treeSize)
    {
        if (entryIndex < 0 || entryIndex >= treeSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(entryIndex), $"Entry {entryIndex} is not in a tree of size {treeSize}.");
        }

        return EntryBundle(entryIndex >> TilePath.Height, treeSize);
    }

    /// <summary>
    /// The partial tiles on the right edge of a tree, highest level first: one per level whose node count is not a
    /// multiple of 256. Together they determine the root, and they are what a tile writer needs to resume.
    /// </summary>
    /// <param name="treeSize">The tree size.</param>
    public static TilePath[] RightEdgeTiles(long treeSize)
    {
        CheckSize(treeSize);
        var tiles = new List<TilePath>(TilePath.MaxLevel + 1);
        for (var level = TilePath.MaxLevel; level >= 0; level--)
        {
            var count = NodeCount(level, treeSize);
            var width = (int)(count & (TilePath.FullWidth - 1));
            if (width != 0)
            {
                tiles.Add(TilePath.Hash(level, count >> TilePath.Height, width));
            }
        }

        return [.. tiles];
    }

    /// <summary>
    /// The partial tiles and entry bundle of a tree of <paramref name="oldSize"/> leaves that a tree of
    /// <paramref name="newSize"/> leaves has replaced by wider ones, so a log may delete them once the new tiles are
    /// stored (c2sp.org/tlog-tiles lets clients fall back to the wider tile).
    /// </summary>
    /// <param name="oldSize">The previous tree size.</param>
    /// <param name="newSize">The new tree size, at least <paramref name="oldSize"/>.</param>
    public static TilePath[] SupersededTiles(long oldSize, long newSize)
    {
        CheckSize(oldSize);
        CheckSize(newSize);
        if (newSize < oldSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(newSize), $"The new size {newSize} is smaller than the old size {oldSize}.");
        }

        var superseded = new List<TilePath>(TilePath.MaxLevel + 2);
        foreach (var tile in RightEdgeTiles(oldSize))
        {
            if (HashTile(tile.Level, tile.Index, newSize).Width > tile.Width)
            {
                superseded.Add(tile);
            }
        }

        var bundleWidth = (int)(oldSize & (TilePath.FullWidth - 1));
        if (bundleWidth != 0 && newSize > oldSize)
        {
            superseded.Add(TilePath.Entries(oldSize >> TilePath.Height, bundleWidth));
        }

        return [.. superseded];
    }

    /// <summary>
    /// Locates a complete subtree in the tiles of a tree of <paramref name="treeSize"/> leaves: node (l, i) is the
    /// hash of <c>2^(l mod 8)</c> consecutive hashes of the level-⌊l/8⌋ tile that covers it.
    /// </summary>
    /// <param name="node">A subtree complete in the tree.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="tile">The tile holding the node's level-8·L descendants (with its width in that tree).</param>
    /// <param name="offset">The position of the first descendant in the tile.</param>
    /// <param name="count">The number of descendants to fold (1 when the node is itself in the tile).</param>
    /// <exception cref="ArgumentOutOfRangeException">The node is not complete in the tree.</exception>
    public static void Locate(NodeId node, long treeSize, out TilePath tile, out int offset, out int count)
    {
        CheckSize(treeSize);
        if (node.Level < 0 || node.Index < 0 || node.Level >= (TilePath.MaxLevel + 1) * TilePath.Height
            || node.Index > (treeSize >> node.Level) - 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(node), $"Node {node} is not complete in a tree of size {treeSize}.");
        }

        var level = node.Level / TilePath.Height;
        var shift = node.Level % TilePath.Height;
        var first = node.Index << shift;
        tile = HashTile(level, first >> TilePath.Height, treeSize);
        offset = (int)(first & (TilePath.FullWidth - 1));
        count = 1 << shift;
    }

    /// <summary>Computes a node's hash from the hashes of the tile <see cref="Locate"/> names.</summary>
    /// <param name="tileHashes">The tile's hashes.</param>
    /// <param name="offset">From <see cref="Locate"/>.</param>
    /// <param name="count">From <see cref="Locate"/>.</param>
    public static MerkleHash NodeFromTile(ReadOnlySpan<MerkleHash> tileHashes, int offset, int count) =>
        count == 1 ? tileHashes[offset] : TreeHasher.ComputeRoot(tileHashes.Slice(offset, count));

    internal static void CheckSize(long treeSize)
    {
        if (treeSize is < 0 or > TilePath.MaxTreeSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(treeSize), $"Tree size {treeSize} is not in 0..{TilePath.MaxTreeSize} (the c2sp.org/tlog-tiles limit).");
        }
    }

    private static int WidthOf(long count, long index)
    {
        if (index < 0)
        {
            return 0;
        }

        var remaining = count - (index << TilePath.Height);
        return remaining <= 0 ? 0 : (int)Math.Min(remaining, TilePath.FullWidth);
    }
}
