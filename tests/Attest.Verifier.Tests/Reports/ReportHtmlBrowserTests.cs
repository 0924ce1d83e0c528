using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;
using Attest.Verifier.Reports;
using Attest.Verifier.Tests.Support;

namespace Attest.Verifier.Tests.Reports;

/// <summary>Renders the HTML report in Debian's headless chromium and checks the DOM it produced.</summary>
public sealed class ReportHtmlBrowserTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-report-html-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Write_RenderedInHeadlessChromium_ShowsFiguresAndScriptRan()
    {
        Directory.CreateDirectory(_directory);
        using var alice = IdentityKey.Generate("alice");
        using var bob = IdentityKey.Generate("bob");
        var builder = new ReportBuilder(new Dictionary<string, string> { [alice.KeyId] = "alice", [bob.KeyId] = "bob" });
        var day = new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
        builder.AddBatch(
        [
            Attestations.Document(alice, "same", "s", day),
            Attestations.Document(bob, "same", "s", day),
            Attestations.Document(alice, "differs", "a", day),
            Attestations.Document(bob, "differs", "b", day.AddDays(1)),
            Attestations.Document(alice, "solo", "o", day.AddDays(2)),
        ]);
        builder.AddLog("test.example/log", 5);
        var html = Path.Combine(_directory, "report.html");
        await using (var writer = new StreamWriter(html))
        {
            ReportHtmlWriter.Write(builder.Build(day.AddDays(3)), writer);
        }

        var (exit, dom, error) = await ProcessRunner.RunAsync("chromium",
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + Path.Combine(_directory, "profile"), "--dump-dom", "file://" + html,
        ]);

        Assert.True(exit == 0, error);
        Assert.Contains("data-search=\"ready\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"reproduced\">1<", dom, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"disputed\">1<", dom, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"built-once\">1<", dom, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"reproduced-share\">50.0%<", dom, StringComparison.Ordinal);
        Assert.Contains(Attestations.NarHashText("b"), dom, StringComparison.Ordinal);
    }
}
