using System.Text.Json;
using Attest.Provenance.Signing;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Reports;

/// <summary><c>attest-verify report</c> as its own process against the real log server: figures, exit codes per docs/report.md.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-report-cli-" + Guid.NewGuid().ToString("N"));
    private readonly IdentityKey _alice = IdentityKey.Generate("alice");
    private readonly IdentityKey _bob = IdentityKey.Generate("bob");

    public ReportCommandTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Report_RealLog_WritesJsonAndHtmlWithTheFigures()
    {
        await using var log = await TestLog.StartAsync([_alice, _bob]);
        await log.AppendAsync(
        [
            Attestations.Document(_alice, "same", "same"),
            Attestations.Document(_bob, "same", "same"),
            Attestations.Document(_alice, "split", "alice"),
            Attestations.Document(_bob, "split", "bob"),
            Attestations.Document(_alice, "once", "once"),
        ]);
        var json = Path.Combine(_directory, "report.json");
        var html = Path.Combine(_directory, "report.html");

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
        await using var log = await TestLog.StartAsync([_alice]);
        await log.AppendAsync([Attestations.Document(_alice, "a", "a"), Attestations.Document(_alice, "b", "b")]);
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
        var json = Path.Combine(_directory, "report.json");

        var (exit, output, error) = await VerifierProcess.RunAsync("report", "--log", proxy.Url.AbsoluteUri, "--key", log.VerifierKey, "--json", json);

        Assert.True(exit == 3, output + error);
        Assert.Contains("do not match its checkpoint", error, StringComparison.Ordinal);
        Assert.False(File.Exists(json));
    }

    [Fact]
    public async Task Report_LogUnreachable_ExitsTwo()
    {
        await using var log = await TestLog.StartAsync([_alice]);
        var (url, key) = (log.Url, log.VerifierKey);
        await log.DisposeAsync();

        var (exit, output, error) = await VerifierProcess.RunAsync("report", "--log", url.AbsoluteUri, "--key", key, "--json", Path.Combine(_directory, "r.json"));

        Assert.True(exit == 2, output + error);
        Assert.Contains($"cannot read log {TestLog.Origin}", error, StringComparison.Ordinal);
    }
}
