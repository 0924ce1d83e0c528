using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Merkle;

/// <summary>
/// RFC 9162 §2.1.1 Merkle Tree Hash with SHA-256: leaf hashes <c>SHA-256(0x00 || d)</c>, interior nodes
/// <c>SHA-256(0x01 || left || right)</c>, the root of a list of leaves and the root of the empty tree.
/// Allocation-free except for <see cref="HashLeaf(ReadOnlySpan{byte})"/> of inputs above 1 KiB, which rents a pooled buffer.
/// </summary>
public static class TreeHasher
{
    /// <summary>The domain-separation prefix of leaf hashes (RFC 9162 §2.1.1).</summary>
    public const byte LeafPrefix = 0x00;

    /// <summary>The domain-separation prefix of interior node hashes (RFC 9162 §2.1.1).</summary>
    public const byte NodePrefix = 0x01;

    private const int StackLeafLimit = 1024;

    /// <summary>The root of the empty tree, <c>SHA-256()</c> of no bytes (RFC 9162 §2.1.1).</summary>
    public static MerkleHash EmptyRoot { get; } = ComputeEmptyRoot();

    /// <summary>Hashes a leaf: <c>SHA-256(0x00 || data)</c>.</summary>
    /// <param name="data">The entry bytes.</param>
    public static MerkleHash HashLeaf(ReadOnlySpan<byte> data)
    {
        Unsafe.SkipInit(out MerkleHash result);
        var destination = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref result, 1));
        if (data.Length <= StackLeafLimit)
        {
            Span<byte> buffer = stackalloc byte[data.Length + 1];
            buffer[0] = LeafPrefix;
            data.CopyTo(buffer[1..]);
            SHA256.HashData(buffer, destination);
            return result;
        }

        var rented = ArrayPool<byte>.Shared.Rent(data.Length + 1);
        try
        {
            rented[0] = LeafPrefix;
            data.CopyTo(rented.AsSpan(1));
            SHA256.HashData(rented.AsSpan(0, data.Length + 1), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>Hashes two children: <c>SHA-256(0x01 || left || right)</c>.</summary>
    /// <param name="left">The left child's hash.</param>
    /// <param name="right">The right child's hash.</param>
    public static MerkleHash HashChildren(in MerkleHash left, in MerkleHash right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * MerkleHash.Size)];
        buffer[0] = NodePrefix;
        MemoryMarshal.Write(buffer[1..], in left);
        MemoryMarshal.Write(buffer[(1 + MerkleHash.Size)..], in right);
        Unsafe.SkipInit(out MerkleHash result);
        SHA256.HashData(buffer, MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref result, 1)));
        return result;
    }

    /// <summary>
    /// Computes the Merkle Tree Hash of a list of leaf hashes (RFC 9162 §2.1.1), in O(n) hashing and O(log n) memory.
    /// An empty list gives <see cref="EmptyRoot"/>.
    /// </summary>
    /// <param name="leafHashes">The leaf hashes in order.</param>
    public static MerkleHash ComputeRoot(ReadOnlySpan<MerkleHash> leafHashes)
    {
        if (leafHashes.IsEmpty)
        {
            return EmptyRoot;
        }

        // Fold as a compact range: a stack of perfect subtree roots, merged whenever two of equal height meet.
        Span<MerkleHash> stack = stackalloc MerkleHash[TreeMath.MaxLevels];
        var depth = 0;
        for (var i = 0; i < leafHashes.Length; i++)
        {
            var node = leafHashes[i];
            for (var n = (ulong)i; (n & 1) == 1; n >>= 1)
            {
                node = HashChildren(stack[--depth], node);
            }

            stack[depth++] = node;
        }

        return TreeMath.FoldRight(stack[..depth]);
    }

    /// <summary>Computes the Merkle Tree Hash of a list of entries, hashing each as a leaf first.</summary>
    /// <param name="entries">The entries in order.</param>
    public static MerkleHash ComputeRoot(IEnumerable<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var leaves = new List<MerkleHash>();
        foreach (var entry in entries)
        {
            leaves.Add(HashLeaf(entry));
        }

        return ComputeRoot(CollectionsMarshal.AsSpan(leaves));
    }

    private static MerkleHash ComputeEmptyRoot()
    {
        Unsafe.SkipInit(out MerkleHash result);
        SHA256.HashData(ReadOnlySpan<byte>.Empty, MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref result, 1)));
        return result;
    }
}
