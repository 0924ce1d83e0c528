using Attest.Log.Engine;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Log.Tests.Engine;

public sealed class TileInteriorTests
{
    private static byte[] FullTile(int seed)
    {
        var random = new Random(seed);
        var tile = new byte[TilePath.FullWidth * MerkleHash.Size];
        random.NextBytes(tile);
        return tile;
    }

    [Fact]
    public void Node_EveryInteriorNodeOfFullTile_EqualsRootOfItsHashes()
    {
        var tile = FullTile(1);
        var hashes = HashTile.Decode(TilePath.Hash(0, 0), tile);
        var interior = TileInterior.Compute(tile);

        Assert.Equal(TileInterior.Length, interior.Length);
        for (var shift = 1; shift < TilePath.Height; shift++)
        {
            var count = 1 << shift;
            for (var offset = 0; offset < TilePath.FullWidth; offset += count)
            {
                Assert.Equal(TileLayout.NodeFromTile(hashes, offset, count), TileInterior.Node(interior, shift, offset));
            }
        }
    }

    [Fact]
    public void Compute_PartialTile_Throws()
    {
        var partial = new byte[255 * MerkleHash.Size];

        Assert.Throws<ArgumentException>(() => TileInterior.Compute(partial));
    }

    [Fact]
    public void Node_TruncatedInterior_ThrowsInvalidData()
    {
        var interior = TileInterior.Compute(FullTile(2));

        Assert.Throws<InvalidDataException>(() => TileInterior.Node(interior.AsSpan(0, interior.Length - 1), 1, 0));
    }
}

public sealed class FoldedNodeCacheTests
{
    [Fact]
    public void Add_BeyondCapacity_StaysBoundedAndKeepsNewest()
    {
        var cache = new FoldedNodeCache(4);
        for (var i = 0; i < 10; i++)
        {
            cache.Add(new NodeId(3, i), TreeHasher.HashLeaf([(byte)i]));
        }

        var held = Enumerable.Range(0, 10).Count(i => cache.TryGet(new NodeId(3, i), out _));
        Assert.InRange(held, 1, 4);
        Assert.True(cache.TryGet(new NodeId(3, 9), out var newest));
        Assert.Equal(TreeHasher.HashLeaf([9]), newest);
        Assert.False(cache.TryGet(new NodeId(4, 9), out _));
    }
}
