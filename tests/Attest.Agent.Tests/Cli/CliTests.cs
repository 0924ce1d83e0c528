using System.CommandLine;
using System.Text.Json;
using Attest.Agent.Commands;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;

namespace Attest.Agent.Tests.Cli;

/// <summary>The CLI run in-process, with its output captured.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task NarHash_GeneratedTree_EqualsNixHashInBothForms()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("tree");
        Directory.CreateDirectory(Path.Combine(root, "a", "b", "c"));
        await File.WriteAllTextAsync(Path.Combine(root, "a", "b", "c", "deep.txt"), "deep");
        await File.WriteAllBytesAsync(Path.Combine(root, "empty"), []);
        await File.WriteAllTextAsync(Path.Combine(root, "ünïcødé-名前"), "non-ASCII name");
        var script = Path.Combine(root, "run.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "a/b/c/deep.txt");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "/nonexistent/target");
        Directory.CreateDirectory(Path.Combine(root, "emptydir"));
        var big = new byte[3 * 1024 * 1024 + 7];
        new Random(7).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(root, "big.bin"), big);

        var (exit, output, _) = await InvokeAsync("nar-hash", root);
        var (sriExit, sri, _) = await InvokeAsync("nar-hash", "--sri", root);
        var (_, nix32, _) = await ProcessRunner.RunAsync("nix-hash", ["--type", "sha256", "--base32", root]);
        var (_, nixSri, _) = await ProcessRunner.RunAsync("nix", ["--extra-experimental-features", "nix-command", "hash", "path", "--type", "sha256", root]);

        Assert.Equal((0, 0), (exit, sriExit));
        Assert.Equal($"sha256:{nix32.Trim()}", output.Trim());
        Assert.Equal(nixSri.Trim(), sri.Trim());
    }

    [Fact]
    public async Task NarHash_MissingPath_IoErrorOnStderr()
    {
        var (exit, output, error) = await InvokeAsync("nar-hash", "/nonexistent/attest-agent-test");

        Assert.Equal(11, exit);
        Assert.Empty(output);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_NewIdentity_KeyMode600ConfigWrittenPublicKeyPrinted()
    {
        using var dir = new TempDirectory();
        var config = dir.Combine("etc", "agent.json");
        var key = dir.Combine("etc", "builder.key");

        var (exit, output, _) = await InvokeAsync("init", "--config", config, "--name", "hydra-01", "--key", key,
            "--spool", dir.Combine("spool"), "--log", "http://127.0.0.1:9/");
        var (again, _, error) = await InvokeAsync("init", "--config", config);

        Assert.Equal(0, exit);
        var publicKey = IdentityPublicKey.Parse(output.Trim());
        Assert.Equal("hydra-01", publicKey.Name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(10, again);
        Assert.Contains("already exists", error, StringComparison.Ordinal);

        var (statusExit, status, _) = await InvokeAsync("status", "--json", "--config", config);
        Assert.Equal(0, statusExit);
        using var json = JsonDocument.Parse(status);
        Assert.Equal(publicKey.ToString(), json.RootElement.GetProperty("publicKey").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("outbox").GetInt32());
    }

    [Fact]
    public async Task Init_WithHook_WritesExecutableHookScriptThatRunsTheAgent()
    {
        using var dir = new TempDirectory();
        var config = dir.Combine("etc it's", "agent.json");
        var hook = dir.Combine("etc it's", "post-build-hook");

        var (exit, _, error) = await InvokeAsync("init", "--config", config, "--name", "hydra-01", "--key", dir.Combine("builder.key"),
            "--spool", dir.Combine("spool"), "--hook", hook);

        Assert.True(exit == 0, error);
        Assert.Contains($"post-build-hook = {hook}", error, StringComparison.Ordinal);
        Assert.True(File.GetUnixFileMode(hook).HasFlag(UnixFileMode.OtherExecute));
        var script = await File.ReadAllTextAsync(hook);
        Assert.StartsWith("#!/bin/sh\n", script, StringComparison.Ordinal);
        Assert.Contains("hook --config ", script, StringComparison.Ordinal);

        // Nix runs the script without arguments; with no DRV_PATH the agent explains and does not fail the build.
        var (hookExit, _, hookError) = await ProcessRunner.RunAsync(hook, [], new Dictionary<string, string?> { ["DRV_PATH"] = string.Empty });
        Assert.Equal(0, hookExit);
        Assert.Contains("NOT attested", hookError, StringComparison.Ordinal);
        Assert.Contains("is not a derivation store path", hookError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_KeyReadableByOthers_ReportsIdentityError()
    {
        using var dir = new TempDirectory();
        var config = dir.Combine("agent.json");
        var key = dir.Combine("builder.key");
        Assert.Equal(0, (await InvokeAsync("init", "--config", config, "--name", "b1", "--key", key, "--spool", dir.Combine("spool"))).ExitCode);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var (exit, output, _) = await InvokeAsync("status", "--config", config);

        Assert.Equal(0, exit);
        Assert.Contains("it must be 600", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flush")]
    [InlineData("status")]
    [InlineData("run")]
    public async Task Command_MissingConfiguration_ConfigurationErrorExitCode(string command)
    {
        using var dir = new TempDirectory();

        var (exit, _, error) = await InvokeAsync(command, "--config", dir.Combine("absent.json"));

        Assert.Equal(3, exit);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rebuild")]
    [InlineData("rebuild", "--from-log", "/nix/store/q1y6yjbqja2xg1ss7frlg7s9nhq9z4r1-x.drv")]
    [InlineData("rebuild", "--from-log", "--max", "0")]
    [InlineData("flush", "--wait", "-1")]
    [InlineData("init", "--log", "ftp://x/")]
    public async Task Command_InvalidArguments_RejectedBeforeDoingAnything(params string[] arguments)
    {
        var (exit, _, error) = await InvokeAsync(arguments);

        Assert.Equal(2, exit);
        Assert.Contains("attest-agent:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hook_NoConfiguration_DoesNotFailTheBuild()
    {
        using var dir = new TempDirectory();

        var (exit, _, error) = await InvokeAsync("hook", "--config", dir.Combine("absent.json"));

        Assert.Equal(0, exit);
        Assert.Contains("NOT attested", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "hook")]
    [InlineData("/etc/attest/agent.json", "hook", "--config", "/etc/attest/agent.json")]
    [InlineData("/x.json", "hook", "-c", "/x.json")]
    [InlineData("/x.json", "hook", "--config=/x.json")]
    public void TryParseFastPath_InstalledHookCommandLines_Recognised(string? expected, params string[] arguments)
    {
        Assert.True(HookCommand.TryParseFastPath(arguments, out var config));
        Assert.Equal(expected, config);
    }

    [Theory]
    [InlineData("hook", "--help")]
    [InlineData("hook", "--config")]
    [InlineData("hook", "--config", "--help")]
    [InlineData("hook", "--config=")]
    [InlineData("hook", "--config", "/a", "extra")]
    [InlineData("hook", "--verbose")]
    [InlineData("status")]
    [InlineData("--config", "/a", "hook")]
    public void TryParseFastPath_AnythingElse_LeftToTheFullParser(params string[] arguments)
    {
        Assert.False(HookCommand.TryParseFastPath(arguments, out _));
    }

    private static async Task<(int ExitCode, string Output, string Error)> InvokeAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await AgentCli.InvokeAsync(arguments, new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
