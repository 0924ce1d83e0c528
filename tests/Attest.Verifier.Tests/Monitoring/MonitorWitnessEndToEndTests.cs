using System.Globalization;
using System.Net;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;
using Attest.Transparency.Witness;
using Attest.Verifier.Logs;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Monitoring;

/// <summary>
/// <c>attest-verify monitor --witness-key --listen</c> as its own process, serving c2sp.org/tlog-witness
/// <c>add-checkpoint</c> over real HTTP to the real log server configured with it as its one required witness.
/// </summary>
public sealed class MonitorWitnessEndToEndTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-monitor-witness");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Monitor_AsTheLogsWitness_CosignsWhatItVerifiedAndRefusesStaleAndForkedCheckpoints()
    {
        var witness = CosignatureSigner.Generate("witness.test/monitor");
        var keyFile = _scratch.Temp.Combine("witness.key");
        await File.WriteAllTextAsync(keyFile, witness.ExportPrivateKey() + "\n");
        var listen = new Uri($"http://127.0.0.1:{Loopback.FreePort()}/");
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a"), Attestations.Document(_scratch.Alice, "b", "b")]);
        var unwitnessedSize = await log.SizeAsync();
        // The monitor reads the log through a proxy so the test can later show it another history; one pass at
        // start, then it verifies only what is offered to it as a witness.
        await using var proxy = await LogProxy.StartAsync(log.Url);
        await using var monitor = VerifierProcess.Start(
            "monitor", "--log", proxy.Url.AbsoluteUri, "--key", log.VerifierKey, "--state", _scratch.Temp.Combine("state"),
            "--interval", "3600", "--witness-key", keyFile, "--listen", listen.AbsoluteUri.TrimEnd('/'));
        await monitor.WaitForOutputAsync($"Witness {witness.Verifier.Encode()} listening");
        await monitor.WaitForOutputAsync("consistent.");

        // The log now requires the monitor's cosignature before it serves a checkpoint (docs/log-api.md, Witnesses).
        await log.RestartAsync("--witness-quorum", "1", "--Log:Witnesses:0:Url", listen.AbsoluteUri, "--Log:Witnesses:0:Key", witness.Verifier.Encode());
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "c", "c")]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var served = SignedCheckpoint.Parse(await http.GetByteArrayAsync(new Uri(log.Url, "checkpoint")));
        var witnessed = new CheckpointPolicy(TestLog.Origin, [NoteVerifier.Import(log.VerifierKey)], [NoteVerifier.Import(witness.Verifier.Encode())], 1);
        Assert.True(served.Verify(witnessed).IsValid, served.Verify(witnessed).Message);
        Assert.Equal((ulong)unwitnessedSize + 1, served.Checkpoint.TreeSize);

        // Stale: the witness has cosigned that size, so a request from size 0 gets 409 with the size it holds.
        using var stale = await PostAsync(http, listen, new AddCheckpointRequest(0, [], served));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("text/x.tlog.size", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal(served.Checkpoint.TreeSize, ulong.Parse((await stale.Content.ReadAsStringAsync()).Trim(), CultureInfo.InvariantCulture));

        // Forked: another history under the same log key, with a consistency proof its own tiles compute, served to
        // the monitor as the log's view.
        await using var forked = await TestLog.StartAsync([_scratch.Alice], logKeyFrom: log);
        await forked.AppendAsync(Enumerable.Range(0, 5).Select(i => Attestations.Document(_scratch.Alice, "f" + i, "f" + i)));
        var fork = SignedCheckpoint.Parse(await http.GetByteArrayAsync(new Uri(forked.Url, "checkpoint")));
        var forkTiles = new TiledLog(forked.Policy, http).TilesFor(fork);
        var proof = await forkTiles.ConsistencyProofAsync((long)served.Checkpoint.TreeSize, CancellationToken.None);
        proxy.Tampering.RedirectTo = forked.Url;
        using var refused = await PostAsync(http, listen, new AddCheckpointRequest(served.Checkpoint.TreeSize, proof, fork));
        var refusal = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("The monitor has not verified this checkpoint", refusal, StringComparison.Ordinal);
        Assert.Matches("(FORK|REWRITTEN TILE|ALTERED ENTRY) in log", refusal);
        Assert.Equal(served.Checkpoint.RootHash, SignedCheckpoint.Parse(await http.GetByteArrayAsync(new Uri(log.Url, "checkpoint"))).Checkpoint.RootHash);
        // The operator hears of it too: the monitor says so on stderr and ends with exit code 3.
        Assert.Equal(3, await monitor.WaitForExitAsync());
        Assert.Contains("!!! attest-verify monitor: LOG MISBEHAVIOUR DETECTED !!!", monitor.Error, StringComparison.Ordinal);
        Assert.Matches($"!!! (FORK|REWRITTEN TILE|ALTERED ENTRY) in log {TestLog.Origin}", monitor.Error);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, Uri witness, AddCheckpointRequest request)
    {
        using var content = new ByteArrayContent(request.ToBytes());
        return await http.PostAsync(new Uri(witness, "add-checkpoint"), content);
    }
}
