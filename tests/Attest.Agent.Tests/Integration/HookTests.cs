using Attest.Agent.Core.Spool;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;

namespace Attest.Agent.Tests.Integration;

/// <summary>Real Nix builds running <c>attest-agent hook</c> as their post-build hook.</summary>
public sealed class HookTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hook_RealBuildWithThreeOutputs_SpoolsSignedStatementWithNixNarHashes(bool chroot)
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, chroot ? "chroot-builder" : "default-builder", chroot);
        var salt = NixTestBuilder.NewSalt();

        var (exit, _, error) = await builder.BuildAsync(salt);

        Assert.True(exit == 0, error);
        Assert.Contains("attested", error, StringComparison.Ordinal);
        var document = ReadSingleDocument(builder);
        Assert.True(document.Envelope.IsSignedBy(IdentityPublicKey.Parse(builder.PublicKey)));
        var statement = document.Statement;
        Assert.Equal(await builder.InstantiateAsync(salt), statement.Derivation.FullPath);
        Assert.Equal(["dev", "noise", "out"], statement.Outputs.Select(o => o.Name).Order(StringComparer.Ordinal));
        var outputs = await QueryOutputsAsync(builder, statement.Derivation.FullPath);
        Assert.Equal(outputs.Order(StringComparer.Ordinal), statement.Outputs.Select(o => o.Path.FullPath).Order(StringComparer.Ordinal));
        foreach (var output in statement.Outputs)
        {
            var (sha256, size) = await NixStore.DumpHashAsync(output.Path.FullPath, builder.ChrootStore);
            Assert.Equal(sha256, output.NarHash.ToHex());
            Assert.Equal(size, output.NarSize);
        }

        var dev = statement.Outputs.Single(o => o.Name == "dev");
        var @out = statement.Outputs.Single(o => o.Name == "out");
        Assert.Equal([@out.Path], dev.References);
        Assert.Equal(chroot ? "true" : "false", statement.Environment.Sandbox);
        Assert.Equal(builder.Options.BuilderName, statement.Environment.BuilderName);
        Assert.StartsWith("2.", statement.Environment.NixVersion, StringComparison.Ordinal);
        Assert.Empty(statement.Environment.Substituters);
    }

    [Fact]
    public async Task Hook_DerivationNotBuilt_ClearErrorNothingSpooledBuildNotFailed()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: false);
        var drv = await builder.InstantiateAsync(NixTestBuilder.NewSalt());

        var (exit, _, error) = await RunHookAsync(builder, drv, string.Empty);

        Assert.Equal(0, exit);
        Assert.Contains("NOT attested", error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.Empty(new Outbox(builder.Options.SpoolDirectory).ListPending());
        Assert.Contains("does not exist", AgentState.Read(builder.Options.SpoolDirectory, AgentState.HookFileName).LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hook_FailBuildOnErrorSet_ExitsNonZero()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: false, failBuildOnError: true);
        var drv = await builder.InstantiateAsync(NixTestBuilder.NewSalt());

        var (exit, _, error) = await RunHookAsync(builder, drv, string.Empty);

        Assert.Equal(4, exit);
        Assert.Contains("NOT attested", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a path")]
    [InlineData("/nix/store/not-a-valid-hash-part.drv")]
    [InlineData("")]
    public async Task Hook_InvalidDrvPath_ClearErrorNothingSpooled(string drvPath)
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: false);

        var (exit, _, error) = await RunHookAsync(builder, drvPath, string.Empty);

        Assert.Equal(0, exit);
        Assert.Contains("is not a derivation store path", error, StringComparison.Ordinal);
        Assert.Empty(new Outbox(builder.Options.SpoolDirectory).ListPending());
    }

    [Fact]
    public async Task Hook_MalformedDerivationFile_ClearErrorNothingSpooled()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: true);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, buildError) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, buildError);
        var drv = await builder.InstantiateAsync(salt);
        var spooledBefore = new Outbox(builder.Options.SpoolDirectory).ListPending().Count;
        var physical = builder.Physical(drv);
        File.SetUnixFileMode(physical, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(physical, "Derive([(\"out\",\"/nix/store/truncated");

        var (hookExit, _, error) = await RunHookAsync(builder, drv, string.Empty, $"store = {builder.ChrootStore}");

        Assert.Equal(0, hookExit);
        Assert.Contains("NOT attested", error, StringComparison.Ordinal);
        Assert.Contains("malformed", error, StringComparison.Ordinal);
        Assert.Equal(spooledBefore, new Outbox(builder.Options.SpoolDirectory).ListPending().Count);
    }

    [Fact]
    public async Task Hook_DerivationEditedButWellFormed_RefusedAsModified()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: true);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, buildError) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, buildError);
        var drv = await builder.InstantiateAsync(salt);
        var physical = builder.Physical(drv);
        File.SetUnixFileMode(physical, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var text = await File.ReadAllTextAsync(physical);
        await File.WriteAllTextAsync(physical, text.Replace("hello", "HELLO", StringComparison.Ordinal));
        var spooledBefore = new Outbox(builder.Options.SpoolDirectory).ListPending().Count;

        var (hookExit, _, error) = await RunHookAsync(builder, drv, string.Empty, $"store = {builder.ChrootStore}");

        Assert.Equal(0, hookExit);
        Assert.Contains("was modified", error, StringComparison.Ordinal);
        Assert.Equal(spooledBefore, new Outbox(builder.Options.SpoolDirectory).ListPending().Count);
    }

    [Fact]
    public async Task Hook_OutputModifiedAfterBuild_RefusedAsNotMatchingStore()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: true);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, buildError) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, buildError);
        var drv = await builder.InstantiateAsync(salt);
        var outPath = (await QueryOutputsAsync(builder, drv)).Single(p => p.EndsWith(salt, StringComparison.Ordinal));
        var physical = builder.Physical(outPath);
        File.SetUnixFileMode(physical, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.AppendAllTextAsync(physical, "tampered");
        var spooledBefore = new Outbox(builder.Options.SpoolDirectory).ListPending().Count;

        var (hookExit, _, error) = await RunHookAsync(builder, drv, string.Empty, $"store = {builder.ChrootStore}");

        Assert.Equal(0, hookExit);
        Assert.Contains("modified after the build", error, StringComparison.Ordinal);
        Assert.Equal(spooledBefore, new Outbox(builder.Options.SpoolDirectory).ListPending().Count);
    }

    [Fact]
    public async Task Hook_UnreadableOutputEntry_ClearErrorNothingSpooled()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: true);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, buildError) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, buildError);
        var drv = await builder.InstantiateAsync(salt);
        var devPath = (await QueryOutputsAsync(builder, drv)).Single(p => p.EndsWith("-dev", StringComparison.Ordinal));
        // A FIFO cannot be part of a NAR: reading the output fails the way an unreadable file does, even as root.
        var sub = Path.Combine(builder.Physical(devPath), "sub");
        File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (mkfifo, _, mkfifoError) = await ProcessRunner.RunAsync("mkfifo", [Path.Combine(sub, "fifo")]);
        Assert.True(mkfifo == 0, mkfifoError);
        var spooledBefore = new Outbox(builder.Options.SpoolDirectory).ListPending().Count;

        var (hookExit, _, error) = await RunHookAsync(builder, drv, string.Empty, $"store = {builder.ChrootStore}");

        Assert.Equal(0, hookExit);
        Assert.Contains("Cannot read output", error, StringComparison.Ordinal);
        Assert.Equal(spooledBefore, new Outbox(builder.Options.SpoolDirectory).ListPending().Count);
    }

    [Fact]
    public async Task Hook_OutPathsListsForeignPath_Refused()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: false);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, buildError) = await builder.BuildAsync(salt);
        Assert.True(exit == 0, buildError);
        var drv = await builder.InstantiateAsync(salt);
        var outputs = await QueryOutputsAsync(builder, drv);
        var before = new Outbox(builder.Options.SpoolDirectory).ListPending().Count;

        var (_, _, error) = await RunHookAsync(builder, drv, string.Join(' ', [.. outputs, "/nix/store/00000000000000000000000000000000-foreign"]));
        var (okExit, _, okError) = await RunHookAsync(builder, drv, string.Join(' ', outputs));

        Assert.Contains("is not an output of", error, StringComparison.Ordinal);
        Assert.True(okExit == 0 && okError.Contains("attested", StringComparison.Ordinal), okError);
        Assert.Equal(before + 1, new Outbox(builder.Options.SpoolDirectory).ListPending().Count);
    }

    [Fact]
    public async Task Hook_SpoolDiskFull_ClearErrorNoPartialFileBuildSucceeds()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "builder-a", chroot: false);
        using var disk = TmpfsMount.Create(dir.Combine("full"), sizeKiB: 16);
        var spool = Path.Combine(disk.Path, "spool");
        builder.UpdateOptions(o => o with { SpoolDirectory = spool });
        new Outbox(spool).EnsureCreated();
        // Fill the disk, leaving less than one document's worth of space.
        var (_, _, ddError) = await ProcessRunner.RunAsync("dd", ["if=/dev/zero", $"of={Path.Combine(disk.Path, "filler")}", "bs=1024"]);
        Assert.Contains("No space left", ddError, StringComparison.Ordinal);

        var (exit, _, error) = await builder.BuildAsync(NixTestBuilder.NewSalt());

        Assert.True(exit == 0, error);
        Assert.Contains("NOT attested", error, StringComparison.Ordinal);
        Assert.Contains("outbox", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(spool, "outbox")));
    }

    internal static AttestationDocument ReadSingleDocument(NixTestBuilder builder)
    {
        var pending = Assert.Single(new Outbox(builder.Options.SpoolDirectory).ListPending());
        return AttestationDocument.Parse(Outbox.Read(pending));
    }

    internal static async Task<IReadOnlyList<string>> QueryOutputsAsync(NixTestBuilder builder, string drv)
    {
        var (exit, output, error) = await ProcessRunner.RunAsync("nix-store", ["--query", "--outputs", drv, .. builder.StoreArguments()]);
        Assert.True(exit == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static Task<(int ExitCode, string Output, string Error)> RunHookAsync(NixTestBuilder builder, string drvPath, string outPaths, string? nixConfig = null) =>
        ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [NixTestBuilder.AgentDll, "hook", "--config", builder.ConfigPath],
            new Dictionary<string, string?> { ["DRV_PATH"] = drvPath, ["OUT_PATHS"] = outPaths, ["NIX_CONFIG"] = nixConfig ?? string.Empty });
}
