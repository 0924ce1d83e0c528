using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Tiles;

public sealed class TileClientTests
{
    private static (MemoryTileStore Store, MemoryNodeStore Nodes, ReadOnlyMemory<byte>[] Entries) BuildLog(int size, int seed)
    {
        var entries = Enumerable.Range(0, size).Select(i => new ReadOnlyMemory<byte>(BitConverter.GetBytes((long)i * 31 + seed))).ToArray();
        var writer = new TileWriter();
        var store = new MemoryTileStore();
        var nodes = new MemoryNodeStore();
        // Two batches so that both full and partial tiles of earlier sizes exist, as in a real log.
        store.Apply(writer.AppendEntries(entries[..(size / 2)]));
        store.Apply(writer.AppendEntries(entries[(size / 2)..]));
        foreach (var entry in entries)
        {
            nodes.AppendEntry(entry.Span);
        }

        return (store, nodes, entries);
    }

    [Property(MaxTest = 30)]
    public void Proofs_RandomLog_MatchNodeStoreAndVerify(PositiveInt rawSize, NonNegativeInt rawIndex, NonNegativeInt rawOld, int seed)
    {
        var size = 1 + (rawSize.Get % 5000);
        var (store, nodes, _) = BuildLog(size, seed);
        var root = nodes.ComputeRoot();
        var client = new TileClient(store, size, root);
        var index = rawIndex.Get % size;
        var old = rawOld.Get % (size + 1);

        var inclusion = client.InclusionProofAsync(index, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.Equal(ProofPlan.InclusionProof(nodes, index, size), inclusion);
        Assert.True(MerkleProof.IsValidInclusion(index, size, nodes.ReadNode(new NodeId(0, index)), inclusion, root));

        var consistency = client.ConsistencyProofAsync(old, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.Equal(ProofPlan.ConsistencyProof(nodes, old, size), consistency);
        var oldRoot = client.RootAtAsync(old, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.Equal(ProofPlan.RootAt(nodes, old), oldRoot);

        // The trusted path gives the same answers.
        Assert.Equal(inclusion, TileProofs.InclusionProofAsync(store, size, index, size, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.Equal(consistency, TileProofs.ConsistencyProofAsync(store, size, old, size, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.Equal(oldRoot, TileProofs.RootAtAsync(store, size, old, CancellationToken.None).AsTask().GetAwaiter().GetResult());
    }

    [Property(MaxTest = 40)]
    public void InclusionProofAsync_AnyFetchedTileCorrupted_Throws(PositiveInt rawSize, NonNegativeInt rawIndex, NonNegativeInt pick, bool truncate)
    {
        var size = 1 + (rawSize.Get % 70000);
        var (store, nodes, _) = BuildLog(size, 9);
        var index = rawIndex.Get % size;

        // Record which tiles an honest run fetches, then corrupt one of them.
        var fetched = new List<TilePath>();
        var recording = TileReader.FromFetch((path, _) =>
        {
            lock (fetched)
            {
                fetched.Add(path);
            }

            return store.TryGet(path, out var bytes) ? ValueTask.FromResult(bytes) : throw new TileNotFoundException(path);
        });
        new TileClient(recording, size, nodes.ComputeRoot()).InclusionProofAsync(index, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var victim = fetched[pick.Get % fetched.Count];
        Assert.True(store.TryGet(victim, out var original));
        var corrupted = original.ToArray();
        if (truncate)
        {
            corrupted = corrupted[..^1];
        }
        else
        {
            corrupted[pick.Get % corrupted.Length] ^= (byte)(1 << (pick.Get % 8));
        }

        store.Put(victim, corrupted);
        var client = new TileClient(store, size, nodes.ComputeRoot());
        var ex = Assert.Throws<TileVerificationException>(() => client.InclusionProofAsync(index, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.Contains("tile/", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InclusionProofAsync_FullTileServedForPartial_Throws()
    {
        var (store, nodes, _) = BuildLog(600, 10);
        Assert.True(store.TryGet(TilePath.Parse("tile/0/002.p/88"), out var partial));
        store.Put(TilePath.Parse("tile/0/002.p/88"), partial.ToArray().Concat(new byte[32 * 168]).ToArray());
        var client = new TileClient(store, 600, nodes.ComputeRoot());
        var ex = await Assert.ThrowsAsync<TileVerificationException>(async () => await client.InclusionProofAsync(599, CancellationToken.None));
        Assert.Equal("Tile tile/0/002.p/88 must be 2816 bytes, got 8192.", ex.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(512)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(65537)]
    public async Task Proofs_TileBoundarySizes_VerifyAtBothEnds(int size)
    {
        var (store, nodes, entries) = BuildLog(size, 11);
        var root = nodes.ComputeRoot();
        var client = new TileClient(store, size, root);
        foreach (var index in new[] { 0, size / 2, size - 1 })
        {
            var proof = await client.InclusionProofAsync(index, CancellationToken.None);
            Assert.True(MerkleProof.IsValidInclusion(index, size, TreeHasher.HashLeaf(entries[index].Span), proof, root));
            Assert.Equal(entries[index].ToArray(), await client.ReadEntryAsync(index, CancellationToken.None));
        }

        foreach (var old in new[] { 1, size / 2, size - 1 })
        {
            var proof = await client.ConsistencyProofAsync(old, CancellationToken.None);
            Assert.True(MerkleProof.IsValidConsistency(old, size, ProofPlan.RootAt(nodes, old), root, proof));
        }
    }

    [Fact]
    public async Task ReadEntryAsync_ValidLog_ReturnsVerifiedEntries()
    {
        var (store, nodes, entries) = BuildLog(600, 4);
        var client = new TileClient(store, 600, nodes.ComputeRoot());
        foreach (var i in new[] { 0, 255, 256, 599 })
        {
            Assert.Equal(entries[i].ToArray(), await client.ReadEntryAsync(i, CancellationToken.None));
        }

        Assert.Equal(88, (await client.ReadBundleAsync(2, CancellationToken.None)).Length);
    }

    [Theory]
    [InlineData("tile/0/000")]
    [InlineData("tile/0/001")]
    [InlineData("tile/0/002.p/88")]
    [InlineData("tile/1/000.p/2")]
    public async Task InclusionProofAsync_TamperedTile_Throws(string tamperedPath)
    {
        var (store, nodes, _) = BuildLog(600, 5);
        var root = nodes.ComputeRoot();
        var tampered = TilePath.Parse(tamperedPath);
        Assert.True(store.TryGet(tampered, out var original));
        var bytes = original.ToArray();
        bytes[^1] ^= 0x01;
        store.Put(tampered, bytes);

        var client = new TileClient(store, 600, root);
        var leaf = (int)(tampered.Level == 0 ? (tampered.Index * 256) + tampered.Width - 1 : 0);
        var ex = await Assert.ThrowsAsync<TileVerificationException>(async () => await client.InclusionProofAsync(leaf, CancellationToken.None));
        Assert.Contains("tile/", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InclusionProofAsync_WrongTileLength_Throws()
    {
        var (store, nodes, _) = BuildLog(600, 6);
        var tile = TilePath.Parse("tile/0/001");
        Assert.True(store.TryGet(tile, out var original));
        store.Put(tile, original[..^32]);
        var client = new TileClient(store, 600, nodes.ComputeRoot());
        var ex = await Assert.ThrowsAsync<TileVerificationException>(async () => await client.InclusionProofAsync(300, CancellationToken.None));
        Assert.Equal("Tile tile/0/001 must be 8192 bytes, got 8160.", ex.Message);
    }

    [Fact]
    public async Task ReadEntryAsync_TamperedBundle_Throws()
    {
        var (store, nodes, _) = BuildLog(600, 7);
        var bundle = TilePath.Parse("tile/entries/001");
        Assert.True(store.TryGet(bundle, out var original));
        var bytes = original.ToArray();
        bytes[^1] ^= 0x80;
        store.Put(bundle, bytes);
        var client = new TileClient(store, 600, nodes.ComputeRoot());
        var ex = await Assert.ThrowsAsync<TileVerificationException>(async () => await client.ReadEntryAsync(300, CancellationToken.None));
        Assert.Equal("Entry 511 in tile/entries/001 does not match its leaf hash in tile/0/001.", ex.Message);

        store.Put(bundle, original[..^1]);
        var malformed = new TileClient(store, 600, nodes.ComputeRoot());
        var parseError = await Assert.ThrowsAsync<TileVerificationException>(async () => await malformed.ReadEntryAsync(300, CancellationToken.None));
        Assert.StartsWith("Entry bundle tile/entries/001 is malformed", parseError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TileClient_EmptyTree_OnlyAcceptsEmptyRoot()
    {
        var store = new MemoryTileStore();
        var client = new TileClient(store, 0, TreeHasher.EmptyRoot);
        Assert.Equal(TreeHasher.EmptyRoot, await client.RootAtAsync(0, CancellationToken.None));
        var wrong = new TileClient(store, 0, TreeHasher.HashLeaf([]));
        await Assert.ThrowsAsync<TileVerificationException>(async () => await wrong.RootAtAsync(0, CancellationToken.None));
    }

    [Fact]
    public async Task InclusionProofAsync_SecondCall_UsesVerifiedCache()
    {
        var (store, nodes, _) = BuildLog(1000, 8);
        var requests = new List<TilePath>();
        var reader = TileReader.FromFetch((path, ct) =>
        {
            lock (requests)
            {
                requests.Add(path);
            }

            return store.TryGet(path, out var bytes) ? ValueTask.FromResult(bytes) : throw new TileNotFoundException(path);
        });
        var client = new TileClient(reader, 1000, nodes.ComputeRoot());
        await client.InclusionProofAsync(10, CancellationToken.None);
        var first = requests.Count;
        Assert.True(first is > 0 and <= 4, $"{first} tiles fetched");
        await client.InclusionProofAsync(11, CancellationToken.None);
        Assert.Equal(first, requests.Count);
    }
}
