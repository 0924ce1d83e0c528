using Attest.Transparency.Merkle;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Merkle;

/// <summary>
/// Subtree proofs (Merkle Tree Certificates) over random trees and random valid subtrees: generation equals the naive
/// recursion, the proof verifies, and every mutation fails.
/// </summary>
public sealed class SubtreeProofPropertyTests
{
    [Property(MaxTest = 200)]
    public void SubtreeConsistency_RandomSubtree_MatchesNaiveVerifiesAndRejectsMutations(PositiveInt rawSize, NonNegativeInt rawStart, NonNegativeInt rawLevel, NonNegativeInt pick, int seed)
    {
        var size = 1 + (rawSize.Get % 300);
        var leaves = NaiveTree.Leaves(size, seed);
        var store = new MemoryNodeStore();
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        var (start, end) = RandomSubtree(size, rawStart.Get, rawLevel.Get, pick.Get);
        var proof = ProofPlan.ForSubtreeConsistency(start, end, size).Execute(store);
        Assert.Equal(NaiveTree.SubtreeProof(start, end, leaves), proof.Select(h => h.ToArray()));

        var subtreeHash = new MerkleHash(NaiveTree.Mth(leaves.AsSpan(start, end - start)));
        var root = store.ComputeRoot();
        Assert.Equal(ProofVerdict.Valid, MerkleProof.VerifySubtreeConsistency(start, end, size, subtreeHash, root, proof));

        var extra = TreeHasher.HashLeaf(BitConverter.GetBytes(pick.Get));
        Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, root, [.. proof, extra]));
        Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, root, [extra, .. proof]));
        Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, Flip(subtreeHash, pick.Get), root, proof));
        Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, Flip(root, pick.Get), proof));
        if (proof.Length > 0)
        {
            var at = pick.Get % proof.Length;
            var flipped = (MerkleHash[])proof.Clone();
            flipped[at] = Flip(flipped[at], pick.Get);
            Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, root, flipped));
            Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, root, proof[..^1]));
            if (proof.Length > 1)
            {
                var swapped = (MerkleHash[])proof.Clone();
                (swapped[0], swapped[^1]) = (swapped[^1], swapped[0]);
                Assert.False(MerkleProof.IsValidSubtreeConsistency(start, end, size, subtreeHash, root, swapped));
            }
        }

        // Another valid subtree with its real hash must not accept this proof.
        var (otherStart, otherEnd) = RandomSubtree(size, rawStart.Get + 1 + pick.Get, rawLevel.Get + 1, pick.Get + 3);
        if ((otherStart, otherEnd) != (start, end))
        {
            var otherHash = new MerkleHash(NaiveTree.Mth(leaves.AsSpan(otherStart, otherEnd - otherStart)));
            var otherProof = ProofPlan.ForSubtreeConsistency(otherStart, otherEnd, size).Execute(store);
            if (!otherProof.AsSpan().SequenceEqual(proof))
            {
                Assert.False(MerkleProof.IsValidSubtreeConsistency(otherStart, otherEnd, size, otherHash, root, proof), $"[{otherStart}, {otherEnd}) instead of [{start}, {end})");
            }
        }
    }

    [Property(MaxTest = 200)]
    public void SubtreeInclusion_RandomSubtree_MatchesNaiveAndVerifies(PositiveInt rawSize, NonNegativeInt rawStart, NonNegativeInt rawLevel, NonNegativeInt pick, int seed)
    {
        var size = 1 + (rawSize.Get % 300);
        var leaves = NaiveTree.Leaves(size, seed);
        var store = new MemoryNodeStore();
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        var (start, end) = RandomSubtree(size, rawStart.Get, rawLevel.Get, pick.Get);
        var index = start + (pick.Get % (end - start));
        var proof = ProofPlan.ForSubtreeInclusion(index, start, end).Execute(store);
        Assert.Equal(NaiveTree.Path(index - start, leaves.AsSpan(start, end - start)), proof.Select(h => h.ToArray()));
        var subtreeHash = new MerkleHash(NaiveTree.Mth(leaves.AsSpan(start, end - start)));
        Assert.True(MerkleProof.VerifySubtreeInclusion(index, start, end, new MerkleHash(leaves[index]), proof, subtreeHash).IsValid);
        if (end - start > 1)
        {
            var other = start + ((index - start + 1) % (end - start));
            Assert.False(MerkleProof.VerifySubtreeInclusion(other, start, end, new MerkleHash(leaves[index]), proof, subtreeHash).IsValid);
        }
    }

    [Fact]
    public void ForSubtreeConsistency_InvalidSubtree_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForSubtreeConsistency(3, 5, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForSubtreeConsistency(4, 4, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForSubtreeConsistency(8, 12, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProofPlan.ForSubtreeInclusion(3, 4, 8));
    }

    // A valid subtree [start, end) of a tree of the given size: start aligned to 2^level, end - start in (2^(level-1), 2^level].
    private static (int Start, int End) RandomSubtree(int size, int rawStart, int rawLevel, int pick)
    {
        var maxLevel = 0;
        while ((1 << (maxLevel + 1)) <= size)
        {
            maxLevel++;
        }

        var level = rawLevel % (maxLevel + 1);
        var width = 1 << level;
        var slots = ((size - 1) / width) + 1;
        var start = (rawStart % slots) * width;
        var maxLength = Math.Min(width, size - start);
        var minLength = Math.Min(maxLength, (width / 2) + 1);
        var length = minLength + (pick % (maxLength - minLength + 1));
        return (start, start + length);
    }

    private static MerkleHash Flip(MerkleHash hash, int bit)
    {
        var bytes = hash.ToArray();
        bytes[(bit / 8) % MerkleHash.Size] ^= (byte)(1 << (bit % 8));
        return new MerkleHash(bytes);
    }
}
