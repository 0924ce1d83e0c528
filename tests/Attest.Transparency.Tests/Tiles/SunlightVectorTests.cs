using System.Text;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Transparency.Tests.Tiles;

/// <summary>
/// Vectors/tlog-tiles-sunlight-mirror: a 300-entry log written by Go's golang.org/x/mod/sumdb/tlog (via Sunlight).
/// From the entries "record 0" .. "record 299" we must produce its three tiles byte for byte and its root, and read
/// its tiles back through the verifying client.
/// </summary>
public sealed class SunlightVectorTests
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "Vectors", "tlog-tiles-sunlight-mirror");

    private static ReadOnlyMemory<byte>[] Entries() =>
        Enumerable.Range(0, 300).Select(i => new ReadOnlyMemory<byte>(Encoding.ASCII.GetBytes($"record {i}"))).ToArray();

    private static MerkleHash CheckpointRoot()
    {
        var lines = File.ReadAllText(Path.Combine(Root, "checkpoint")).Split('\n');
        Assert.Equal("300", lines[1]);
        return MerkleHash.FromBase64(lines[2]);
    }

    private static ITileReader VectorReader() =>
        TileReader.FromFetch(async (path, ct) => (ReadOnlyMemory<byte>)await File.ReadAllBytesAsync(Path.Combine(Root, path.ToString()), ct));

    [Fact]
    public void AppendEntries_SunlightEntries_ProducesExactTilesAndRoot()
    {
        var writer = new TileWriter();
        var update = writer.AppendEntries(Entries());

        Assert.Equal(CheckpointRoot(), update.Root);
        Assert.Equal(300, update.Size);
        var hashTiles = update.Tiles.Where(t => !t.Path.IsEntries).ToDictionary(t => t.Path.ToString(), t => t.Bytes.ToArray());
        Assert.Equal(["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"], hashTiles.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, bytes) in hashTiles)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Root, path)), bytes);
        }

        Assert.Equal(["tile/entries/000", "tile/entries/001.p/44"], update.Tiles.Where(t => t.Path.IsEntries).Select(t => t.Path.ToString()));
    }

    [Fact]
    public void AppendEntries_OneAtATime_ProducesSameFinalTiles()
    {
        var writer = new TileWriter();
        var store = new MemoryTileStore();
        foreach (var entry in Entries())
        {
            store.Apply(writer.AppendEntries([entry]));
        }

        Assert.Equal(CheckpointRoot(), writer.ComputeRoot());
        foreach (var path in new[] { "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1" })
        {
            Assert.True(store.TryGet(TilePath.Parse(path), out var bytes));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Root, path)), bytes.ToArray());
        }
    }

    [Fact]
    public async Task TileClient_SunlightTiles_VerifyAndProveEveryLeaf()
    {
        var root = CheckpointRoot();
        var reader = VectorReader();
        var client = new TileClient(reader, 300, root);
        var ct = CancellationToken.None;
        for (var i = 0; i < 300; i += 7)
        {
            var proof = await client.InclusionProofAsync(i, ct);
            var leaf = TreeHasher.HashLeaf(Encoding.ASCII.GetBytes($"record {i}"));
            Assert.Equal(leaf, await client.LeafHashAsync(i, ct));
            Assert.True(MerkleProof.IsValidInclusion(i, 300, leaf, proof, root));
        }

        var root100 = await client.RootAtAsync(100, ct);
        var consistency = await client.ConsistencyProofAsync(100, ct);
        Assert.True(MerkleProof.IsValidConsistency(100, 300, root100, root, consistency));
        Assert.Equal(TreeHasher.ComputeRoot(Entries().Take(100).Select(e => e.ToArray())), root100);
    }

    [Fact]
    public async Task TileClient_SunlightTilesWithOtherRoot_Rejects()
    {
        var wrong = TreeHasher.HashLeaf([1]);
        var reader = VectorReader();
        var client = new TileClient(reader, 300, wrong);
        var ex = await Assert.ThrowsAsync<TileVerificationException>(async () => await client.InclusionProofAsync(3, CancellationToken.None));
        Assert.Contains("checkpoint root", ex.Message, StringComparison.Ordinal);
    }
}
