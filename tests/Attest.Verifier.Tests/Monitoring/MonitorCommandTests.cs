using Attest.Verifier.Monitoring;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Monitoring;

/// <summary>
/// <c>attest-verify monitor --once</c> as its own process against the real log server, honest and then dishonest
/// (answers doctored by a proxy in front of it, or another log instance under the same key): exit codes and messages
/// as docs/monitor.md documents them, and the state on disk.
/// </summary>
public sealed class MonitorCommandTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-monitor-cli");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task MonitorOnce_LogGrowsAcrossRuns_ExitsZeroAndResumesFromStateOnDisk()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a"), Attestations.Document(_scratch.Alice, "b", "b")]);
        var size1 = await log.SizeAsync();

        var first = await RunOnceAsync(log.Url, log.VerifierKey, "--check-search");
        Assert.True(first.Exit == 0, first.Output + first.Error);
        Assert.Contains($"{TestLog.Origin}: size 0 -> {size1}, {size1} entries re-derived; consistent.", first.Output, StringComparison.Ordinal);
        Assert.Equal(size1, await SavedSizeAsync());

        await log.AppendAsync(Enumerable.Range(0, 5).Select(i => Attestations.Document(_scratch.Alice, "c" + i, "c" + i)));
        var size2 = await log.SizeAsync();
        var second = await RunOnceAsync(log.Url, log.VerifierKey, "--check-search");
        var third = await RunOnceAsync(log.Url, log.VerifierKey);

        Assert.True(second.Exit == 0, second.Output + second.Error);
        Assert.Contains($"size {size1} -> {size2}, {size2 - size1} entries re-derived; consistent.", second.Output, StringComparison.Ordinal);
        Assert.True(third.Exit == 0, third.Output + third.Error);
        Assert.Contains($"size {size2}, nothing new; consistent.", third.Output, StringComparison.Ordinal);
        Assert.Empty(third.Error);
        Assert.Equal(size2, await SavedSizeAsync());
    }

    [Fact]
    public async Task MonitorOnce_ProxyRewritesATile_ExitsThreeLoudlyAndKeepsVerifiedState()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a")]);
        await using var proxy = await LogProxy.StartAsync(log.Url);
        var clean = await RunOnceAsync(proxy.Url, log.VerifierKey);
        Assert.True(clean.Exit == 0, clean.Output + clean.Error);
        var stateFile = Assert.Single(Directory.GetFiles(_scratch.Temp.Combine("monitor"), "*.json"));
        var verified = await File.ReadAllBytesAsync(stateFile);
        var size = await log.SizeAsync();

        await log.AppendAsync([Attestations.Document(_scratch.Alice, "b", "b"), Attestations.Document(_scratch.Alice, "c", "c")]);
        proxy.Tampering.Rewrite = (path, body) => path.StartsWith("/tile/0/000", StringComparison.Ordinal) ? Flip(body, 3) : null;
        var caught = await RunOnceAsync(proxy.Url, log.VerifierKey);
        var again = await RunOnceAsync(proxy.Url, log.VerifierKey);

        Assert.True(caught.Exit == 3, caught.Output + caught.Error);
        Assert.Contains("!!! attest-verify monitor: LOG MISBEHAVIOUR DETECTED !!!", caught.Error, StringComparison.Ordinal);
        Assert.Contains($"!!! REWRITTEN TILE in log {TestLog.Origin}", caught.Error, StringComparison.Ordinal);
        Assert.Contains($"stays at size {size}", caught.Error, StringComparison.Ordinal);
        Assert.Equal(verified, await File.ReadAllBytesAsync(stateFile));
        Assert.Equal(3, again.Exit);
    }

    [Fact]
    public async Task MonitorOnce_LogServesAnotherHistoryUnderTheSameKey_ExitsThreeWithFork()
    {
        await using var honest = await TestLog.StartAsync([_scratch.Alice]);
        await using var forked = await TestLog.StartAsync([_scratch.Alice], logKeyFrom: honest);
        await honest.AppendAsync([Attestations.Document(_scratch.Alice, "a", "honest")]);
        await forked.AppendAsync([Attestations.Document(_scratch.Alice, "a", "forked"), Attestations.Document(_scratch.Alice, "b", "forked")]);
        await using var proxy = await LogProxy.StartAsync(honest.Url);
        var clean = await RunOnceAsync(proxy.Url, honest.VerifierKey);
        Assert.True(clean.Exit == 0, clean.Output + clean.Error);

        proxy.Tampering.RedirectTo = forked.Url;
        var caught = await RunOnceAsync(proxy.Url, honest.VerifierKey);

        Assert.True(caught.Exit == 3, caught.Output + caught.Error);
        Assert.Contains("LOG MISBEHAVIOUR DETECTED", caught.Error, StringComparison.Ordinal);
        // The forked log's tiles cannot prove its larger tree consistent with the verified one.
        Assert.Matches("!!! (FORK|REWRITTEN TILE) in log", caught.Error);
    }

    [Fact]
    public async Task MonitorOnce_SearchDropsAnEntry_ExitsThreeWithVanishedEntry()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "kept", "kept"), Attestations.Document(_scratch.Alice, "dropped", "dropped")]);
        await using var proxy = await LogProxy.StartAsync(log.Url);
        var dropped = Attestations.Path("dropped").FullPath;
        proxy.Tampering.Rewrite = (path, _) =>
            path.StartsWith("/v1/search", StringComparison.Ordinal) && path.Contains("-dropped", StringComparison.Ordinal) ? "{\"entries\":[]}"u8.ToArray() : null;

        var caught = await RunOnceAsync(proxy.Url, log.VerifierKey, "--check-search");

        Assert.True(caught.Exit == 3, caught.Output + caught.Error);
        Assert.Contains($"!!! VANISHED ENTRY in log {TestLog.Origin}: a search for {dropped} omits entry", caught.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Attestations.Path("kept").FullPath, caught.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitorOnce_LogUnreachable_ExitsTwoWithoutAFinding()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        var key = log.VerifierKey;
        var url = log.Url;
        await log.DisposeAsync();

        var result = await RunOnceAsync(url, key);

        Assert.True(result.Exit == 2, result.Output + result.Error);
        Assert.DoesNotContain("MISBEHAVIOUR", result.Error, StringComparison.Ordinal);
        Assert.Contains(url.Authority, result.Error, StringComparison.Ordinal);
    }

    private async Task<long> SavedSizeAsync() =>
        (await new MonitorStateStore(_scratch.Temp.Combine("monitor")).LoadAsync(TestLog.Origin, CancellationToken.None)).TreeSize;

    private Task<(int Exit, string Output, string Error)> RunOnceAsync(Uri log, string key, params string[] extra) =>
        VerifierProcess.RunAsync(["monitor", "--log", log.AbsoluteUri, "--key", key, "--state", _scratch.Temp.Path, "--once", .. extra]);

    private static byte[] Flip(byte[] body, int at)
    {
        var copy = (byte[])body.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
