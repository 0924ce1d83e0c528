using Attest.Transparency.Merkle;
using Attest.Transparency.Tests.Merkle;
using Attest.Transparency.Tiles;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Tiles;

public sealed class TileWriterTests
{
    private static MerkleHash[] Leaves(int count, int seed) => NaiveTree.Leaves(count, seed).Select(l => new MerkleHash(l)).ToArray();

    [Property(MaxTest = 40)]
    public void AppendLeafHashes_RandomBatches_MatchesNaiveTilesAndRoot(PositiveInt rawSize, int seed, byte[] batchSizes)
    {
        var size = rawSize.Get % 3000;
        var leaves = Leaves(size, seed);
        var writer = new TileWriter();
        var store = new MemoryTileStore();
        var at = 0;
        var b = 0;
        while (at < size)
        {
            var batch = Math.Min(size - at, batchSizes.Length == 0 ? size : 1 + batchSizes[b++ % batchSizes.Length]);
            var update = writer.AppendLeafHashes(leaves.AsSpan(at, batch));
            Assert.Equal(at, update.PreviousSize);
            at += batch;
            Assert.Equal(at, update.Size);
            Assert.Equal(TreeHasher.ComputeRoot(leaves.AsSpan(0, at)), update.Root);
            store.Apply(update);
        }

        // Every tile of the final tree is stored with exactly the expected hashes.
        for (var level = 0; level <= 1; level++)
        {
            var count = TileLayout.NodeCount(level, size);
            for (long index = 0; index << 8 < count; index++)
            {
                var tile = TileLayout.HashTile(level, index, size);
                Assert.True(store.TryGet(tile, out var bytes), tile.ToString());
                var hashes = HashTile.Decode(tile, bytes.Span);
                for (var i = 0; i < hashes.Length; i++)
                {
                    var node = new NodeId(level * 8, (index << 8) + i);
                    Assert.Equal(TreeHasher.ComputeRoot(leaves.AsSpan((int)node.FirstLeaf, (int)node.LeafCount)), hashes[i]);
                }
            }
        }
    }

    [Property(MaxTest = 40)]
    public void Resume_FromRightEdge_ContinuesIdentically(PositiveInt rawSize, PositiveInt rawMore, int seed)
    {
        var size = rawSize.Get % 70000;
        var more = rawMore.Get % 600;
        var entries = Enumerable.Range(0, size + more).Select(i => new ReadOnlyMemory<byte>(BitConverter.GetBytes(i ^ seed))).ToArray();

        var straight = new TileWriter();
        var store = new MemoryTileStore();
        store.Apply(straight.AppendEntries(entries[..size]));
        var expected = straight.AppendEntries(entries[size..]);

        var resumed = TileWriter.LoadAsync(store, size, withEntries: true, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.Equal(size, resumed.Size);
        Assert.Equal(TreeHasher.ComputeRoot(entries[..size].Select(e => e.ToArray())), resumed.ComputeRoot());
        var actual = resumed.AppendEntries(entries[size..]);
        Assert.Equal(expected.Root, actual.Root);
        Assert.Equal(expected.Tiles.Select(t => (t.Path, Convert.ToHexString(t.Bytes.Span))), actual.Tiles.Select(t => (t.Path, Convert.ToHexString(t.Bytes.Span))));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(300)]
    [InlineData(512)]
    public async Task LoadAsync_WithoutEntries_ResumesHashesAndLeavesBundleUnknown(int size)
    {
        var leaves = Leaves(size + 5, 7);
        var straight = new TileWriter();
        var store = new MemoryTileStore();
        store.Apply(straight.AppendLeafHashes(leaves[..size]));
        var expected = straight.AppendLeafHashes(leaves[size..]);

        var resumed = await TileWriter.LoadAsync(store, size, withEntries: false, CancellationToken.None);

        Assert.Equal(size, resumed.Size);
        // At a bundle boundary the partial bundle is empty, hence known; otherwise it was not read.
        Assert.Equal(size % 256 == 0, resumed.CanAppendEntries);
        Assert.Equal(expected.Root, resumed.AppendLeafHashes(leaves[size..]).Root);
    }

    [Fact]
    public void Resume_WrongTileCountOrLength_Throws()
    {
        var writer = new TileWriter();
        var update = writer.AppendLeafHashes(Leaves(300, 1));
        var partials = update.Tiles.Where(t => t.Path.IsPartial).OrderByDescending(t => t.Path.Level).Select(t => t.Bytes).ToArray();
        Assert.Equal(300, TileWriter.Resume(300, partials).Size);
        Assert.Throws<ArgumentException>(() => TileWriter.Resume(300, partials[..1]));
        Assert.Throws<InvalidDataException>(() => TileWriter.Resume(300, [partials[0], partials[1][..32]]));
        Assert.Throws<InvalidDataException>(() => TileWriter.Resume(300, partials, new byte[] { 0, 5 }));
    }

    [Fact]
    public void AppendEntries_WithoutKnownBundle_Throws()
    {
        var writer = new TileWriter();
        var update = writer.AppendLeafHashes(Leaves(3, 1));
        var resumed = TileWriter.Resume(3, [update.Tiles[0].Bytes]);
        Assert.False(resumed.CanAppendEntries);
        Assert.Throws<InvalidOperationException>(() => resumed.AppendEntries([new byte[] { 1 }]));
        Assert.Throws<InvalidOperationException>(() => writer.AppendEntries([new byte[] { 1 }]));
    }

    [Fact]
    public void AppendEntries_TooLongEntry_ThrowsAndChangesNothing()
    {
        var writer = new TileWriter();
        writer.AppendEntries([new byte[] { 1 }]);
        var root = writer.ComputeRoot();
        Assert.Throws<ArgumentException>(() => writer.AppendEntries([new byte[] { 2 }, new byte[65536]]));
        Assert.Equal(1, writer.Size);
        Assert.Equal(root, writer.ComputeRoot());
    }

    [Fact]
    public void AppendLeafHashes_CrossingLevelTwo_EmitsEveryChangedTile()
    {
        var writer = new TileWriter();
        writer.AppendLeafHashes(Leaves(65535, 2));
        var update = writer.AppendLeafHashes(Leaves(2, 3));
        Assert.Equal(
            ["tile/0/255", "tile/1/000", "tile/0/256.p/1", "tile/2/000.p/1"],
            update.Tiles.Select(t => t.Path.ToString()));
    }
}
