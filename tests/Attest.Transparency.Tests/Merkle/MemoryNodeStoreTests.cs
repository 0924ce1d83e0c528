using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tests.Merkle;

public sealed class MemoryNodeStoreTests
{
    [Fact]
    public void StoredHashIndex_FirstNodes_FollowTlogLayout()
    {
        // Leaf 0, leaf 1, node (1,0), leaf 2, leaf 3, node (1,1), node (2,0), leaf 4.
        Assert.Equal(0, MemoryNodeStore.StoredHashIndex(new NodeId(0, 0)));
        Assert.Equal(1, MemoryNodeStore.StoredHashIndex(new NodeId(0, 1)));
        Assert.Equal(2, MemoryNodeStore.StoredHashIndex(new NodeId(1, 0)));
        Assert.Equal(3, MemoryNodeStore.StoredHashIndex(new NodeId(0, 2)));
        Assert.Equal(5, MemoryNodeStore.StoredHashIndex(new NodeId(1, 1)));
        Assert.Equal(6, MemoryNodeStore.StoredHashIndex(new NodeId(2, 0)));
        Assert.Equal(7, MemoryNodeStore.StoredHashIndex(new NodeId(0, 4)));
    }

    [Fact]
    public void Append_ManyLeaves_EveryNodeMatchesNaiveAndCountIsExact()
    {
        var leaves = NaiveTree.Leaves(70);
        var store = new MemoryNodeStore();
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        Assert.Equal(MemoryNodeStore.StoredHashCountFor(70), store.StoredHashCount);
        for (var level = 0; level < 7; level++)
        {
            for (long index = 0; (index + 1) << level <= 70; index++)
            {
                var node = new NodeId(level, index);
                var expected = NaiveTree.Mth(leaves.AsSpan((int)node.FirstLeaf, (int)node.LeafCount));
                Assert.Equal(expected, store.ReadNode(node).ToArray());
            }
        }
    }

    [Fact]
    public void ReadNode_IncompleteNode_Throws()
    {
        var store = new MemoryNodeStore();
        store.AppendEntry([1]);
        store.AppendEntry([2]);
        store.AppendEntry([3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadNode(new NodeId(1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadNode(new NodeId(0, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadNode(new NodeId(-1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.InclusionProof(store, 0, 4));
    }

    [Fact]
    public void RootAt_EveryPastSize_MatchesNaive()
    {
        var leaves = NaiveTree.Leaves(40);
        var store = new MemoryNodeStore();
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        for (var size = 0; size <= 40; size++)
        {
            Assert.Equal(NaiveTree.Mth(leaves.AsSpan(0, size)), ProofPlan.RootAt(store, size).ToArray());
        }
    }

    [Fact]
    public void ProofPlan_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForConsistency(5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForConsistency(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForInclusion(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForRoot(-1));
        Assert.Throws<ArgumentException>(() => ProofPlan.ForInclusion(0, 8).Assemble(new MerkleHash[2]));
        Assert.Equal(0, ProofPlan.ForConsistency(0, 9).ElementCount);
        Assert.Equal(0, ProofPlan.ForConsistency(9, 9).ElementCount);
    }

    [Fact]
    public void ProofPlan_HugeTree_NeedsOnlyLogarithmicNodes()
    {
        var size = (1L << 62) + 12345;
        var inclusion = ProofPlan.ForInclusion(size - 1, size);
        Assert.InRange(inclusion.ElementCount, 1, 63);
        Assert.InRange(inclusion.Nodes.Length, 1, 2 * 63);
        var consistency = ProofPlan.ForConsistency(size / 3, size);
        Assert.InRange(consistency.Nodes.Length, 1, 2 * 63);
    }
}
