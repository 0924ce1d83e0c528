using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Identity;

namespace Attest.Agent.Tests.Infrastructure;

/// <summary>
/// One builder for real Nix builds: its own identity, spool, configuration and post-build-hook wrapper script,
/// building either in the default store (sandbox off, as Debian's Nix needs) or in a chroot store of its own with
/// the sandbox on and busybox as /bin/sh. Needs Debian's nix-bin and busybox-static (scripts/test.sh installs them).
/// </summary>
internal sealed class NixTestBuilder
{
    /// <summary>
    /// Three outputs: <c>out</c> (a file) and <c>dev</c> (a tree with a subdirectory, an executable, an empty file
    /// and a symlink to <c>out</c>) are reproducible; <c>noise</c> holds random bytes, so no two builds agree.
    /// Only /bin/sh and /bin/busybox are used, which exist both on the host and in the sandbox.
    /// </summary>
    public const string Expression = """
        { salt }:
        derivation {
          name = "attest-test-${salt}";
          system = builtins.currentSystem;
          builder = "/bin/sh";
          outputs = [ "out" "dev" "noise" ];
          args = [ "-c" ''
            bb=/bin/busybox
            echo "hello ${salt}" > $out
            $bb mkdir -p $dev/sub/deeper
            echo dev > $dev/sub/file
            printf '#!/bin/sh\necho run\n' > $dev/sub/run.sh
            $bb chmod +x $dev/sub/run.sh
            : > $dev/empty
            $bb ln -s $out $dev/link
            $bb mkdir -p $noise
            $bb head -c 32 /dev/urandom > $noise/random
          '' ];
        }
        """;

    private readonly TempDirectory _directory;

    private NixTestBuilder(TempDirectory directory, AgentOptions options, string? chrootStore, string publicKey)
    {
        _directory = directory;
        Options = options;
        ChrootStore = chrootStore;
        PublicKey = publicKey;
        ConfigPath = directory.Combine($"{options.BuilderName}.json");
        HookScript = directory.Combine($"{options.BuilderName}-hook.sh");
        NixFile = directory.Combine("attest-test.nix");
    }

    public AgentOptions Options { get; private set; }

    public string? ChrootStore { get; }

    public string PublicKey { get; }

    public string ConfigPath { get; }

    public string HookScript { get; }

    public string NixFile { get; }

    public string Directory => _directory.Path;

    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "attest-agent.dll");

    /// <summary>Creates a builder in <paramref name="directory"/> (shared by builders of one test).</summary>
    public static NixTestBuilder Create(TempDirectory directory, string name, bool chroot, IReadOnlyList<Uri>? logs = null, bool failBuildOnError = false)
    {
        var keyPath = directory.Combine($"{name}.key");
        string publicKey;
        using (var key = BuilderIdentity.Create(name, keyPath, overwrite: false))
        {
            publicKey = key.PublicKey.ToString();
        }

        var chrootStore = chroot ? directory.Combine($"{name}-store") : null;
        var options = new AgentOptions
        {
            BuilderName = name,
            KeyPath = keyPath,
            SpoolDirectory = directory.Combine($"{name}-spool"),
            LogUrls = logs ?? [],
            FailBuildOnError = failBuildOnError,
            Delivery = new DeliveryOptions { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1) },
        };
        var builder = new NixTestBuilder(directory, options, chrootStore, publicKey);
        builder.WriteFiles();
        return builder;
    }

    public void UpdateOptions(Func<AgentOptions, AgentOptions> change)
    {
        Options = change(Options);
        Options.Save(ConfigPath);
    }

    /// <summary>Builds the test derivation for <paramref name="salt"/> with the hook; returns nix-build's exit code and outputs.</summary>
    public Task<(int ExitCode, string Output, string Error)> BuildAsync(string salt, params string[] extraArguments) =>
        ProcessRunner.RunAsync("nix-build", [NixFile, "--argstr", "salt", salt, "--no-out-link", .. NixArguments(withHook: true), .. extraArguments]);

    /// <summary>Instantiates the derivation (no build) and returns its .drv path.</summary>
    public async Task<string> InstantiateAsync(string salt)
    {
        var (exit, output, error) = await ProcessRunner.RunAsync("nix-instantiate", [NixFile, "--argstr", "salt", salt, .. StoreArguments()]);
        Assert.True(exit == 0, error);
        return output.Trim();
    }

    /// <summary>Runs the agent CLI with this builder's configuration.</summary>
    public Task<(int ExitCode, string Output, string Error)> AgentAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [AgentDll, .. arguments, "--config", ConfigPath]);

    /// <summary>The file-system path of a store path in this builder's store.</summary>
    public string Physical(string storePath) => (ChrootStore ?? string.Empty) + storePath;

    public IEnumerable<string> StoreArguments() => ChrootStore is null ? [] : ["--store", ChrootStore];

    public IEnumerable<string> NixArguments(bool withHook)
    {
        IEnumerable<string> common = ["--option", "substituters", string.Empty];
        if (withHook)
        {
            common = [.. common, "--option", "post-build-hook", HookScript];
        }

        return ChrootStore is null
            ? [.. common, "--option", "sandbox", "false"]
            : [.. common, "--store", ChrootStore, "--option", "sandbox", "true", "--option", "sandbox-paths", "/bin/sh=/bin/busybox /bin/busybox"];
    }

    private void WriteFiles()
    {
        Options.Save(ConfigPath);
        File.WriteAllText(NixFile, Expression);
        File.WriteAllText(HookScript, $"#!/bin/sh\nexec '{ProcessRunner.DotnetHost}' '{AgentDll}' hook --config '{ConfigPath}'\n");
        File.SetUnixFileMode(HookScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A salt unique to one test run, so every test builds fresh derivations.</summary>
    public static string NewSalt() => Guid.NewGuid().ToString("N")[..12];
}
