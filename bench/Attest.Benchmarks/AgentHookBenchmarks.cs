using System.Diagnostics;
using System.Runtime.Versioning;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Core.Spool;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// The post-build hook's own cost, excluding NAR hashing: a real derivation with two outputs of a few bytes each
/// (hashing them takes microseconds) is attested in-process: .drv check, the Nix queries (registered hash,
/// show-derivation, path-info, version), statement, Ed25519 signature, canonical document, atomic spool write with
/// fsync. Needs Nix (Debian nix-bin) and root for the default store.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SupportedOSPlatform("linux")]
public class AgentHookBenchmarks
{
    // What Nix 2.8 exports to the hook in NIX_CONFIG (the settings the statement records).
    private const string NixConfig = "store = auto\nsandbox = false\nsubstituters = \nsystem = x86_64-linux\n";

    private string _directory = string.Empty;
    private string _derivation = string.Empty;
    private HookRunner? _runner;
    private AgentOptions? _options;
    private Attest.Provenance.Statements.NixProvenance? _statement;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"attest-agent-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        var nixFile = Path.Combine(_directory, "bench.nix");
        File.WriteAllText(nixFile, """
            { salt }:
            derivation {
              name = "attest-bench-${salt}";
              system = builtins.currentSystem;
              builder = "/bin/sh";
              outputs = [ "out" "dev" ];
              args = [ "-c" "echo ${salt} > $out; echo dev > $dev" ];
            }
            """);
        var salt = Guid.NewGuid().ToString("N")[..12];
        Run("nix-build", nixFile, "--argstr", "salt", salt, "--no-out-link", "--option", "substituters", "", "--option", "sandbox", "false");
        _derivation = Run("nix-instantiate", nixFile, "--argstr", "salt", salt).Trim();
        var keyPath = Path.Combine(_directory, "builder.key");
        BuilderIdentity.Create("bench-builder", keyPath, overwrite: false).Dispose();
        _options = new AgentOptions { BuilderName = "bench-builder", KeyPath = keyPath, SpoolDirectory = Path.Combine(_directory, "spool") };
        _runner = new HookRunner(_options);
        _statement = _runner.AttestAsync(new NixCli(null, NixStoreLocation.Default), _derivation, null,
            NixSettings.Parse(NixConfig), CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>Everything the hook does for one build.</summary>
    [Benchmark]
    public async Task<HookResult> HookRun() =>
        await _runner!.RunAsync(new HookRequest(_derivation, string.Empty, NixConfig), CancellationToken.None);

    /// <summary>The part without Nix: sign, serialize, spool (write, fsync file, rename, fsync directory).</summary>
    [Benchmark]
    public SpooledDocument SignAndSpool() => new Outbox(_options!.SpoolDirectory).Enqueue(_runner!.Sign(_statement!));

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} failed: {error}");
    }
}
