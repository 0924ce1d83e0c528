using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Attest.Transparency.Witness;
using Attest.Verifier.Logs;
using Attest.Verifier.Monitoring;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Monitoring;

public sealed class LogMonitorTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-monitor-test");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task PassAsync_LogGrowsAcrossRestartsAndBundleBoundary_VerifiesEverythingAndResumesFromDisk()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "hello", "same"), Attestations.Document(_scratch.Bob, "hello", "same")]);
        using var http = new HttpClient();
        var store = new MonitorStateStore(_scratch.Temp.Path);

        var first = await new LogMonitor(log.Policy, http, store).PassAsync(checkSearch: true, CancellationToken.None);

        Assert.Empty(first.Findings);
        Assert.Equal(0, first.PreviousSize);
        var size1 = await log.SizeAsync();
        Assert.Equal(size1, first.TreeSize);

        // A new monitor process: it must resume from the state file, across the 256-entry bundle boundary.
        await log.AppendAsync(Enumerable.Range(0, 300).Select(i => Attestations.Document(i % 2 == 0 ? _scratch.Alice : _scratch.Bob, "pkg" + i, "content" + i)));
        var second = await new LogMonitor(log.Policy, http, store).PassAsync(checkSearch: false, CancellationToken.None);

        Assert.Empty(second.Findings);
        Assert.Equal(size1, second.PreviousSize);
        Assert.Equal(await log.SizeAsync(), second.TreeSize);
        Assert.Equal(second.TreeSize - size1, second.EntriesVerified);
        var saved = await store.LoadAsync(TestLog.Origin, CancellationToken.None);
        Assert.Equal(second.TreeSize, saved.TreeSize);
        Assert.Equal(301, saved.Index.Count);
        Assert.Equal(2, saved.Index[Attestations.Path("hello").FullPath].Length);

        var third = await new LogMonitor(log.Policy, http, store).PassAsync(checkSearch: true, CancellationToken.None);
        Assert.Empty(third.Findings);
        Assert.Equal(0, third.EntriesVerified);
    }

    [Fact]
    public async Task PassAsync_ServedTileRewritten_ReportsRewrittenTileAndKeepsState()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a")]);
        using var handler = new TamperingHandler();
        using var http = new HttpClient(handler);
        var store = new MonitorStateStore(_scratch.Temp.Path);
        Assert.Empty((await new LogMonitor(log.Policy, http, store).PassAsync(false, CancellationToken.None)).Findings);
        var before = await log.SizeAsync();

        await log.AppendAsync([Attestations.Document(_scratch.Alice, "b", "b")]);
        handler.Rewrite = (path, body) => path.StartsWith("/tile/0/000", StringComparison.Ordinal) ? Flip(body, 5) : null;
        var result = await new LogMonitor(log.Policy, http, store).PassAsync(false, CancellationToken.None);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(MonitorFindingKind.RewrittenTile, finding.Kind);
        Assert.Contains(TestLog.Origin, finding.ToString(), StringComparison.Ordinal);
        Assert.Contains("REWRITTEN TILE", finding.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, (await store.LoadAsync(TestLog.Origin, CancellationToken.None)).TreeSize);
    }

    [Fact]
    public async Task PassAsync_EntryBundleAltered_ReportsAlteredEntry()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a"), Attestations.Document(_scratch.Alice, "b", "b")]);
        using var handler = new TamperingHandler
        {
            // Same length, one byte changed inside the last entry: the bundle still parses but no longer hashes to the tree.
            Rewrite = (path, body) => path.StartsWith("/tile/entries/", StringComparison.Ordinal) ? Flip(body, body.Length - 10) : null,
        };
        using var http = new HttpClient(handler);

        var result = await new LogMonitor(log.Policy, http, new MonitorStateStore(_scratch.Temp.Path)).PassAsync(false, CancellationToken.None);

        Assert.Equal(MonitorFindingKind.AlteredEntry, Assert.Single(result.Findings).Kind);
        Assert.Equal(0, result.TreeSize);
    }

    [Fact]
    public async Task PassAsync_SecondLogWithSameKeyAndOtherHistory_ReportsForkOrSplitView()
    {
        await using var honest = await TestLog.StartAsync([_scratch.Alice]);
        await using var forked = await TestLog.StartAsync([_scratch.Alice], logKeyFrom: honest);
        await honest.AppendAsync([Attestations.Document(_scratch.Alice, "a", "honest")]);
        await forked.AppendAsync([Attestations.Document(_scratch.Alice, "a", "forked")]);
        using var handler = new TamperingHandler();
        using var http = new HttpClient(handler);
        var store = new MonitorStateStore(_scratch.Temp.Path);
        Assert.Empty((await new LogMonitor(honest.Policy, http, store).PassAsync(false, CancellationToken.None)).Findings);

        handler.RedirectTo = forked.Url;
        var split = await new LogMonitor(honest.Policy, http, store).PassAsync(false, CancellationToken.None);
        Assert.Equal(MonitorFindingKind.SplitView, Assert.Single(split.Findings).Kind);

        await forked.AppendAsync([Attestations.Document(_scratch.Alice, "c", "c")]);
        var fork = await new LogMonitor(honest.Policy, http, store).PassAsync(false, CancellationToken.None);
        var finding = Assert.Single(fork.Findings);
        Assert.Equal(MonitorFindingKind.Fork, finding.Kind);
        Assert.Contains("not consistent", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PassAsync_SearchOmitsIndexedEntry_ReportsVanishedEntry()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a")]);
        using var handler = new TamperingHandler();
        using var http = new HttpClient(handler);
        var store = new MonitorStateStore(_scratch.Temp.Path);
        Assert.Empty((await new LogMonitor(log.Policy, http, store).PassAsync(true, CancellationToken.None)).Findings);

        handler.Rewrite = (path, body) => path.StartsWith("/v1/search", StringComparison.Ordinal) ? "{\"entries\":[]}"u8.ToArray() : null;
        var result = await new LogMonitor(log.Policy, http, store).PassAsync(true, CancellationToken.None);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(MonitorFindingKind.VanishedEntry, finding.Kind);
        Assert.Contains(Attestations.Path("a").FullPath, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCheckpointAsync_VerifiedCheckpoint_CosignsAndForkedCheckpoint_Refuses()
    {
        await using var honest = await TestLog.StartAsync([_scratch.Alice]);
        await using var forked = await TestLog.StartAsync([_scratch.Alice], logKeyFrom: honest);
        await honest.AppendAsync([Attestations.Document(_scratch.Alice, "a", "honest")]);
        await forked.AppendAsync([Attestations.Document(_scratch.Alice, "a", "forked"), Attestations.Document(_scratch.Alice, "b", "forked")]);
        using var handler = new TamperingHandler();
        using var http = new HttpClient(handler);
        var monitor = new LogMonitor(honest.Policy, http, new MonitorStateStore(_scratch.Temp.Path));
        var signer = CosignatureSigner.Generate("witness.example/w1");
        var logKey = NoteVerifier.Import(honest.VerifierKey);
        using var witnessState = new FileWitnessStateStore(_scratch.Temp.Combine("witness"));
        var witness = new MonitorWitness([monitor], new CheckpointWitness([new WitnessLog(TestLog.Origin, [logKey])], witnessState, signer));

        var honestCheckpoint = SignedCheckpoint.Parse(await http.GetByteArrayAsync(new Uri(honest.Url, "checkpoint"), CancellationToken.None));
        var request = new AddCheckpointRequest(0, [], honestCheckpoint);
        var cosigned = await witness.AddCheckpointAsync(request.ToBytes(), CancellationToken.None);
        Assert.Equal(200, cosigned.StatusCode);
        Assert.Equal(honestCheckpoint.Checkpoint.TreeSize, (ulong)(await monitor.LoadAsync(CancellationToken.None)).TreeSize);

        var forkedCheckpoint = SignedCheckpoint.Parse(await http.GetByteArrayAsync(new Uri(forked.Url, "checkpoint"), CancellationToken.None));
        var tiles = new TileClient(new TiledLog(forked.Policy, http).Reader, (long)forkedCheckpoint.Checkpoint.TreeSize, forkedCheckpoint.Checkpoint.RootHash);
        var proof = await tiles.ConsistencyProofAsync((long)honestCheckpoint.Checkpoint.TreeSize, CancellationToken.None);
        var forkRequest = new AddCheckpointRequest(honestCheckpoint.Checkpoint.TreeSize, proof, forkedCheckpoint);
        // The log now serves the forked history to everyone, the monitor included.
        handler.RedirectTo = forked.Url;
        var refused = await witness.AddCheckpointAsync(forkRequest.ToBytes(), CancellationToken.None);

        Assert.Equal(422, refused.StatusCode);
        Assert.Contains("FORK", refused.Message, StringComparison.Ordinal);
    }

    private static byte[] Flip(byte[] body, int at)
    {
        var copy = (byte[])body.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
