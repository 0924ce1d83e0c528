using System.Diagnostics;
using System.Globalization;
using System.Text;
using Attest.Agent.Core.Rebuild;
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
    public async Task Rebuild_CheckOfNonReproducibleBuild_AttestsKeptResultUnderRebuilderAndReportsMismatch()
    {
        using var dir = new TempDirectory();
        var (a, b, log) = await CreateAsync(dir);
        await using var _ = log;
        await log.StartAsync();
        var salt = NixTestBuilder.NewSalt();
        var (exit, output, error) = await a.BuildAsync(salt);
        Assert.True(exit == 0, error);
        Assert.Equal(0, (await a.AgentAsync("flush")).ExitCode);
        var outPath = output.Trim();
        var drv = await a.InstantiateAsync(salt);
        var original = Assert.Single(await SearchAsync(log, "drvPath", drv)).Statement;
        var noise = original.Outputs.Single(o => o.Name == "noise");

        // The rebuilder checks in the default store, where builder a built the outputs.
        var (rebuildExit, report, rebuildError) = await b.AgentAsync("rebuild", outPath, "--check");

        Assert.True(rebuildExit == 7, report + rebuildError);
        var checkPath = noise.Path.FullPath + ".check";
        Assert.Contains($"{drv}: MISMATCH", report, StringComparison.Ordinal);
        Assert.Contains($"the rebuilt result is kept as {checkPath}", report, StringComparison.Ordinal);
        Assert.Contains("DIFFERENT", report, StringComparison.Ordinal);
        var pending = Assert.Single(new Outbox(b.Options.SpoolDirectory).ListPending());
        var statement = AttestationDocument.Parse(Outbox.Read(pending)).Statement;
        Assert.Equal("urn:attest:builder:builder-b", statement.BuilderId);
        Assert.Equal(drv, statement.Derivation.FullPath);
        var rebuilt = Assert.Single(statement.Outputs);
        Assert.Equal(noise.Path, rebuilt.Path);
        var (sha256, size) = await NixStore.DumpHashAsync(checkPath);
        Assert.Equal(sha256, rebuilt.NarHash.ToHex());
        Assert.Equal(size, rebuilt.NarSize);
        Assert.NotEqual(noise.NarHash, rebuilt.NarHash);
        Assert.Empty(rebuilt.References);

        // Delivered, the log holds both attestations of the noise output, with different hashes.
        Assert.Equal(0, (await b.AgentAsync("flush")).ExitCode);
        var entries = await SearchAsync(log, "drvPath", drv);
        Assert.Equal(2, entries.Count);
        Assert.Equal(2, entries.Select(e => e.Statement.Outputs.Single(o => o.Name == "noise").NarHash).Distinct().Count());
    }

    [Fact]
    public async Task Rebuild_FromLogWithTwoLogs_RebuildsFromEachResumesFromSavedPositionAndSkipsOwnAttestations()
    {
        using var dir = new TempDirectory();
        var a = NixTestBuilder.Create(dir, "builder-a", chroot: false);
        var b = NixTestBuilder.Create(dir, "builder-b", chroot: true);
        var log1 = await LogServerProcess.CreateWithOriginAsync(dir.Combine("log-1"), "attest.test/log-1", a.PublicKey, b.PublicKey);
        await using var _ = log1;
        var log2 = await LogServerProcess.CreateWithOriginAsync(dir.Combine("log-2"), "attest.test/log-2", a.PublicKey, b.PublicKey);
        await using var __ = log2;
        await Task.WhenAll(log1.StartAsync(), log2.StartAsync());
        b.UpdateOptions(o => o with
        {
            LogUrls = [log1.Url, log2.Url],
            Nix = o.Nix with
            {
                RebuildStore = b.ChrootStore,
                RebuildOptions = new Dictionary<string, string> { ["sandbox"] = "true", ["sandbox-paths"] = "/bin/sh=/bin/busybox /bin/busybox" },
            },
        });
        var drv1 = await BuildAndDeliverAsync(a, log1);
        var drv2 = await BuildAndDeliverAsync(a, log2);

        var (firstExit, first, firstError) = await b.AgentAsync("rebuild", "--from-log");

        Assert.True(firstExit == 7, first + firstError);
        Assert.Contains($"{drv1}: MISMATCH", first, StringComparison.Ordinal);
        Assert.Contains($"{drv2}: MISMATCH", first, StringComparison.Ordinal);
        Assert.Matches(@"next index: [1-9]\d* \(attest\.test/log-1, ", first);
        Assert.Matches(@"next index: [1-9]\d* \(attest\.test/log-2, ", first);
        var positions = RebuildPositions.Load(b.Options.SpoolDirectory).Positions;
        Assert.Equal(["attest.test/log-1", "attest.test/log-2"], positions.Keys);

        // From the start again once delivered: this rebuilder's own attestations are in the logs, nothing to do.
        Assert.Equal(0, (await b.AgentAsync("flush")).ExitCode);
        var (againExit, again, againError) = await b.AgentAsync("rebuild", "--from-log", "--start", "0");
        Assert.True(againExit == 0, again + againError);
        Assert.DoesNotContain(drv1, again, StringComparison.Ordinal);
        Assert.DoesNotContain(drv2, again, StringComparison.Ordinal);

        // A new build in the first log: the next run starts where the first left off and rebuilds only that one.
        var drv3 = await BuildAndDeliverAsync(a, log1);
        var (thirdExit, third, thirdError) = await b.AgentAsync("rebuild", "--from-log");
        Assert.True(thirdExit == 7, third + thirdError);
        Assert.Contains($"{drv3}: MISMATCH", third, StringComparison.Ordinal);
        Assert.DoesNotContain(drv1, third, StringComparison.Ordinal);
        Assert.DoesNotContain(drv2, third, StringComparison.Ordinal);
        Assert.True(RebuildPositions.Load(b.Options.SpoolDirectory).Get("attest.test/log-1") > positions["attest.test/log-1"]);
    }

    private static async Task<string> BuildAndDeliverAsync(NixTestBuilder builder, LogServerProcess log)
    {
        builder.UpdateOptions(o => o with { LogUrls = [log.Url] });
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, error) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, error);
        var (flushExit, _, flushError) = await builder.AgentAsync("flush");
        Assert.True(flushExit == 0, flushError);
        return await builder.InstantiateAsync(salt);
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
