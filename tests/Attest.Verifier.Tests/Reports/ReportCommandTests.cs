using System.Text.Json;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Reports;

/// <summary><c>attest-verify report</c> as its own process against the real log server: figures, exit codes per docs/report.md.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-report-cli");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Report_RealLog_WritesJsonAndHtmlWithTheFigures()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob]);
        await log.AppendAsync(
        [
            Attestations.Document(_scratch.Alice, "same", "same"),
            Attestations.Document(_scratch.Bob, "same", "same"),
            Attestations.Document(_scratch.Alice, "split", "alice"),
            Attestations.Document(_scratch.Bob, "split", "bob"),
            Attestations.Document(_scratch.Alice, "once", "once"),
        ]);
        var json = _scratch.Temp.Combine("report.json");
        var html = _scratch.Temp.Combine("report.html");

        var (exit, output, error) = await VerifierProcess.RunAsync("report", "--log", log.Url.AbsoluteUri, "--key", log.VerifierKey, "--json", json, "--html", html);

        Assert.True(exit == 0, output + error);
        Assert.Contains($"{TestLog.Origin}: read {await log.SizeAsync()} entries.", output, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(json));
        var totals = report.RootElement.GetProperty("totals");
        Assert.Equal(5, totals.GetProperty("attestations").GetInt32());
        Assert.Equal(3, totals.GetProperty("outputs").GetInt32());
        Assert.Equal(1, totals.GetProperty("reproduced").GetInt32());
        Assert.Equal(1, totals.GetProperty("disputed").GetInt32());
        Assert.Equal(1, totals.GetProperty("builtOnce").GetInt32());
        var disputed = Assert.Single(report.RootElement.GetProperty("disputed").EnumerateArray());
        Assert.Equal(Attestations.Path("split").FullPath, disputed.GetProperty("storePath").GetString());
        Assert.Equal(
            [Attestations.NarHashText("alice"), Attestations.NarHashText("bob")],
            disputed.GetProperty("claims").EnumerateArray().Select(c => c.GetProperty("narHash").GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains(Attestations.Path("split").FullPath, await File.ReadAllTextAsync(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_EntryBundleAlteredInTransit_ExitsThreeAndWritesNothing()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        await log.AppendAsync([Attestations.Document(_scratch.Alice, "a", "a"), Attestations.Document(_scratch.Alice, "b", "b")]);
        await using var proxy = await LogProxy.StartAsync(log.Url);
        proxy.Tampering.Rewrite = (path, body) =>
        {
            if (!path.StartsWith("/tile/entries/", StringComparison.Ordinal))
            {
                return null;
            }

            var copy = (byte[])body.Clone();
            copy[^10] ^= 0x01;
            return copy;
        };
        var json = _scratch.Temp.Combine("report.json");

        var (exit, output, error) = await VerifierProcess.RunAsync("report", "--log", proxy.Url.AbsoluteUri, "--key", log.VerifierKey, "--json", json);

        Assert.True(exit == 3, output + error);
        Assert.Contains("do not match its checkpoint", error, StringComparison.Ordinal);
        Assert.False(File.Exists(json));
    }

    [Fact]
    public async Task Report_LogUnreachable_ExitsTwo()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice]);
        var (url, key) = (log.Url, log.VerifierKey);
        await log.DisposeAsync();

        var (exit, output, error) = await VerifierProcess.RunAsync("report", "--log", url.AbsoluteUri, "--key", key, "--json", _scratch.Temp.Combine("r.json"));

        Assert.True(exit == 2, output + error);
        Assert.Contains($"cannot read log {TestLog.Origin}", error, StringComparison.Ordinal);
    }
}
