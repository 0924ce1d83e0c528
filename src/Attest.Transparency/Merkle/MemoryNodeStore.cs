using System.Numerics;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Merkle;

/// <summary>
/// An append-only in-memory node store in the "stored hash" layout of golang.org/x/mod/sumdb/tlog: for each leaf, its
/// hash followed by the hashes of the subtrees it completes, so the store of n leaves holds exactly
/// <c>2n − popcount(n)</c> hashes and any complete subtree, past root or proof is read without rehashing leaves.
/// For tests, benchmarks and small logs; a persistent log uses the same <see cref="StoredHashIndex"/> or tiles.
/// </summary>
/// <remarks>Not thread-safe: synchronise appends and reads externally.</remarks>
public sealed class MemoryNodeStore : IMerkleNodeReader
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;

    private readonly List<MerkleHash[]> _chunks = [];
    private readonly CompactTree _tree = new();
    private readonly MerkleHash[] _completed = new MerkleHash[TreeMath.MaxLevels];
    private long _stored;

    /// <summary>The number of leaves stored.</summary>
    public long Size => _tree.Size;

    /// <summary>The number of hashes stored, <c>2·Size − popcount(Size)</c>.</summary>
    public long StoredHashCount => _stored;

    /// <summary>The current tree state (a snapshot copy).</summary>
    public CompactTree TreeState => _tree.Clone();

    /// <summary>The position of the complete subtree <paramref name="node"/> in the stored-hash layout.</summary>
    /// <param name="node">A complete subtree.</param>
    public static long StoredHashIndex(NodeId node)
    {
        if (node.Level is < 0 or > 62 || node.Index < 0 || node.Index > (long.MaxValue >> node.Level) - 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(node), $"Node {node} is outside any tree of at most 2^63 - 1 leaves.");
        }

        // The node is stored right after its last leaf m, which follows the 2m - popcount(m) hashes of leaves 0..m-1,
        // the leaf itself and the nodes of levels 1..level-1 that leaf m completes.
        var m = ((node.Index + 1) << node.Level) - 1;
        return (2 * m) - BitOperations.PopCount((ulong)m) + node.Level;
    }

    /// <summary>The number of hashes stored for a tree of <paramref name="size"/> leaves, <c>2·size − popcount(size)</c>.</summary>
    /// <param name="size">The tree size.</param>
    public static long StoredHashCountFor(long size) => (2 * size) - BitOperations.PopCount((ulong)size);

    /// <summary>Appends a leaf by its hash and stores every subtree it completes.</summary>
    /// <param name="leafHash">The leaf hash.</param>
    public void Append(in MerkleHash leafHash)
    {
        var count = _tree.Append(leafHash, _completed);
        for (var i = 0; i < count; i++)
        {
            var chunk = (int)(_stored >> ChunkBits);
            if (chunk == _chunks.Count)
            {
                _chunks.Add(new MerkleHash[ChunkSize]);
            }

            _chunks[chunk][(int)(_stored & (ChunkSize - 1))] = _completed[i];
            _stored++;
        }
    }

    /// <summary>Hashes an entry as a leaf and appends it.</summary>
    /// <param name="entry">The entry bytes.</param>
    public void AppendEntry(ReadOnlySpan<byte> entry) => Append(TreeHasher.HashLeaf(entry));

    /// <summary>The root of the current tree.</summary>
    public MerkleHash ComputeRoot() => _tree.ComputeRoot();

    /// <summary>Reads the hash of one complete subtree.</summary>
    /// <param name="node">A subtree complete in the stored tree.</param>
    public MerkleHash ReadNode(NodeId node)
    {
        var index = StoredHashIndex(node);
        if (node.CompleteAtSize > Size)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(node), $"Node {node} is not complete in a tree of size {Size}.");
        }

        return _chunks[(int)(index >> ChunkBits)][(int)(index & (ChunkSize - 1))];
    }

    /// <inheritdoc/>
    public void ReadNodes(ReadOnlySpan<NodeId> nodes, Span<MerkleHash> hashes)
    {
        if (hashes.Length != nodes.Length)
        {
            ThrowHelper.ThrowArgument(nameof(hashes), $"Expected room for {nodes.Length} hashes, got {hashes.Length}.");
        }

        for (var i = 0; i < nodes.Length; i++)
        {
            hashes[i] = ReadNode(nodes[i]);
        }
    }
}
