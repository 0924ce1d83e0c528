using System.Text;
using Attest.Log.Engine;
using Attest.Log.Sequencing;
using Attest.Log.Storage;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.Log.Tests.Engine;

public sealed class LogEngineTests
{
    private const string Origin = "test.example/log";

    private static LogOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        Origin = Origin,
        Sequencer = { BatchInterval = TimeSpan.FromMilliseconds(2) },
    };

    private static LogEntry Entry(string text, params SearchTerm[] terms)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new LogEntry(bytes, terms);
    }

    private static Task<LogEngine> OpenAsync(string directory, NoteSigner signer) =>
        LogEngine.OpenAsync(Options(directory), signer, NullLogger.Instance);

    [Fact]
    public async Task OpenAsync_NewDirectory_SignsCheckpointOfEmptyTree()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        await using var engine = await OpenAsync(dir.Path, signer);

        Assert.Equal(0UL, engine.Checkpoint.Checkpoint.TreeSize);
        Assert.Equal(TreeHasher.EmptyRoot, engine.Checkpoint.Checkpoint.RootHash);
        Assert.True(engine.Checkpoint.Verify(new CheckpointPolicy(Origin, [signer.Verifier])).IsValid);
    }

    [Fact]
    public async Task SubmitAsync_ManyEntries_TilesAndProofsVerifyAgainstSignedCheckpoint()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        await using var engine = await OpenAsync(dir.Path, signer);
        var documents = Enumerable.Range(0, 700).Select(i => $"{{\"n\":{i}}}").ToArray();
        var results = await Task.WhenAll(documents.Select(d => engine.SubmitAsync(Entry(d))));
        var checkpoint = await engine.WaitForCheckpointAsync(documents.Length, CancellationToken.None);

        Assert.Equal((ulong)documents.Length, checkpoint.Checkpoint.TreeSize);
        var inOrder = results.Select((r, i) => (r.Index, Document: documents[i])).OrderBy(x => x.Index).Select(x => Encoding.UTF8.GetBytes(x.Document));
        Assert.Equal(TreeHasher.ComputeRoot(inOrder), checkpoint.Checkpoint.RootHash);

        // Read everything back as a tlog-tiles client would, verifying against the checkpoint.
        var reader = TileReader.FromFetch((path, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(engine.ReadTile(path) ?? throw new TileNotFoundException(path)));
        var client = new TileClient(reader, documents.Length, checkpoint.Checkpoint.RootHash);
        for (var i = 0; i < results.Length; i++)
        {
            var entry = await client.ReadEntryAsync(results[i].Index, CancellationToken.None);
            Assert.Equal(documents[i], Encoding.UTF8.GetString(entry));
            var proof = await engine.InclusionProofAsync(results[i].Index, documents.Length, CancellationToken.None);
            Assert.True(MerkleProof.IsValidInclusion(results[i].Index, documents.Length, TreeHasher.HashLeaf(entry), proof, checkpoint.Checkpoint.RootHash));
        }

        var oldRoot = await engine.RootAtAsync(300, CancellationToken.None);
        var consistency = await engine.ConsistencyProofAsync(300, documents.Length, CancellationToken.None);
        Assert.True(MerkleProof.IsValidConsistency(300, documents.Length, oldRoot, checkpoint.Checkpoint.RootHash, consistency));
    }

    [Fact]
    public async Task InclusionProofAsync_AcrossTileLevels_MatchesProofsFoldedFromTiles()
    {
        // 66,000 leaves: full level-0 tiles, one full level-1 tile (65,536 leaves) and partial tiles at both levels,
        // so proofs read stored tile interiors, tile hashes and partial-tile folds.
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        var options = Options(dir.Path);
        options.Sequencer.MaxBatchSize = 10_000;
        options.Sequencer.QueueCapacity = 70_000;
        await using var engine = await LogEngine.OpenAsync(options, signer, NullLogger.Instance);
        const int Size = 66_000;
        await Task.WhenAll(Enumerable.Range(0, Size).Select(i => engine.SubmitAsync(Entry($"{{\"leaf\":{i}}}"))));
        var checkpoint = await engine.WaitForCheckpointAsync(Size, CancellationToken.None);
        var tiles = TileReader.FromFetch((path, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(engine.ReadTile(path) ?? throw new TileNotFoundException(path)));
        var random = new Random(7);

        foreach (var treeSize in new long[] { 1, 255, 256, 257, 65_535, 65_536, 65_537, Size })
        {
            var root = await engine.RootAtAsync(treeSize, CancellationToken.None);
            Assert.Equal(await TileProofs.RootAtAsync(tiles, Size, treeSize, CancellationToken.None), root);
            for (var k = 0; k < 20; k++)
            {
                var index = random.NextInt64(treeSize);
                var proof = await engine.InclusionProofAsync(index, treeSize, CancellationToken.None);
                Assert.Equal(await TileProofs.InclusionProofAsync(tiles, Size, index, treeSize, CancellationToken.None), proof);
                var leaf = TreeHasher.HashLeaf(Encoding.UTF8.GetBytes($"{{\"leaf\":{index}}}"));
                Assert.True(MerkleProof.IsValidInclusion(index, treeSize, leaf, proof, root));
            }

            var older = random.NextInt64(1, treeSize + 1);
            var consistency = await engine.ConsistencyProofAsync(older, treeSize, CancellationToken.None);
            Assert.True(MerkleProof.IsValidConsistency(older, treeSize, await engine.RootAtAsync(older, CancellationToken.None), root, consistency));
        }

        Assert.Equal(checkpoint.Checkpoint.RootHash, await engine.RootAtAsync(Size, CancellationToken.None));
        Assert.NotNull(engine.Store.GetTileInterior(1, 0));
        Assert.Null(engine.Store.GetTileInterior(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.InclusionProofAsync(0, Size + 1, CancellationToken.None));
    }

    [Fact]
    public async Task ReadTile_BeyondTree_ReturnsNull()
    {
        using var dir = new TempDirectory();
        await using var engine = await OpenAsync(dir.Path, Ed25519NoteSigner.Generate(Origin));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => engine.SubmitAsync(Entry($"e{i}"))));

        Assert.NotNull(engine.ReadTile(TilePath.Hash(0, 0, 10)));
        Assert.NotNull(engine.ReadTile(TilePath.Hash(0, 0, 3)));
        Assert.Null(engine.ReadTile(TilePath.Hash(0, 0, 11)));
        Assert.Null(engine.ReadTile(TilePath.Hash(0, 0)));
        Assert.Null(engine.ReadTile(TilePath.Hash(1, 0, 1)));
        Assert.NotNull(engine.ReadTile(TilePath.Entries(0, 10)));
        Assert.Null(engine.ReadTile(TilePath.Entries(0, 11)));
    }

    [Fact]
    public async Task OpenAsync_Reopened_KeepsEntriesIndexesAndCheckpoint()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        SignedCheckpoint before;
        await using (var engine = await OpenAsync(dir.Path, signer))
        {
            await engine.SubmitAsync(Entry("a", new SearchTerm(SearchKind.StorePath, "/nix/store/x")));
            await engine.SubmitAsync(Entry("b"));
            before = await engine.WaitForCheckpointAsync(2, CancellationToken.None);
            await engine.ShutdownAsync(CancellationToken.None);
        }

        await using var reopened = await OpenAsync(dir.Path, signer);
        Assert.Equal(before.Checkpoint, reopened.Checkpoint.Checkpoint);
        Assert.Equal("a", Encoding.UTF8.GetString(reopened.GetEntry(0)!));
        Assert.Equal([0L], reopened.Store.Search(SearchKind.StorePath, "/nix/store/x", -1, 10));
        var again = await reopened.SubmitAsync(Entry("a"));
        Assert.Equal(new AppendResult(0, Duplicate: true), again);
        var next = await reopened.SubmitAsync(Entry("c"));
        Assert.Equal(new AppendResult(2, Duplicate: false), next);
    }

    [Fact]
    public async Task OpenAsync_StoredTreeAheadOfCheckpoint_SignsConsistentCheckpoint()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        byte[] early;
        await using (var engine = await OpenAsync(dir.Path, signer))
        {
            await engine.SubmitAsync(Entry("a"));
            early = (await engine.WaitForCheckpointAsync(1, CancellationToken.None)).ToBytes();
            await engine.SubmitAsync(Entry("b"));
            await engine.WaitForCheckpointAsync(2, CancellationToken.None);
            await engine.ShutdownAsync(CancellationToken.None);
        }

        // As if the process died after the second batch was durable but before its checkpoint was stored.
        using (var store = LogStore.Open(dir.Path))
        {
            store.PutMetaSynced(LogEngine.CheckpointMetaKey, early);
        }

        await using var reopened = await OpenAsync(dir.Path, signer);
        Assert.Equal(2UL, reopened.Checkpoint.Checkpoint.TreeSize);
        var proof = await reopened.ConsistencyProofAsync(1, 2, CancellationToken.None);
        Assert.True(MerkleProof.IsValidConsistency(1, 2, SignedCheckpoint.Parse(early).Checkpoint.RootHash, reopened.Checkpoint.Checkpoint.RootHash, proof));
    }

    [Fact]
    public async Task OpenAsync_CheckpointForDifferentTree_RefusesNamingTheRoots()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        await using (var engine = await OpenAsync(dir.Path, signer))
        {
            await engine.SubmitAsync(Entry("a"));
            await engine.WaitForCheckpointAsync(1, CancellationToken.None);
            await engine.ShutdownAsync(CancellationToken.None);
        }

        using (var store = LogStore.Open(dir.Path))
        {
            var forged = new Checkpoint(Origin, 1, TreeHasher.HashLeaf("other"u8)).Sign(signer);
            store.PutMetaSynced(LogEngine.CheckpointMetaKey, forged.ToBytes());
        }

        var ex = await Assert.ThrowsAsync<LogStoreException>(() => OpenAsync(dir.Path, signer));
        Assert.Contains("root at size 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_DifferentLogKey_Refuses()
    {
        using var dir = new TempDirectory();
        await using (var engine = await OpenAsync(dir.Path, Ed25519NoteSigner.Generate(Origin)))
        {
            await engine.ShutdownAsync(CancellationToken.None);
        }

        var ex = await Assert.ThrowsAsync<LogStoreException>(() => OpenAsync(dir.Path, Ed25519NoteSigner.Generate(Origin)));
        Assert.Contains("does not verify", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_TreeStateBehindCheckpoint_RefusesSayingDataIsMissing()
    {
        using var dir = new TempDirectory();
        var signer = Ed25519NoteSigner.Generate(Origin);
        var emptyTree = new CompactTree().Serialize();

        await using (var engine = await OpenAsync(dir.Path, signer))
        {
            await engine.SubmitAsync(Entry("a"));
            await engine.WaitForCheckpointAsync(1, CancellationToken.None);
            await engine.ShutdownAsync(CancellationToken.None);
        }

        using (var store = LogStore.Open(dir.Path))
        {
            store.PutMetaSynced(LogEngine.TreeMetaKey, emptyTree);
        }

        var ex = await Assert.ThrowsAsync<LogStoreException>(() => OpenAsync(dir.Path, signer));
        Assert.Contains("acknowledged data is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_RegistryChanges_UpdateBuilderRecordsInSameBatch()
    {
        using var dir = new TempDirectory();
        await using var engine = await OpenAsync(dir.Path, Ed25519NoteSigner.Generate(Origin));
        var add = await engine.SubmitAsync(new LogEntry("reg"u8.ToArray(), [new SearchTerm(SearchKind.Builder, "k1")], new BuilderChange("k1", "b+k1+AAAA", "b", Revoke: false)));
        var revoke = await engine.SubmitAsync(new LogEntry("rev"u8.ToArray(), [], new BuilderChange("k1", "b+k1+AAAA", "b", Revoke: true)));

        var record = engine.Store.GetBuilder("k1");
        Assert.NotNull(record);
        Assert.Equal(add.Index, record.RegisteredAt);
        Assert.Equal(revoke.Index, record.RevokedAt);
    }
}
