using System.Numerics;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Internal;

/// <summary>Index arithmetic of RFC 9162 trees shared by the tree state, node stores, proofs and tiles.</summary>
internal static class TreeMath
{
    /// <summary>Tree sizes are non-negative <see cref="long"/> values, so at most 63 perfect subtrees and levels 0..62.</summary>
    public const int MaxLevels = 64;

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (RFC 9162 §2.1.1 "k"); n must be at least 2.</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>Hashes a list of perfect subtree roots, largest (leftmost) first, into the root of their union.</summary>
    public static MerkleHash FoldRight(ReadOnlySpan<MerkleHash> peaks)
    {
        if (peaks.IsEmpty)
        {
            return TreeHasher.EmptyRoot;
        }

        var acc = peaks[^1];
        for (var i = peaks.Length - 2; i >= 0; i--)
        {
            acc = TreeHasher.HashChildren(peaks[i], acc);
        }

        return acc;
    }
}
