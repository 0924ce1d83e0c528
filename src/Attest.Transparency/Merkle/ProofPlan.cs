using System.Numerics;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Merkle;

/// <summary>
/// The complete subtrees needed for an RFC 9162 inclusion proof, consistency proof or past root, and how to assemble
/// the result from their hashes. Every proof element of RFC 9162 §2.1.3.1 and §2.1.4.1 is the hash of a leaf range
/// <c>[a, b)</c> whose start is aligned to a power of two at least <c>b − a</c>, so it is the right fold of at most
/// 63 complete subtrees; no leaf is ever rehashed.
/// </summary>
/// <remarks>
/// Plans let any node store answer proofs with one batched read: call <see cref="Nodes"/>, read those hashes from the
/// store (memory, database, tiles), then <see cref="Assemble"/>. Plans are immutable and safe to share.
/// </remarks>
public sealed class ProofPlan
{
    private readonly NodeId[] _nodes;

    // _elementEnds[i] is the end (exclusive) in _nodes of the subtrees folded into proof element i.
    private readonly int[] _elementEnds;

    private ProofPlan(NodeId[] nodes, int[] elementEnds)
    {
        _nodes = nodes;
        _elementEnds = elementEnds;
    }

    /// <summary>The complete subtrees whose hashes <see cref="Assemble"/> needs, in the order it needs them.</summary>
    public ReadOnlySpan<NodeId> Nodes => _nodes;

    /// <summary>The number of hashes <see cref="Assemble"/> returns (the proof length, or 1 for a root).</summary>
    public int ElementCount => _elementEnds.Length;

    /// <summary>Plans the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves (RFC 9162 §2.1.3.1).</summary>
    /// <param name="index">The leaf index, below <paramref name="treeSize"/>.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index is not in the tree.</exception>
    public static ProofPlan ForInclusion(long index, long treeSize)
    {
        if (index < 0 || index >= treeSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), $"Leaf index {index} is not in a tree of size {treeSize}.");
        }

        return InclusionPath(index, 0, treeSize);
    }

    /// <summary>
    /// Plans the inclusion proof of leaf <paramref name="index"/> in the subtree over leaves <c>[start, end)</c>
    /// (verified by <see cref="MerkleProof.VerifySubtreeInclusion"/>).
    /// </summary>
    /// <param name="index">The leaf index, in <c>[start, end)</c>.</param>
    /// <param name="start">The subtree's first leaf, a multiple of <c>end − start</c> rounded up to a power of two.</param>
    /// <param name="end">One past the subtree's last leaf.</param>
    /// <exception cref="ArgumentOutOfRangeException">The subtree is invalid or the index is outside it.</exception>
    public static ProofPlan ForSubtreeInclusion(long index, long start, long end)
    {
        CheckSubtree(start, end);
        if (index < start || index >= end)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), $"Leaf index {index} is not in the subtree [{start}, {end}).");
        }

        return InclusionPath(index, start, end);
    }

    // PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1 unrolled: each step adds the sibling range; elements are collected root first.
    private static ProofPlan InclusionPath(long index, long lo, long hi)
    {
        var builder = new Builder();
        while (hi - lo > 1)
        {
            var k = TreeMath.SplitPoint(hi - lo);
            if (index < lo + k)
            {
                builder.AddRange(lo + k, hi);
                hi = lo + k;
            }
            else
            {
                builder.AddRange(lo, lo + k);
                lo += k;
            }
        }

        return builder.Build(reverse: true);
    }

    /// <summary>
    /// Plans the consistency proof between the subtree over leaves <c>[start, end)</c> and the tree of
    /// <paramref name="treeSize"/> leaves (verified by <see cref="MerkleProof.VerifySubtreeConsistency"/>). For
    /// <c>start = 0</c> this is the RFC 9162 consistency proof from <c>end</c> to <paramref name="treeSize"/>.
    /// </summary>
    /// <param name="start">The subtree's first leaf, a multiple of <c>end − start</c> rounded up to a power of two.</param>
    /// <param name="end">One past the subtree's last leaf, at most <paramref name="treeSize"/>.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The subtree is invalid or not inside the tree.</exception>
    public static ProofPlan ForSubtreeConsistency(long start, long end, long treeSize)
    {
        CheckSubtree(start, end);
        if (end > treeSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(end), $"The subtree [{start}, {end}) is not inside a tree of size {treeSize}.");
        }

        var builder = new Builder();
        foreach (var (lo, hi) in SubtreeConsistencyRanges(start, end, treeSize, out _))
        {
            builder.AddRange(lo, hi);
        }

        return builder.Build(reverse: false);
    }

    /// <summary>
    /// The leaf ranges whose hashes form the subtree consistency proof, in proof order:
    /// SUBTREE_SUBPROOF(start, end, D[0:n], true) unrolled, the generalisation of RFC 9162 §2.1.4.1's SUBPROOF.
    /// <paramref name="derived"/> says whether the subtree hash must be recomputed from the proof (the "b = false" case).
    /// </summary>
    internal static List<(long Lo, long Hi)> SubtreeConsistencyRanges(long start, long end, long treeSize, out bool derived)
    {
        var ranges = new List<(long Lo, long Hi)>(64);
        long lo = 0, hi = treeSize;
        derived = false;
        while (!(lo == start && hi == end))
        {
            var k = TreeMath.SplitPoint(hi - lo);
            if (end <= lo + k)
            {
                ranges.Add((lo + k, hi));
                hi = lo + k;
            }
            else if (start >= lo + k)
            {
                ranges.Add((lo, lo + k));
                lo += k;
            }
            else
            {
                // start < lo + k < end: for a valid subtree this means start == lo, as in RFC 9162's m > k case.
                ranges.Add((lo, lo + k));
                lo += k;
                start = lo;
                derived = true;
            }
        }

        if (derived)
        {
            ranges.Add((lo, hi));
        }

        ranges.Reverse();
        return ranges;
    }

    private static void CheckSubtree(long start, long end)
    {
        if (start < 0 || start >= end || ((ulong)start & (BitOperations.RoundUpToPowerOf2((ulong)(end - start)) - 1)) != 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(start), $"[{start}, {end}) is not a valid subtree.");
        }
    }

    /// <summary>Plans the consistency proof from size <paramref name="size1"/> to <paramref name="size2"/> (RFC 9162 §2.1.4.1).</summary>
    /// <param name="size1">The older size, at most <paramref name="size2"/>. Sizes 0 and equal sizes give an empty proof.</param>
    /// <param name="size2">The newer size.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or the sizes are out of order.</exception>
    public static ProofPlan ForConsistency(long size1, long size2)
    {
        if (size1 < 0 || size1 > size2)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size1), $"No consistency proof from size {size1} to size {size2}.");
        }

        var builder = new Builder();
        if (size1 == 0 || size1 == size2)
        {
            return builder.Build(reverse: false);
        }

        // SUBPROOF(m, D[lo:hi], b) unrolled; m is relative to lo.
        long lo = 0, hi = size2, m = size1;
        var whole = true;
        while (m != hi - lo)
        {
            var k = TreeMath.SplitPoint(hi - lo);
            if (m <= k)
            {
                builder.AddRange(lo + k, hi);
                hi = lo + k;
            }
            else
            {
                builder.AddRange(lo, lo + k);
                lo += k;
                m -= k;
                whole = false;
            }
        }

        if (!whole)
        {
            builder.AddRange(lo, hi);
        }

        return builder.Build(reverse: true);
    }

    /// <summary>Plans the root of the tree of <paramref name="treeSize"/> leaves, one element (the empty root for size 0).</summary>
    /// <param name="treeSize">The tree size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is negative.</exception>
    public static ProofPlan ForRoot(long treeSize)
    {
        if (treeSize < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(treeSize), $"Tree size {treeSize} is negative.");
        }

        var builder = new Builder();
        builder.AddRange(0, treeSize);
        return builder.Build(reverse: false);
    }

    /// <summary>Assembles the proof (or root) from the hashes of <see cref="Nodes"/>.</summary>
    /// <param name="nodeHashes">One hash per entry of <see cref="Nodes"/>, in the same order.</param>
    /// <returns>The proof elements in RFC 9162 order, or a single root.</returns>
    /// <exception cref="ArgumentException">The number of hashes does not match <see cref="Nodes"/>.</exception>
    public MerkleHash[] Assemble(ReadOnlySpan<MerkleHash> nodeHashes)
    {
        if (nodeHashes.Length != _nodes.Length)
        {
            ThrowHelper.ThrowArgument(nameof(nodeHashes), $"Expected {_nodes.Length} node hashes, got {nodeHashes.Length}.");
        }

        var result = new MerkleHash[_elementEnds.Length];
        var start = 0;
        for (var i = 0; i < _elementEnds.Length; i++)
        {
            result[i] = TreeMath.FoldRight(nodeHashes[start.._elementEnds[i]]);
            start = _elementEnds[i];
        }

        return result;
    }

    /// <summary>Reads <see cref="Nodes"/> from <paramref name="reader"/> and assembles the result.</summary>
    /// <param name="reader">A store holding every node of the plan.</param>
    public MerkleHash[] Execute(IMerkleNodeReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var hashes = _nodes.Length <= 128 ? stackalloc MerkleHash[_nodes.Length] : new MerkleHash[_nodes.Length];
        reader.ReadNodes(_nodes, hashes);
        return Assemble(hashes);
    }

    /// <summary>Generates the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves from a node store.</summary>
    /// <param name="reader">The node store; it must hold a tree of at least <paramref name="treeSize"/> leaves.</param>
    /// <param name="index">The leaf index.</param>
    /// <param name="treeSize">The tree size the proof is for.</param>
    public static MerkleHash[] InclusionProof(IMerkleNodeReader reader, long index, long treeSize) =>
        ForInclusion(index, treeSize).Execute(reader);

    /// <summary>Generates the consistency proof from <paramref name="size1"/> to <paramref name="size2"/> from a node store.</summary>
    /// <param name="reader">The node store; it must hold a tree of at least <paramref name="size2"/> leaves.</param>
    /// <param name="size1">The older size.</param>
    /// <param name="size2">The newer size.</param>
    public static MerkleHash[] ConsistencyProof(IMerkleNodeReader reader, long size1, long size2) =>
        ForConsistency(size1, size2).Execute(reader);

    /// <summary>Computes the root of the tree of <paramref name="treeSize"/> leaves (any past size) from a node store.</summary>
    /// <param name="reader">The node store; it must hold a tree of at least <paramref name="treeSize"/> leaves.</param>
    /// <param name="treeSize">The tree size.</param>
    public static MerkleHash RootAt(IMerkleNodeReader reader, long treeSize) =>
        ForRoot(treeSize).Execute(reader)[0];

    /// <summary>Appends to <paramref name="nodes"/> the complete subtrees covering <c>[begin, end)</c>, largest first.</summary>
    internal static void Decompose(long begin, long end, List<NodeId> nodes)
    {
        while (begin < end)
        {
            var byAlignment = begin == 0 ? 63 : BitOperations.TrailingZeroCount(begin);
            var bySize = 63 - BitOperations.LeadingZeroCount((ulong)(end - begin));
            var level = Math.Min(byAlignment, bySize);
            nodes.Add(new NodeId(level, begin >> level));
            begin += 1L << level;
        }
    }

    private sealed class Builder
    {
        private readonly List<NodeId> _nodes = new(64);
        private readonly List<(int Start, int End)> _elements = new(64);

        public void AddRange(long begin, long end)
        {
            var start = _nodes.Count;
            Decompose(begin, end, _nodes);
            _elements.Add((start, _nodes.Count));
        }

        public ProofPlan Build(bool reverse)
        {
            if (reverse)
            {
                _elements.Reverse();
            }

            // Lay the nodes out in element order so Assemble walks them sequentially.
            var nodes = new NodeId[_nodes.Count];
            var ends = new int[_elements.Count];
            var at = 0;
            for (var i = 0; i < _elements.Count; i++)
            {
                var (start, end) = _elements[i];
                for (var j = start; j < end; j++)
                {
                    nodes[at++] = _nodes[j];
                }

                ends[i] = at;
            }

            return new ProofPlan(nodes, ends);
        }
    }
}
