using System.Security.Cryptography;

namespace Attest.Transparency.Tests.Merkle;

/// <summary>
/// An independent, deliberately naive RFC 9162 §2.1 reference: MTH, PATH and PROOF written as the RFC's recursive
/// definitions over byte arrays, with SHA-256 called directly (not through the library under test).
/// </summary>
internal static class NaiveTree
{
    public static byte[] Leaf(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    /// <summary>The leaf hashes of a deterministic test tree, leaf i being "leaf i" plus a seed.</summary>
    public static byte[][] Leaves(int count, int seed = 0) =>
        Enumerable.Range(0, count).Select(i => Leaf(System.Text.Encoding.ASCII.GetBytes($"leaf {i} seed {seed}"))).ToArray();

    // RFC 9162 §2.1.1: MTH({}) = SHA-256(); MTH({d0}) = leaf; MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])).
    public static byte[] Mth(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 0)
        {
            return SHA256.HashData(Array.Empty<byte>());
        }

        if (leaves.Length == 1)
        {
            return leaves[0];
        }

        var k = Split(leaves.Length);
        return Node(Mth(leaves[..k]), Mth(leaves[k..]));
    }

    // RFC 9162 §2.1.3.1 PATH(m, D[n]).
    public static List<byte[]> Path(int m, ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 1)
        {
            return [];
        }

        var k = Split(leaves.Length);
        if (m < k)
        {
            var path = Path(m, leaves[..k]);
            path.Add(Mth(leaves[k..]));
            return path;
        }
        else
        {
            var path = Path(m - k, leaves[k..]);
            path.Add(Mth(leaves[..k]));
            return path;
        }
    }

    // RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m < n.
    public static List<byte[]> Proof(int m, ReadOnlySpan<byte[]> leaves) => SubProof(m, leaves, true);

    private static List<byte[]> SubProof(int m, ReadOnlySpan<byte[]> leaves, bool b)
    {
        if (m == leaves.Length)
        {
            return b ? [] : [Mth(leaves)];
        }

        var k = Split(leaves.Length);
        if (m <= k)
        {
            var proof = SubProof(m, leaves[..k], b);
            proof.Add(Mth(leaves[k..]));
            return proof;
        }
        else
        {
            var proof = SubProof(m - k, leaves[k..], false);
            proof.Add(Mth(leaves[..k]));
            return proof;
        }
    }

    // Subtree consistency (Merkle Tree Certificates): SUBTREE_SUBPROOF(start, end, D[n], true), the recursion that
    // generalises RFC 9162's SUBPROOF to a subtree [start, end) that need not start at 0.
    public static List<byte[]> SubtreeProof(int start, int end, ReadOnlySpan<byte[]> leaves) => SubtreeSubProof(start, end, leaves, true);

    private static List<byte[]> SubtreeSubProof(int start, int end, ReadOnlySpan<byte[]> leaves, bool b)
    {
        if (start == 0 && end == leaves.Length)
        {
            return b ? [] : [Mth(leaves)];
        }

        var k = Split(leaves.Length);
        List<byte[]> proof;
        if (end <= k)
        {
            proof = SubtreeSubProof(start, end, leaves[..k], b);
            proof.Add(Mth(leaves[k..]));
        }
        else if (start >= k)
        {
            proof = SubtreeSubProof(start - k, end - k, leaves[k..], b);
            proof.Add(Mth(leaves[..k]));
        }
        else
        {
            proof = SubtreeSubProof(0, end - k, leaves[k..], false);
            proof.Add(Mth(leaves[..k]));
        }

        return proof;
    }

    // The largest power of two smaller than n.
    private static int Split(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return k;
    }
}
