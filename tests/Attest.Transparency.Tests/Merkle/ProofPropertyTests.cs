using Attest.Transparency.Merkle;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Merkle;

/// <summary>
/// Property tests over random tree sizes: every proof generated from the node store equals the naive RFC 9162
/// recursion's and verifies; every mutation of it (flipped bit, wrong index, wrong size, wrong root, truncated,
/// padded, reordered) fails.
/// </summary>
public sealed class ProofPropertyTests
{
    private const int MaxSize = 300;

    [Property(MaxTest = 150)]
    public void InclusionProof_RandomTree_MatchesNaiveAndVerifies(PositiveInt rawSize, NonNegativeInt rawIndex, int seed)
    {
        var (leaves, store) = Build(rawSize, seed);
        var size = leaves.Length;
        var index = rawIndex.Get % size;

        var proof = ProofPlan.InclusionProof(store, index, size);
        var naive = NaiveTree.Path(index, leaves);
        Assert.Equal(naive, proof.Select(h => h.ToArray()));

        var root = new MerkleHash(NaiveTree.Mth(leaves));
        Assert.Equal(root, store.ComputeRoot());
        Assert.Equal(ProofVerdict.Valid, MerkleProof.VerifyInclusion(index, size, new MerkleHash(leaves[index]), proof, root));
    }

    [Property(MaxTest = 150)]
    public void InclusionProof_AnyMutation_Fails(PositiveInt rawSize, NonNegativeInt rawIndex, NonNegativeInt pick, int seed)
    {
        var (leaves, store) = Build(rawSize, seed);
        var size = leaves.Length;
        var index = rawIndex.Get % size;
        var leaf = new MerkleHash(leaves[index]);
        var root = store.ComputeRoot();
        var proof = ProofPlan.InclusionProof(store, index, size);

        foreach (var (what, mutated) in ProofMutations(proof, pick.Get))
        {
            Assert.False(MerkleProof.IsValidInclusion(index, size, leaf, mutated, root), what);
        }

        // Wrong index: any other index of the same tree, and out-of-range indices.
        if (size > 1)
        {
            var other = (index + 1 + (pick.Get % (size - 1))) % size;
            Assert.False(MerkleProof.IsValidInclusion(other, size, leaf, proof, root), $"index {other} instead of {index}");
        }

        Assert.Equal(ProofFailure.IndexOutOfRange, MerkleProof.VerifyInclusion(size, size, leaf, proof, root).Failure);
        Assert.Equal(ProofFailure.NegativeValue, MerkleProof.VerifyInclusion(-1, size, leaf, proof, root).Failure);

        // Wrong size: the proof checked against another size's real root.
        var otherSize = 1 + ((size + (pick.Get % MaxSize)) % MaxSize);
        if (otherSize != size && index < otherSize)
        {
            var otherRoot = new MerkleHash(NaiveTree.Mth(leaves.AsSpan(0, Math.Min(otherSize, size))));
            if (otherSize > size)
            {
                otherRoot = new MerkleHash(NaiveTree.Mth(NaiveTree.Leaves(otherSize, seed)));
            }

            Assert.False(MerkleProof.IsValidInclusion(index, otherSize, leaf, proof, otherRoot), $"size {otherSize} instead of {size}");
        }

        // Wrong root and wrong leaf.
        Assert.Equal(ProofFailure.WrongRoot, MerkleProof.VerifyInclusion(index, size, leaf, proof, Flip(root, pick.Get)).Failure);
        Assert.False(MerkleProof.IsValidInclusion(index, size, Flip(leaf, pick.Get), proof, root));
    }

    [Property(MaxTest = 150)]
    public void ConsistencyProof_RandomSizes_MatchesNaiveAndVerifies(PositiveInt rawSize, NonNegativeInt rawOld, int seed)
    {
        var (leaves, store) = Build(rawSize, seed);
        var size2 = leaves.Length;
        var size1 = rawOld.Get % (size2 + 1);

        var proof = ProofPlan.ConsistencyProof(store, size1, size2);
        if (size1 > 0 && size1 < size2)
        {
            Assert.Equal(NaiveTree.Proof(size1, leaves), proof.Select(h => h.ToArray()));
        }
        else
        {
            Assert.Empty(proof);
        }

        var root1 = new MerkleHash(NaiveTree.Mth(leaves.AsSpan(0, size1)));
        var root2 = new MerkleHash(NaiveTree.Mth(leaves));
        Assert.Equal(root1, ProofPlan.RootAt(store, size1));
        Assert.Equal(ProofVerdict.Valid, MerkleProof.VerifyConsistency(size1, size2, root1, root2, proof));
    }

    [Property(MaxTest = 150)]
    public void ConsistencyProof_AnyMutation_Fails(PositiveInt rawSize, NonNegativeInt rawOld, NonNegativeInt pick, int seed)
    {
        var (leaves, store) = Build(rawSize, seed);
        var size2 = leaves.Length;
        var size1 = rawOld.Get % (size2 + 1);
        var root1 = ProofPlan.RootAt(store, size1);
        var root2 = store.ComputeRoot();
        var proof = ProofPlan.ConsistencyProof(store, size1, size2);

        foreach (var (what, mutated) in ProofMutations(proof, pick.Get))
        {
            Assert.False(MerkleProof.IsValidConsistency(size1, size2, root1, root2, mutated), what);
        }

        // Wrong roots. From size 0 every second tree is consistent (policy, see MerkleProof), so root2 is not bound.
        if (size1 > 0)
        {
            Assert.False(MerkleProof.IsValidConsistency(size1, size2, root1, Flip(root2, pick.Get), proof));
        }

        Assert.False(MerkleProof.IsValidConsistency(size1, size2, Flip(root1, pick.Get), root2, proof));

        // Wrong first size, with that size's real root.
        var otherSize1 = pick.Get % (size2 + 1);
        // An empty proof is the right proof for both size1 = 0 and size1 = size2, so those are not mutations of it.
        if (otherSize1 != size1 && !(proof.Length == 0 && (otherSize1 == 0 || otherSize1 == size2)))
        {
            var otherRoot1 = ProofPlan.RootAt(store, otherSize1);
            Assert.False(MerkleProof.IsValidConsistency(otherSize1, size2, otherRoot1, root2, proof), $"size1 {otherSize1} instead of {size1}");
        }

        // Wrong second size, with that size's real root (from a longer tree with the same prefix).
        var otherSize2 = size1 + (pick.Get % MaxSize);
        if (otherSize2 != size2 && otherSize2 > size1 && size1 > 0)
        {
            var longer = NaiveTree.Leaves(Math.Max(otherSize2, size2), seed);
            var otherRoot2 = new MerkleHash(NaiveTree.Mth(longer.AsSpan(0, otherSize2)));
            Assert.False(MerkleProof.IsValidConsistency(size1, otherSize2, root1, otherRoot2, proof), $"size2 {otherSize2} instead of {size2}");
        }

        Assert.Equal(ProofFailure.SizesOutOfOrder, MerkleProof.VerifyConsistency(size2 + 1, size2, root2, root2, proof).Failure);
    }

    [Fact]
    public void VerifyInclusion_ProofForOtherIndexWithSameLength_FailsWithWrongRoot()
    {
        // STYLE.md: a verifier that skips the index checks accepts a proof for the wrong index.
        var store = new MemoryNodeStore();
        var leaves = NaiveTree.Leaves(8);
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        var root = store.ComputeRoot();
        var proof = ProofPlan.InclusionProof(store, 2, 8);
        Assert.True(MerkleProof.IsValidInclusion(2, 8, new MerkleHash(leaves[2]), proof, root));
        for (var other = 0; other < 8; other++)
        {
            if (other != 2)
            {
                Assert.Equal(ProofFailure.WrongRoot, MerkleProof.VerifyInclusion(other, 8, new MerkleHash(leaves[2]), proof, root).Failure);
            }
        }
    }

    [Fact]
    public void VerifyInclusion_LengthErrors_NameTheProblem()
    {
        var store = new MemoryNodeStore();
        foreach (var leaf in NaiveTree.Leaves(5))
        {
            store.Append(new MerkleHash(leaf));
        }

        var root = store.ComputeRoot();
        var leaf0 = store.ReadNode(new NodeId(0, 0));
        var proof = ProofPlan.InclusionProof(store, 0, 5);
        Assert.Equal(3, proof.Length);
        Assert.Equal(ProofFailure.ProofTooShort, MerkleProof.VerifyInclusion(0, 5, leaf0, proof.AsSpan(0, 2), root).Failure);
        Assert.Equal(ProofFailure.ProofTooLong, MerkleProof.VerifyInclusion(0, 5, leaf0, [.. proof, root], root).Failure);
        Assert.Equal(ProofFailure.ProofTooLong, MerkleProof.VerifyInclusion(0, 1, leaf0, [root], leaf0).Failure);
        Assert.True(MerkleProof.IsValidInclusion(0, 1, leaf0, [], leaf0));
    }

    private static (byte[][] Leaves, MemoryNodeStore Store) Build(PositiveInt rawSize, int seed)
    {
        var size = 1 + ((rawSize.Get - 1) % MaxSize);
        var leaves = NaiveTree.Leaves(size, seed);
        var store = new MemoryNodeStore();
        foreach (var leaf in leaves)
        {
            store.Append(new MerkleHash(leaf));
        }

        return (leaves, store);
    }

    private static MerkleHash Flip(MerkleHash hash, int bit)
    {
        var bytes = hash.ToArray();
        bytes[(bit / 8) % MerkleHash.Size] ^= (byte)(1 << (bit % 8));
        return new MerkleHash(bytes);
    }

    private static IEnumerable<(string What, MerkleHash[] Proof)> ProofMutations(MerkleHash[] proof, int pick)
    {
        var extra = TreeHasher.HashLeaf(BitConverter.GetBytes(pick));
        yield return ("padded at the end", [.. proof, extra]);
        yield return ("padded at the start", [extra, .. proof]);
        if (proof.Length == 0)
        {
            yield break;
        }

        var at = pick % proof.Length;
        var flipped = (MerkleHash[])proof.Clone();
        flipped[at] = Flip(flipped[at], pick);
        yield return ($"bit flipped in element {at}", flipped);
        yield return ("truncated at the end", proof[..^1]);
        yield return ("truncated at the start", proof[1..]);
        yield return ("duplicated element", [.. proof[..(at + 1)], proof[at], .. proof[(at + 1)..]]);
        if (proof.Length > 1)
        {
            var swapped = (MerkleHash[])proof.Clone();
            var other = (at + 1) % proof.Length;
            (swapped[at], swapped[other]) = (swapped[other], swapped[at]);
            yield return ($"elements {at} and {other} swapped", swapped);
        }
    }
}
