using Attest.Transparency.Merkle;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Merkle;

public sealed class CompactTreeTests
{
    [Fact]
    public void ComputeRoot_Empty_IsEmptyRoot()
    {
        var tree = new CompactTree();
        Assert.Equal(0, tree.Size);
        Assert.Equal(TreeHasher.EmptyRoot, tree.ComputeRoot());
        Assert.Equal(new byte[8], tree.Serialize());
    }

    [Property(MaxTest = 60)]
    public void Append_EachSize_RootMatchesNaive(byte count, int seed)
    {
        var leaves = NaiveTree.Leaves(count, seed);
        var tree = new CompactTree();
        for (var i = 0; i < leaves.Length; i++)
        {
            tree.Append(new MerkleHash(leaves[i]));
            Assert.Equal(NaiveTree.Mth(leaves.AsSpan(0, i + 1)), tree.ComputeRoot().ToArray());
            Assert.Equal(System.Numerics.BitOperations.PopCount((ulong)(i + 1)), tree.Peaks.Length);
        }
    }

    [Fact]
    public void Append_WithCompletedBuffer_ReportsStoredHashes()
    {
        var tree = new CompactTree();
        var completed = new MerkleHash[64];
        var leaves = NaiveTree.Leaves(4);
        Assert.Equal(1, tree.Append(new MerkleHash(leaves[0]), completed));
        Assert.Equal(2, tree.Append(new MerkleHash(leaves[1]), completed));
        Assert.Equal(NaiveTree.Node(leaves[0], leaves[1]), completed[1].ToArray());
        Assert.Equal(1, tree.Append(new MerkleHash(leaves[2]), completed));
        Assert.Equal(3, tree.Append(new MerkleHash(leaves[3]), completed));
        Assert.Equal(NaiveTree.Mth(leaves), completed[2].ToArray());
        Assert.Throws<ArgumentException>(() => tree.Append(new MerkleHash(leaves[0]), new MerkleHash[3]));
    }

    [Property(MaxTest = 60)]
    public void Serialize_Deserialize_RoundTripsAndContinues(PositiveInt rawCount, int seed)
    {
        var count = rawCount.Get % 1000;
        var leaves = NaiveTree.Leaves(count + 3, seed);
        var tree = new CompactTree();
        foreach (var leaf in leaves.Take(count))
        {
            tree.Append(new MerkleHash(leaf));
        }

        var bytes = tree.Serialize();
        Assert.Equal(tree.SerializedLength, bytes.Length);
        var copy = CompactTree.Deserialize(bytes);
        Assert.Equal(tree.Size, copy.Size);
        Assert.Equal(tree.ComputeRoot(), copy.ComputeRoot());
        foreach (var leaf in leaves.Skip(count))
        {
            copy.Append(new MerkleHash(leaf));
        }

        Assert.Equal(NaiveTree.Mth(leaves), copy.ComputeRoot().ToArray());
        Assert.Equal(count, tree.Size);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00000000000000")]
    [InlineData("8000000000000000")]
    [InlineData("0000000000000001")]
    [InlineData("000000000000000000")]
    public void TryDeserialize_Malformed_ReturnsFalse(string hex)
    {
        Assert.False(CompactTree.TryDeserialize(Convert.FromHexString(hex), out _));
        Assert.Throws<InvalidDataException>(() => CompactTree.Deserialize(Convert.FromHexString(hex)));
    }

    [Property(MaxTest = 200)]
    public void TryDeserialize_RandomBytes_NeverThrows(byte[] bytes)
    {
        if (CompactTree.TryDeserialize(bytes, out var tree))
        {
            Assert.Equal(bytes, tree.Serialize());
        }
    }

    [Fact]
    public void FromPeaks_WrongCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => CompactTree.FromPeaks(3, [TreeHasher.EmptyRoot]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CompactTree.FromPeaks(-1, []));
    }

    [Fact]
    public void FromNodeStore_PastSize_MatchesPastRoot()
    {
        var store = new MemoryNodeStore();
        var leaves = NaiveTree.Leaves(77);
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        var past = CompactTree.FromNodeStore(store, 45);
        Assert.Equal(NaiveTree.Mth(leaves.AsSpan(0, 45)), past.ComputeRoot().ToArray());
        Assert.Equal(new[] { new NodeId(5, 0), new NodeId(3, 4), new NodeId(2, 10), new NodeId(0, 44) }, past.PeakIds());
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var tree = new CompactTree();
        tree.AppendEntry([1]);
        var clone = tree.Clone();
        tree.AppendEntry([2]);
        Assert.Equal(1, clone.Size);
        Assert.Equal(TreeHasher.HashLeaf([1]), clone.ComputeRoot());
    }
}
