using System.Numerics;

namespace Attest.Transparency.Merkle;

/// <summary>
/// Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs, following the RFC's algorithms
/// step by step including every index and length check. Verifiers never throw on hostile input; they return a
/// <see cref="ProofVerdict"/>.
/// </summary>
/// <remarks>
/// Policy beyond RFC 9162 (which only covers 0 &lt; first &lt; second for consistency):
/// a consistency proof between equal sizes must be empty and the roots equal; a consistency proof from size 0 must be
/// empty and the first root must be the empty-tree root, and is then valid for any second tree
/// (c2sp.org/tlog-witness relies on this; transparency-dev/merkle rejects it).
/// </remarks>
public static class MerkleProof
{
    /// <summary>The longest possible proof: one hash per level of a tree of at most 2^63 leaves.</summary>
    public const int MaxProofLength = 64;

    /// <summary>Verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the tree of <paramref name="treeSize"/> leaves with <paramref name="root"/> (RFC 9162 §2.1.3.2).</summary>
    /// <param name="index">The claimed leaf index.</param>
    /// <param name="treeSize">The size of the tree the root belongs to.</param>
    /// <param name="leafHash">The leaf hash, <c>SHA-256(0x00 || entry)</c>.</param>
    /// <param name="proof">The audit path, deepest sibling first.</param>
    /// <param name="root">The claimed root of the tree.</param>
    public static ProofVerdict VerifyInclusion(long index, long treeSize, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, in MerkleHash root)
    {
        var failure = TryRootFromInclusion(index, treeSize, leafHash, proof, out var computed);
        if (failure != ProofFailure.None)
        {
            return new ProofVerdict(failure);
        }

        return computed == root ? ProofVerdict.Valid : new ProofVerdict(ProofFailure.WrongRoot);
    }

    /// <summary>Convenience form of <see cref="VerifyInclusion"/>.</summary>
    /// <returns><see langword="true"/> when the proof verifies.</returns>
    public static bool IsValidInclusion(long index, long treeSize, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, in MerkleHash root) =>
        VerifyInclusion(index, treeSize, leafHash, proof, root).IsValid;

    /// <summary>
    /// Computes the root that an inclusion proof leads to, after the RFC 9162 §2.1.3.2 index and length checks.
    /// </summary>
    /// <param name="index">The leaf index.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="leafHash">The leaf hash.</param>
    /// <param name="proof">The audit path.</param>
    /// <param name="root">The computed root, or the default value on failure.</param>
    /// <returns><see cref="ProofFailure.None"/>, or why the proof is malformed for this index and size.</returns>
    public static ProofFailure TryRootFromInclusion(long index, long treeSize, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, out MerkleHash root)
    {
        root = default;
        if (index < 0 || treeSize < 0)
        {
            return ProofFailure.NegativeValue;
        }

        // Step 1.
        if (index >= treeSize)
        {
            return ProofFailure.IndexOutOfRange;
        }

        // Step 2.
        var fn = index;
        var sn = treeSize - 1;

        // Step 3.
        var r = leafHash;

        // Step 4.
        foreach (ref readonly var p in proof)
        {
            // 4a.
            if (sn == 0)
            {
                return ProofFailure.ProofTooLong;
            }

            // 4b.
            if ((fn & 1) == 1 || fn == sn)
            {
                r = TreeHasher.HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    // fn == sn > 0 here (4a/6a rule out sn == 0), so the shift count is below 63.
                    var shift = BitOperations.TrailingZeroCount(fn);
                    fn >>= shift;
                    sn >>= shift;
                }
            }
            else
            {
                r = TreeHasher.HashChildren(r, p);
            }

            // 4c.
            fn >>= 1;
            sn >>= 1;
        }

        // Step 5.
        if (sn != 0)
        {
            return ProofFailure.ProofTooShort;
        }

        root = r;
        return ProofFailure.None;
    }

    /// <summary>
    /// Verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the subtree over leaves
    /// <c>[start, end)</c> whose hash is <paramref name="subtreeHash"/> (the subtree inclusion proofs of Merkle Tree
    /// Certificates and transparency-dev/merkle). A valid subtree has <c>start &lt; end</c> and <c>start</c> a
    /// multiple of <c>end − start</c> rounded up to a power of two; its hash is then the RFC 9162 root of its leaves,
    /// so the proof is an RFC 9162 §2.1.3.2 inclusion proof of leaf <c>index − start</c> in a tree of <c>end − start</c> leaves.
    /// </summary>
    /// <param name="index">The leaf index in the whole tree.</param>
    /// <param name="start">The first leaf of the subtree.</param>
    /// <param name="end">One past the last leaf of the subtree.</param>
    /// <param name="leafHash">The leaf hash.</param>
    /// <param name="proof">The audit path within the subtree.</param>
    /// <param name="subtreeHash">The claimed hash of the subtree.</param>
    public static ProofVerdict VerifySubtreeInclusion(long index, long start, long end, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, in MerkleHash subtreeHash)
    {
        if (index < 0 || start < 0 || end < 0)
        {
            return new ProofVerdict(ProofFailure.NegativeValue);
        }

        // end - start is below 2^63, so the rounded-up power of two fits in a ulong.
        if (start >= end || ((ulong)start & (BitOperations.RoundUpToPowerOf2((ulong)(end - start)) - 1)) != 0)
        {
            return new ProofVerdict(ProofFailure.InvalidSubtree);
        }

        if (index < start || index >= end)
        {
            return new ProofVerdict(ProofFailure.IndexOutOfRange);
        }

        return VerifyInclusion(index - start, end - start, leafHash, proof, subtreeHash);
    }

    /// <summary>
    /// Verifies that the subtree over leaves <c>[start, end)</c> with hash <paramref name="subtreeHash"/> is part of
    /// the tree of <paramref name="treeSize"/> leaves with <paramref name="root"/> (subtree consistency proofs of
    /// Merkle Tree Certificates and transparency-dev/merkle). For <c>start = 0</c> this is exactly
    /// <see cref="VerifyConsistency"/> from <c>end</c>; an empty subtree (<c>start = end</c>) must have the empty root
    /// and an empty proof, mirroring the policy for consistency from size 0.
    /// </summary>
    /// <param name="start">The subtree's first leaf.</param>
    /// <param name="end">One past the subtree's last leaf.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="subtreeHash">The claimed hash of the subtree.</param>
    /// <param name="root">The claimed root of the tree.</param>
    /// <param name="proof">The proof, as planned by <see cref="ProofPlan.ForSubtreeConsistency"/>.</param>
    /// <remarks>
    /// For <c>start &gt; 0</c> the proof's shape (the leaf range each hash covers) is derived from
    /// <c>(start, end, treeSize)</c> as in generation, every hash is bound to its range, and both the subtree hash
    /// (when the proof must supply it) and the root are recomputed from exactly those ranges.
    /// </remarks>
    public static ProofVerdict VerifySubtreeConsistency(long start, long end, long treeSize, in MerkleHash subtreeHash, in MerkleHash root, ReadOnlySpan<MerkleHash> proof)
    {
        if (start < 0 || end < 0 || treeSize < 0)
        {
            return new ProofVerdict(ProofFailure.NegativeValue);
        }

        if (end > treeSize)
        {
            return new ProofVerdict(ProofFailure.SizesOutOfOrder);
        }

        if (start == end)
        {
            if (!proof.IsEmpty)
            {
                return new ProofVerdict(ProofFailure.ProofTooLong);
            }

            if (subtreeHash != TreeHasher.EmptyRoot)
            {
                return new ProofVerdict(ProofFailure.WrongFirstRoot);
            }

            return treeSize == 0 && root != TreeHasher.EmptyRoot ? new ProofVerdict(ProofFailure.WrongRoot) : ProofVerdict.Valid;
        }

        if (start > end || ((ulong)start & (BitOperations.RoundUpToPowerOf2((ulong)(end - start)) - 1)) != 0)
        {
            return new ProofVerdict(ProofFailure.InvalidSubtree);
        }

        if (start == 0)
        {
            return VerifyConsistency(end, treeSize, subtreeHash, root, proof);
        }

        var ranges = ProofPlan.SubtreeConsistencyRanges(start, end, treeSize, out var derived);
        if (proof.Length != ranges.Count)
        {
            return new ProofVerdict(proof.Length < ranges.Count ? ProofFailure.ProofTooShort : ProofFailure.ProofTooLong);
        }

        var known = new Dictionary<(long, long), MerkleHash>(ranges.Count + 1);
        for (var i = 0; i < ranges.Count; i++)
        {
            known[ranges[i]] = proof[i];
        }

        if (derived)
        {
            if (!TryEvaluate(start, end, known, out var computed))
            {
                return new ProofVerdict(ProofFailure.ProofTooShort);
            }

            if (computed != subtreeHash)
            {
                return new ProofVerdict(ProofFailure.WrongFirstRoot);
            }
        }
        else
        {
            known[(start, end)] = subtreeHash;
        }

        if (!TryEvaluate(0, treeSize, known, out var computedRoot))
        {
            return new ProofVerdict(ProofFailure.ProofTooShort);
        }

        return computedRoot == root ? ProofVerdict.Valid : new ProofVerdict(ProofFailure.WrongRoot);
    }

    /// <summary>Convenience form of <see cref="VerifySubtreeConsistency"/>.</summary>
    /// <returns><see langword="true"/> when the proof verifies.</returns>
    public static bool IsValidSubtreeConsistency(long start, long end, long treeSize, in MerkleHash subtreeHash, in MerkleHash root, ReadOnlySpan<MerkleHash> proof) =>
        VerifySubtreeConsistency(start, end, treeSize, subtreeHash, root, proof).IsValid;

    // MTH(D[lo:hi]) from the hashes of known ranges, splitting as RFC 9162 §2.1.1 does.
    private static bool TryEvaluate(long lo, long hi, Dictionary<(long, long), MerkleHash> known, out MerkleHash hash)
    {
        if (known.TryGetValue((lo, hi), out hash))
        {
            return true;
        }

        if (hi - lo < 2)
        {
            return false;
        }

        var k = Internal.TreeMath.SplitPoint(hi - lo);
        if (!TryEvaluate(lo, lo + k, known, out var left) || !TryEvaluate(lo + k, hi, known, out var right))
        {
            return false;
        }

        hash = TreeHasher.HashChildren(left, right);
        return true;
    }

    /// <summary>
    /// Verifies that the tree of <paramref name="size2"/> leaves with <paramref name="root2"/> extends the tree of
    /// <paramref name="size1"/> leaves with <paramref name="root1"/> (RFC 9162 §2.1.4.2, with the policy in the remarks of <see cref="MerkleProof"/>).
    /// </summary>
    /// <param name="size1">The older tree size.</param>
    /// <param name="size2">The newer tree size.</param>
    /// <param name="root1">The claimed root of the older tree.</param>
    /// <param name="root2">The claimed root of the newer tree.</param>
    /// <param name="proof">The consistency proof.</param>
    public static ProofVerdict VerifyConsistency(long size1, long size2, in MerkleHash root1, in MerkleHash root2, ReadOnlySpan<MerkleHash> proof)
    {
        if (size1 < 0 || size2 < 0)
        {
            return new ProofVerdict(ProofFailure.NegativeValue);
        }

        if (size1 > size2)
        {
            return new ProofVerdict(ProofFailure.SizesOutOfOrder);
        }

        if (size1 == 0)
        {
            // Every tree extends the empty tree; the only claim to check is that root1 is the empty root.
            if (!proof.IsEmpty)
            {
                return new ProofVerdict(ProofFailure.ProofTooLong);
            }

            if (root1 != TreeHasher.EmptyRoot)
            {
                return new ProofVerdict(ProofFailure.WrongFirstRoot);
            }

            return size2 == 0 && root2 != TreeHasher.EmptyRoot ? new ProofVerdict(ProofFailure.WrongRoot) : ProofVerdict.Valid;
        }

        if (size1 == size2)
        {
            if (!proof.IsEmpty)
            {
                return new ProofVerdict(ProofFailure.ProofTooLong);
            }

            return root1 == root2 ? ProofVerdict.Valid : new ProofVerdict(ProofFailure.WrongRoot);
        }

        // RFC 9162 §2.1.4.2 for 0 < size1 < size2. Step 1.
        if (proof.IsEmpty)
        {
            return new ProofVerdict(ProofFailure.ProofTooShort);
        }

        // Step 2: when size1 is a power of two, the old root is itself a node of the new tree and is not sent.
        var index = 0;
        MerkleHash first;
        if ((size1 & (size1 - 1)) == 0)
        {
            first = root1;
        }
        else
        {
            first = proof[0];
            index = 1;
        }

        // Step 3.
        var fn = size1 - 1;
        var sn = size2 - 1;

        // Step 4.
        var ones = BitOperations.TrailingZeroCount(~fn);
        fn >>= ones;
        sn >>= ones;

        // Step 5.
        var fr = first;
        var sr = first;

        // Step 6.
        for (; index < proof.Length; index++)
        {
            ref readonly var c = ref proof[index];

            // 6a.
            if (sn == 0)
            {
                return new ProofVerdict(ProofFailure.ProofTooLong);
            }

            // 6b.
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = TreeHasher.HashChildren(c, fr);
                sr = TreeHasher.HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    // fn == sn > 0 here (4a/6a rule out sn == 0), so the shift count is below 63.
                    var shift = BitOperations.TrailingZeroCount(fn);
                    fn >>= shift;
                    sn >>= shift;
                }
            }
            else
            {
                sr = TreeHasher.HashChildren(sr, c);
            }

            // 6c.
            fn >>= 1;
            sn >>= 1;
        }

        // Step 7.
        if (sn != 0)
        {
            return new ProofVerdict(ProofFailure.ProofTooShort);
        }

        if (fr != root1)
        {
            return new ProofVerdict(ProofFailure.WrongFirstRoot);
        }

        return sr == root2 ? ProofVerdict.Valid : new ProofVerdict(ProofFailure.WrongRoot);
    }

    /// <summary>Convenience form of <see cref="VerifyConsistency"/>.</summary>
    /// <returns><see langword="true"/> when the proof verifies.</returns>
    public static bool IsValidConsistency(long size1, long size2, in MerkleHash root1, in MerkleHash root2, ReadOnlySpan<MerkleHash> proof) =>
        VerifyConsistency(size1, size2, root1, root2, proof).IsValid;
}
