using Attest.Log.Engine;
using Attest.Log.Storage;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Log.Tests.Engine;

public sealed class StoreNodeReaderTests
{
    [Fact]
    public void ReadNodes_TileFilledAfterTreeSizeWasFixed_FoldsFromThePartialPrefix()
    {
        // A proof fixes its tree size (200: tile 0/000 partial), then a batch fills the tile before the proof reads it.
        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);
        var full = new byte[TilePath.FullWidth * MerkleHash.Size];
        new Random(7).NextBytes(full);
        using (var batch = store.CreateBatch())
        {
            batch.PutTile(0, 0, full);
            store.Commit(batch);
        }

        var reader = new StoreNodeReader(store, 200, new FoldedNodeCache(16));
        NodeId[] nodes = [new NodeId(2, 3), new NodeId(0, 199)];
        var hashes = new MerkleHash[nodes.Length];

        reader.ReadNodes(nodes, hashes);

        var leaves = HashTile.Decode(TilePath.Hash(0, 0), full);
        Assert.Equal(TileLayout.NodeFromTile(leaves, 12, 4), hashes[0]);
        Assert.Equal(leaves[199], hashes[1]);
    }
}
