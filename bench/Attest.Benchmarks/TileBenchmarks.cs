using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>The log's write path: appending a batch of 256 entries to a tile writer (hash tiles + bundles).</summary>
[MemoryDiagnoser]
public class TileWriterBenchmarks
{
    private const int Batch = 256;
    private ReadOnlyMemory<byte>[] _entries = [];
    private TileWriter _writer = new();

    [GlobalSetup]
    public void Setup() => _entries = Enumerable.Range(0, Batch).Select(i => new ReadOnlyMemory<byte>(new byte[100 + (i % 7)])).ToArray();

    [IterationSetup]
    public void Reset()
    {
        _writer = new TileWriter();
        // Start mid-tile so the batch produces a full tile and a partial one, as a running log does.
        _writer.AppendEntries(_entries[..100]);
    }

    /// <summary>Appends 256 entries of about 100 bytes (per-entry cost = reported time / 256).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int AppendEntries() => _writer.AppendEntries(_entries).Tiles.Count;
}

/// <summary>
/// Proofs from tiles: the trusted path (log server, <see cref="TileProofs"/>) and the verifying client
/// (<see cref="TileClient"/>, a fresh client each time so every tile is fetched and verified). 10^6 uses a real log
/// in a <see cref="MemoryTileStore"/>; 10^9 uses <see cref="UniformTileReader"/> (synthetic, all leaves equal).
/// </summary>
[MemoryDiagnoser]
public class TileProofBenchmarks
{
    private ITileReader _reader = new UniformTileReader();
    private MerkleHash _root;
    private long _index;
    private long _oldSize;

    [Params(1_000_000L, 1_000_000_000L)]
    public long TreeSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (TreeSize <= 1_000_000)
        {
            var writer = new TileWriter();
            var store = new MemoryTileStore();
            var batch = new MerkleHash[4096];
            for (var done = 0L; done < TreeSize;)
            {
                var n = (int)Math.Min(batch.Length, TreeSize - done);
                for (var i = 0; i < n; i++)
                {
                    batch[i] = TreeHasher.HashLeaf(BitConverter.GetBytes(done + i));
                }

                store.Apply(writer.AppendLeafHashes(batch.AsSpan(0, n)));
                done += n;
            }

            _reader = store;
            _root = writer.ComputeRoot();
        }
        else
        {
            _reader = new UniformTileReader();
            _root = ProofPlan.RootAt(new UniformNodeReader(), TreeSize);
        }

        _index = (TreeSize * 2 / 3) + 1;
        _oldSize = (TreeSize / 3) + 7;
    }

    [Benchmark]
    public async Task<MerkleHash[]> TrustedInclusion() =>
        await TileProofs.InclusionProofAsync(_reader, TreeSize, _index, TreeSize, CancellationToken.None);

    [Benchmark]
    public async Task<MerkleHash[]> TrustedConsistency() =>
        await TileProofs.ConsistencyProofAsync(_reader, TreeSize, _oldSize, TreeSize, CancellationToken.None);

    [Benchmark]
    public async Task<MerkleHash[]> VerifiedInclusionColdClient() =>
        await new TileClient(_reader, TreeSize, _root).InclusionProofAsync(_index, CancellationToken.None);

    [Benchmark]
    public async Task<MerkleHash[]> VerifiedConsistencyColdClient() =>
        await new TileClient(_reader, TreeSize, _root).ConsistencyProofAsync(_oldSize, CancellationToken.None);
}

/// <summary>Serves the tiles of the synthetic uniform tree of <see cref="UniformNodeReader"/> for any size.</summary>
public sealed class UniformTileReader : ITileReader
{
    private readonly byte[][] _fullTiles = new byte[TilePath.MaxLevel + 1][];

    public UniformTileReader()
    {
        var levels = new MerkleHash[TilePath.MaxLevel * TilePath.Height + 1];
        new UniformNodeReader().ReadNodes(Enumerable.Range(0, levels.Length).Select(l => new NodeId(l, 0)).ToArray(), levels);
        for (var level = 0; level <= TilePath.MaxLevel; level++)
        {
            _fullTiles[level] = HashTile.Encode(Enumerable.Repeat(levels[level * TilePath.Height], TilePath.FullWidth).ToArray());
        }
    }

    public ValueTask<IReadOnlyList<ReadOnlyMemory<byte>>> ReadTilesAsync(IReadOnlyList<TilePath> tiles, CancellationToken cancellationToken)
    {
        var result = new ReadOnlyMemory<byte>[tiles.Count];
        for (var i = 0; i < tiles.Count; i++)
        {
            result[i] = _fullTiles[tiles[i].Level].AsMemory(0, tiles[i].HashTileLength);
        }

        return ValueTask.FromResult<IReadOnlyList<ReadOnlyMemory<byte>>>(result);
    }
}
