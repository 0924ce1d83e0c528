using Attest.Transparency.Merkle;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>Leaf append throughput: compact tree state alone, and with the in-memory stored-hash node store.</summary>
[MemoryDiagnoser]
public class MerkleAppendBenchmarks
{
    private const int Batch = 1 << 17;
    private MerkleHash[] _leaves = [];
    private CompactTree _tree = new();
    private MemoryNodeStore _store = new();

    [GlobalSetup]
    public void Setup() => _leaves = Enumerable.Range(0, Batch).Select(i => TreeHasher.HashLeaf(BitConverter.GetBytes(i))).ToArray();

    [IterationSetup]
    public void Reset()
    {
        _tree = new CompactTree();
        _store = new MemoryNodeStore();
    }

    /// <summary>Appends 2^17 leaf hashes to a fresh compact tree (reported per leaf).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public MerkleHash CompactTreeAppend()
    {
        foreach (var leaf in _leaves)
        {
            _tree.Append(leaf);
        }

        return _tree.Peaks[^1];
    }

    /// <summary>Appends 2^17 leaf hashes to a fresh node store, which keeps every complete subtree (reported per leaf).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long NodeStoreAppend()
    {
        foreach (var leaf in _leaves)
        {
            _store.Append(leaf);
        }

        return _store.StoredHashCount;
    }
}

/// <summary>The physical floor: one leaf hash of a 100-byte entry and one interior node hash (65 bytes of SHA-256 input).</summary>
[MemoryDiagnoser]
public class MerkleHashBenchmarks
{
    private readonly byte[] _entry = new byte[100];
    private readonly MerkleHash _left = TreeHasher.HashLeaf([1]);
    private readonly MerkleHash _right = TreeHasher.HashLeaf([2]);

    [Benchmark]
    public MerkleHash HashLeaf100Bytes() => TreeHasher.HashLeaf(_entry);

    [Benchmark]
    public MerkleHash HashChildren() => TreeHasher.HashChildren(_left, _right);
}

/// <summary>
/// Inclusion and consistency proof generation (from a node store) and verification at several tree sizes.
/// Sizes up to 10^6 use a real <see cref="MemoryNodeStore"/>; 10^9 uses <see cref="UniformNodeReader"/>, a synthetic
/// deterministic tree whose leaves are all equal, so every node hash is real SHA-256 and proofs verify.
/// </summary>
[MemoryDiagnoser]
public class MerkleProofBenchmarks
{
    private IMerkleNodeReader _reader = new UniformNodeReader();
    private long _index;
    private long _oldSize;
    private MerkleHash _leaf;
    private MerkleHash _root;
    private MerkleHash _oldRoot;
    private MerkleHash[] _inclusion = [];
    private MerkleHash[] _consistency = [];

    [Params(1_000L, 1_000_000L, 1_000_000_000L)]
    public long TreeSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (TreeSize <= 1_000_000)
        {
            var store = new MemoryNodeStore();
            for (var i = 0L; i < TreeSize; i++)
            {
                store.AppendEntry(BitConverter.GetBytes(i));
            }

            _reader = store;
        }
        else
        {
            _reader = new UniformNodeReader();
        }

        // An index and an old size away from powers of two, so proofs have their full length.
        _index = (TreeSize * 2 / 3) + 1;
        _oldSize = (TreeSize / 3) + 7;
        _leaf = ReadNode(new NodeId(0, _index));
        _root = ProofPlan.RootAt(_reader, TreeSize);
        _oldRoot = ProofPlan.RootAt(_reader, _oldSize);
        _inclusion = ProofPlan.InclusionProof(_reader, _index, TreeSize);
        _consistency = ProofPlan.ConsistencyProof(_reader, _oldSize, TreeSize);
        if (!MerkleProof.IsValidInclusion(_index, TreeSize, _leaf, _inclusion, _root)
            || !MerkleProof.IsValidConsistency(_oldSize, TreeSize, _oldRoot, _root, _consistency))
        {
            throw new InvalidOperationException("Benchmark proofs do not verify.");
        }
    }

    [Benchmark]
    public MerkleHash[] InclusionGenerate() => ProofPlan.InclusionProof(_reader, _index, TreeSize);

    [Benchmark]
    public bool InclusionVerify() => MerkleProof.IsValidInclusion(_index, TreeSize, _leaf, _inclusion, _root);

    [Benchmark]
    public MerkleHash[] ConsistencyGenerate() => ProofPlan.ConsistencyProof(_reader, _oldSize, TreeSize);

    [Benchmark]
    public bool ConsistencyVerify() => MerkleProof.IsValidConsistency(_oldSize, TreeSize, _oldRoot, _root, _consistency);

    [Benchmark]
    public MerkleHash PastRoot() => ProofPlan.RootAt(_reader, _oldSize);

    private MerkleHash ReadNode(NodeId node)
    {
        var hashes = new MerkleHash[1];
        _reader.ReadNodes([node], hashes);
        return hashes[0];
    }
}

/// <summary>
/// A synthetic deterministic node store for trees too large to build: every leaf is SHA-256(0x00 || "uniform"),
/// so the node at level l is the same real hash for every index and any tree size up to 2^63 − 1 is consistent.
/// </summary>
public sealed class UniformNodeReader : IMerkleNodeReader
{
    private readonly MerkleHash[] _levels = new MerkleHash[63];

    public UniformNodeReader()
    {
        _levels[0] = TreeHasher.HashLeaf("uniform"u8);
        for (var level = 1; level < _levels.Length; level++)
        {
            _levels[level] = TreeHasher.HashChildren(_levels[level - 1], _levels[level - 1]);
        }
    }

    public void ReadNodes(ReadOnlySpan<NodeId> nodes, Span<MerkleHash> hashes)
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            hashes[i] = _levels[nodes[i].Level];
        }
    }
}
