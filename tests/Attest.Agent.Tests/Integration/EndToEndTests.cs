using System.Diagnostics;
using System.Globalization;
using System.Text;
using Attest.Agent.Core.Spool;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.Agent.Tests.Integration;

/// <summary>Real builds by two builders, delivered to the real log server, compared by a rebuilder.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public async Task Flush_TwoBuildersSameDerivation_LogHoldsCorrectStatementsForEveryOutput()
    {
        using var dir = new TempDirectory();
        var (a, b, log) = await CreateAsync(dir);
        await using var _ = log;
        await log.StartAsync();
        var salt = NixTestBuilder.NewSalt();

        foreach (var builder in new[] { a, b })
        {
            var (exit, _, error) = await builder.BuildAsync(salt);
            Assert.True(exit == 0, error);
            var (flushExit, flushOutput, flushError) = await builder.AgentAsync("flush");
            Assert.True(flushExit == 0, flushError);
            Assert.Contains("delivered 1", flushOutput, StringComparison.Ordinal);
            Assert.Empty(new Outbox(builder.Options.SpoolDirectory).ListPending());
        }

        var drv = await a.InstantiateAsync(salt);
        var entries = await SearchAsync(log, "drvPath", drv);
        Assert.Equal(2, entries.Count);
        var byBuilder = entries.ToDictionary(e => e.Statement.Environment.BuilderName, e => e);
        foreach (var builder in new[] { a, b })
        {
            var document = byBuilder[builder.Options.BuilderName];
            Assert.True(document.Envelope.IsSignedBy(IdentityPublicKey.Parse(builder.PublicKey)));
            foreach (var output in document.Statement.Outputs)
            {
                var (sha256, size) = await NixStore.DumpHashAsync(output.Path.FullPath, builder.ChrootStore);
                Assert.Equal(sha256, output.NarHash.ToHex());
                Assert.Equal(size, output.NarSize);
            }
        }

        NixBuildOutput Output(string builder, string name) => byBuilder[builder].Statement.Outputs.Single(o => o.Name == name);
        Assert.Equal(Output("builder-a", "out").NarHash, Output("builder-b", "out").NarHash);
        Assert.Equal(Output("builder-a", "dev").NarHash, Output("builder-b", "dev").NarHash);
        Assert.NotEqual(Output("builder-a", "noise").NarHash, Output("builder-b", "noise").NarHash);
        Assert.Equal("false", byBuilder["builder-a"].Statement.Environment.Sandbox);
        Assert.Equal("true", byBuilder["builder-b"].Statement.Environment.Sandbox);
    }

    [Fact]
    public async Task Run_LogDownDuringBuilds_NothingLostOnceItReturnsAndSigtermStopsCleanly()
    {
        using var dir = new TempDirectory();
        var (a, _, log) = await CreateAsync(dir);
        await using var _ = log;
        var salts = new[] { NixTestBuilder.NewSalt(), NixTestBuilder.NewSalt() };
        foreach (var salt in salts)
        {
            var (exit, _, error) = await a.BuildAsync(salt);
            Assert.True(exit == 0, error);
        }

        var (flushExit, _, flushError) = await a.AgentAsync("flush");
        Assert.Equal(5, flushExit);
        Assert.Contains("remain in the outbox", flushError, StringComparison.Ordinal);
        Assert.Equal(2, new Outbox(a.Options.SpoolDirectory).CountPending());
        var (_, status, _) = await a.AgentAsync("status");
        Assert.Contains("outbox:         2", status, StringComparison.Ordinal);

        await log.StartAsync();
        using var run = Process.Start(new ProcessStartInfo(ProcessRunner.DotnetHost)
        {
            ArgumentList = { NixTestBuilder.AgentDll, "run", "--config", a.ConfigPath },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var runError = run.StandardError.ReadToEndAsync();
        var runOutput = run.StandardOutput.ReadToEndAsync();
        var outbox = new Outbox(a.Options.SpoolDirectory);
        for (var i = 0; i < 200 && outbox.CountPending() > 0; i++)
        {
            await Task.Delay(100);
        }

        await ProcessRunner.RunAsync("kill", ["-TERM", run.Id.ToString(CultureInfo.InvariantCulture)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == 0, await runError + await runOutput);
        Assert.Equal(0, outbox.CountPending());
        Assert.Equal(2, outbox.ReadReceipts().Count);
        foreach (var salt in salts)
        {
            var drv = await a.InstantiateAsync(salt);
            var entry = Assert.Single(await SearchAsync(log, "drvPath", drv));
            Assert.Equal(drv, entry.Statement.Derivation.FullPath);
        }

        var (_, statusAfter, _) = await a.AgentAsync("status", "--json");
        Assert.Contains("\"outbox\":0", statusAfter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rebuild_FromLogByIndependentChrootBuilder_ReproducibleOutputsMatchNoiseMismatches()
    {
        using var dir = new TempDirectory();
        var (a, b, log) = await CreateAsync(dir);
        await using var _ = log;
        await log.StartAsync();
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, error) = await a.BuildAsync(salt);
        Assert.True(exit == 0, error);
        Assert.Equal(0, (await a.AgentAsync("flush")).ExitCode);
        var drv = await a.InstantiateAsync(salt);
        b.UpdateOptions(o => o with
        {
            Nix = o.Nix with
            {
                RebuildStore = b.ChrootStore,
                RebuildOptions = new Dictionary<string, string>
                {
                    ["sandbox"] = "true",
                    ["sandbox-paths"] = "/bin/sh=/bin/busybox /bin/busybox",
                },
            },
        });

        var (rebuildExit, report, rebuildError) = await b.AgentAsync("rebuild", "--from-log");

        Assert.True(rebuildExit == 7, report + rebuildError);
        Assert.Contains($"{drv}: MISMATCH", report, StringComparison.Ordinal);
        Assert.Matches(@"  out /nix/store/\S+ sha256:\S+: match", report);
        Assert.Matches(@"  dev /nix/store/\S+ sha256:\S+: match", report);
        Assert.Matches(@"  noise /nix/store/\S+ sha256:\S+: MISMATCH", report);

        // The rebuilder's own attestation goes to the log like any build; then nothing is left unconfirmed.
        Assert.Equal(0, (await b.AgentAsync("flush")).ExitCode);
        Assert.Equal(2, (await SearchAsync(log, "drvPath", drv)).Count);
        var (againExit, again, againError) = await b.AgentAsync("rebuild", "--from-log");
        Assert.True(againExit == 0, again + againError);
        Assert.DoesNotContain(drv, again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rebuild_CheckOfNonReproducibleOutputPath_FindsDerivationAndReportsDifference()
    {
        using var dir = new TempDirectory();
        var (a, _, log) = await CreateAsync(dir);
        await using var _ = log;
        await log.StartAsync();
        var salt = NixTestBuilder.NewSalt();
        var (exit, output, error) = await a.BuildAsync(salt);
        Assert.True(exit == 0, error);
        var outPath = output.Trim();

        var (rebuildExit, _, rebuildError) = await a.AgentAsync("rebuild", outPath, "--check");

        Assert.Equal(8, rebuildExit);
        Assert.Contains(await a.InstantiateAsync(salt), rebuildError, StringComparison.Ordinal);
        Assert.Contains("differs from the existing outputs", rebuildError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flush_UnregisteredBuilder_DeadLetteredWithLogsReason()
    {
        using var dir = new TempDirectory();
        var (a, _, log) = await CreateAsync(dir);
        await using var _ = log;
        await log.StartAsync();
        var stranger = NixTestBuilder.Create(dir, "stranger", chroot: false, [log.Url]);
        var (exit, _, error) = await stranger.BuildAsync(NixTestBuilder.NewSalt());
        Assert.True(exit == 0, error);

        var (flushExit, output, _) = await stranger.AgentAsync("flush");

        Assert.Equal(6, flushExit);
        Assert.Contains("dead-lettered 1", output, StringComparison.Ordinal);
        var outbox = new Outbox(stranger.Options.SpoolDirectory);
        Assert.Equal(0, outbox.CountPending());
        Assert.Equal(1, outbox.CountDeadLetters());
        var reason = await File.ReadAllTextAsync(Directory.EnumerateFiles(outbox.DeadLetterDirectory, "*.reason.json").Single());
        Assert.Matches("\"status\": 40[13]", reason);
        Assert.NotNull(a);
    }

    private static async Task<(NixTestBuilder A, NixTestBuilder B, LogServerProcess Log)> CreateAsync(TempDirectory dir)
    {
        var placeholder = new Uri("http://127.0.0.1:1/");
        var a = NixTestBuilder.Create(dir, "builder-a", chroot: false, [placeholder]);
        var b = NixTestBuilder.Create(dir, "builder-b", chroot: true, [placeholder]);
        var log = await LogServerProcess.CreateAsync(dir.Combine("log-data"), a.PublicKey, b.PublicKey);
        a.UpdateOptions(o => o with { LogUrls = [log.Url] });
        b.UpdateOptions(o => o with { LogUrls = [log.Url] });
        return (a, b, log);
    }

    private static async Task<List<AttestationDocument>> SearchAsync(LogServerProcess log, string key, string value)
    {
        var body = await log.GetAsync($"v1/search?{key}={Uri.EscapeDataString(value)}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => AttestationDocument.Parse(Encoding.UTF8.GetBytes(e.GetProperty("document").GetRawText())))
            .ToList();
    }
}
