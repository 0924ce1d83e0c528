using Attest.Transparency.Merkle;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Merkle;

public sealed class TreeHasherTests
{
    [Fact]
    public void EmptyRoot_IsSha256OfNothing()
    {
        // RFC 9162 §2.1.1; the well-known value e3b0c442...b855.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TreeHasher.EmptyRoot.ToHex());
        Assert.Equal(TreeHasher.EmptyRoot, TreeHasher.ComputeRoot(ReadOnlySpan<MerkleHash>.Empty));
    }

    [Fact]
    public void HashLeaf_EmptyEntry_MatchesVectorLeafHash()
    {
        // transparency-dev/merkle uses the leaf hash of the empty entry as leaf 0 in its vectors.
        Assert.Equal("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", TreeHasher.HashLeaf([]).ToBase64());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(100_000)]
    public void HashLeaf_AnyLength_MatchesNaive(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => unchecked((byte)(i * 7))).ToArray();
        Assert.Equal(NaiveTree.Leaf(data), TreeHasher.HashLeaf(data).ToArray());
    }

    [Fact]
    public void HashChildren_MatchesNaiveAndIsOrdered()
    {
        var a = TreeHasher.HashLeaf([1]);
        var b = TreeHasher.HashLeaf([2]);
        Assert.Equal(NaiveTree.Node(a.ToArray(), b.ToArray()), TreeHasher.HashChildren(a, b).ToArray());
        Assert.NotEqual(TreeHasher.HashChildren(a, b), TreeHasher.HashChildren(b, a));
    }

    [Property(MaxTest = 100)]
    public bool ComputeRoot_RandomSize_MatchesNaive(byte size, int seed)
    {
        var leaves = NaiveTree.Leaves(size, seed);
        var hashes = leaves.Select(l => new MerkleHash(l)).ToArray();
        return TreeHasher.ComputeRoot(hashes).ToArray().AsSpan().SequenceEqual(NaiveTree.Mth(leaves));
    }

    [Fact]
    public void ComputeRoot_Entries_HashesEachAsLeaf()
    {
        byte[][] entries = [[], [0], [0x10]];
        var expected = NaiveTree.Mth(entries.Select(NaiveTree.Leaf).ToArray());
        Assert.Equal(expected, TreeHasher.ComputeRoot(entries).ToArray());
    }
}
