using Attest.Log.Storage;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Log.Engine;

/// <summary>
/// Reads complete subtree hashes for proofs from the store: a node on a tile boundary level is a hash of its tile; a
/// node inside a full tile comes from the tile's stored interior (<see cref="TileInterior"/>); only a node inside a
/// partial tile at the right edge (or in a full tile written before interiors were kept) is folded from the tile's
/// hashes, and kept in <paramref name="folded"/>: a complete node never changes, and the right-edge nodes are shared by
/// every proof for the same tree size. Each tile or interior is read at most once per proof.
/// </summary>
internal sealed class StoreNodeReader(LogStore store, long storedSize, FoldedNodeCache folded) : IMerkleNodeReader
{
    private readonly Dictionary<TilePath, byte[]> _tiles = [];
    private readonly Dictionary<TilePath, byte[]?> _interiors = [];

    public void ReadNodes(ReadOnlySpan<NodeId> nodes, Span<MerkleHash> hashes)
    {
        if (hashes.Length != nodes.Length)
        {
            throw new ArgumentException($"Expected room for {nodes.Length} hashes, got {hashes.Length}.", nameof(hashes));
        }

        for (var i = 0; i < nodes.Length; i++)
        {
            TileLayout.Locate(nodes[i], storedSize, out var tile, out var offset, out var count);
            if (count == 1)
            {
                hashes[i] = MerkleHash.Read(Tile(tile).AsSpan(offset * MerkleHash.Size, MerkleHash.Size));
                continue;
            }

            var shift = System.Numerics.BitOperations.Log2((uint)count);
            if (!tile.IsPartial && Interior(tile) is { } interior)
            {
                hashes[i] = TileInterior.Node(interior, shift, offset);
                continue;
            }

            if (!folded.TryGet(nodes[i], out hashes[i]))
            {
                // The stored tile may have grown since this proof's tree size was fixed (a batch committed meanwhile);
                // narrower widths are prefixes of wider ones, so the partial tile is the prefix.
                var decoded = HashTile.Decode(tile, Tile(tile).AsSpan(0, tile.HashTileLength));
                hashes[i] = TileLayout.NodeFromTile(decoded, offset, count);
                folded.Add(nodes[i], hashes[i]);
            }
        }
    }

    private byte[] Tile(TilePath tile)
    {
        if (!_tiles.TryGetValue(tile, out var bytes))
        {
            var stored = store.GetTile(tile.Level, tile.Index);
            if (stored is null || stored.Length < tile.HashTileLength)
            {
                throw new TileNotFoundException(tile);
            }

            bytes = stored;
            _tiles[tile] = bytes;
        }

        return bytes;
    }

    private byte[]? Interior(TilePath tile)
    {
        if (!_interiors.TryGetValue(tile, out var interior))
        {
            interior = store.GetTileInterior(tile.Level, tile.Index);
            _interiors[tile] = interior;
        }

        return interior;
    }
}

/// <summary>
/// Node hashes folded from tile hashes, bounded: when full it is emptied and refills with what proofs use now (the
/// nodes at the right edge of the current tree).
/// </summary>
internal sealed class FoldedNodeCache(int capacity)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<NodeId, MerkleHash> _nodes = new();

    public bool TryGet(NodeId node, out MerkleHash hash) => _nodes.TryGetValue(node, out hash);

    public void Add(NodeId node, MerkleHash hash)
    {
        if (_nodes.Count >= capacity)
        {
            _nodes.Clear();
        }

        _nodes.TryAdd(node, hash);
    }
}
