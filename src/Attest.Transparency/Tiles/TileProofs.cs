using Attest.Transparency.Internal;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tiles;

/// <summary>
/// Proofs and past roots computed from a log's own (trusted) tile store, reading every tile a request needs in one
/// batch: at most two tiles per tree level band for inclusion, a few more for consistency. Tiles are not checked
/// against a root here; use <see cref="TileClient"/> for tiles from elsewhere.
/// </summary>
public static class TileProofs
{
    /// <summary>Reads the nodes of <paramref name="plan"/> from the tiles of a tree of <paramref name="storedSize"/> leaves and assembles the result.</summary>
    /// <param name="reader">The tile store.</param>
    /// <param name="storedSize">The size of the tree the store holds (it names the tiles and their widths).</param>
    /// <param name="plan">The proof or root plan; its nodes must be complete in the stored tree.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidDataException">A stored tile has the wrong length.</exception>
    public static async ValueTask<MerkleHash[]> ExecuteAsync(ITileReader reader, long storedSize, ProofPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(plan);
        var needed = TileSet.TilesFor(plan.Nodes, storedSize);
        var bytes = await reader.ReadTilesAsync(needed, cancellationToken).ConfigureAwait(false);
        var tiles = TileSet.Decode(needed, bytes);
        return plan.Assemble(TileSet.ResolveNodes(plan, storedSize, tiles));
    }

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves.</summary>
    /// <param name="reader">The tile store.</param>
    /// <param name="storedSize">The size of the stored tree, at least <paramref name="treeSize"/>.</param>
    /// <param name="index">The leaf index.</param>
    /// <param name="treeSize">The tree size the proof is for.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static ValueTask<MerkleHash[]> InclusionProofAsync(ITileReader reader, long storedSize, long index, long treeSize, CancellationToken cancellationToken)
    {
        CheckWithin(treeSize, storedSize);
        return ExecuteAsync(reader, storedSize, ProofPlan.ForInclusion(index, treeSize), cancellationToken);
    }

    /// <summary>The consistency proof from <paramref name="size1"/> to <paramref name="size2"/>.</summary>
    /// <param name="reader">The tile store.</param>
    /// <param name="storedSize">The size of the stored tree, at least <paramref name="size2"/>.</param>
    /// <param name="size1">The older size.</param>
    /// <param name="size2">The newer size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static ValueTask<MerkleHash[]> ConsistencyProofAsync(ITileReader reader, long storedSize, long size1, long size2, CancellationToken cancellationToken)
    {
        CheckWithin(size2, storedSize);
        return ExecuteAsync(reader, storedSize, ProofPlan.ForConsistency(size1, size2), cancellationToken);
    }

    /// <summary>The root of the tree of <paramref name="treeSize"/> leaves (any past size).</summary>
    /// <param name="reader">The tile store.</param>
    /// <param name="storedSize">The size of the stored tree, at least <paramref name="treeSize"/>.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async ValueTask<MerkleHash> RootAtAsync(ITileReader reader, long storedSize, long treeSize, CancellationToken cancellationToken)
    {
        CheckWithin(treeSize, storedSize);
        var result = await ExecuteAsync(reader, storedSize, ProofPlan.ForRoot(treeSize), cancellationToken).ConfigureAwait(false);
        return result[0];
    }

    internal static void CheckWithin(long size, long storedSize)
    {
        TileLayout.CheckSize(storedSize);
        if (size < 0 || size > storedSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size), $"Tree size {size} is not in 0..{storedSize} (the stored tree).");
        }
    }
}

/// <summary>Mapping between proof plans and the tiles that hold their nodes.</summary>
internal static class TileSet
{
    public static List<TilePath> TilesFor(ReadOnlySpan<NodeId> nodes, long treeSize)
    {
        var tiles = new List<TilePath>();
        var seen = new HashSet<TilePath>();
        foreach (var node in nodes)
        {
            TileLayout.Locate(node, treeSize, out var tile, out _, out _);
            if (seen.Add(tile))
            {
                tiles.Add(tile);
            }
        }

        return tiles;
    }

    public static Dictionary<TilePath, MerkleHash[]> Decode(IReadOnlyList<TilePath> paths, IReadOnlyList<ReadOnlyMemory<byte>> bytes)
    {
        if (bytes.Count != paths.Count)
        {
            ThrowHelper.ThrowInvalidData($"The tile reader returned {bytes.Count} tiles for {paths.Count} requested.");
        }

        var tiles = new Dictionary<TilePath, MerkleHash[]>(paths.Count);
        for (var i = 0; i < paths.Count; i++)
        {
            tiles[paths[i]] = HashTile.Decode(paths[i], bytes[i].Span);
        }

        return tiles;
    }

    public static MerkleHash[] ResolveNodes(ProofPlan plan, long treeSize, IReadOnlyDictionary<TilePath, MerkleHash[]> tiles)
    {
        var nodes = plan.Nodes;
        var hashes = new MerkleHash[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            TileLayout.Locate(nodes[i], treeSize, out var tile, out var offset, out var count);
            hashes[i] = TileLayout.NodeFromTile(tiles[tile], offset, count);
        }

        return hashes;
    }
}
