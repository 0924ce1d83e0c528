using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Attest.Agent.Tests.Infrastructure;
using Attest.Nix;
using Attest.Nix.Nar;
using Attest.Provenance.Signing;
using Attest.Verifier.Cli.Gate;
using Attest.Verifier.Tests.Cli;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Gate;

/// <summary>
/// Real Nix substitutes through the real gate (child process) deciding with the real path verifier against the real
/// log server (child process): three store paths built by Nix, attested by two builders of two operators (both the
/// same hash / different hashes / not at all), copied into a file:// cache with nix copy and deleted from the store.
/// Needs Debian's nix-bin, run as root (scripts/test.sh installs it).
/// </summary>
public sealed class GateEndToEndTests : IAsyncLifetime
{
    /// <summary>Three tiny derivations; /bin/sh only, so they build with the sandbox off as Debian's Nix needs.</summary>
    private const string Expression = """
        { salt }:
        let
          make = kind: derivation {
            name = "attest-gate-${kind}-${salt}";
            system = builtins.currentSystem;
            builder = "/bin/sh";
            args = [ "-c" "echo '${kind} ${salt}' > $out" ];
          };
        in [ (make "attested") (make "disputed") (make "unattested") ]
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-gate-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly IdentityKey _alice = IdentityKey.Generate("alice-builder");
    private readonly IdentityKey _bob = IdentityKey.Generate("bob-builder");
    private LogServerProcess? _log;
    private Process? _gate;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task NixStoreRealise_ThroughGate_OnlyTheAttestedPathSubstitutes()
    {
        // Three real store paths and their NAR hashes, computed with Attest.Nix from the store.
        string nixFile = Path.Combine(_directory, "gate.nix");
        await File.WriteAllTextAsync(nixFile, Expression);
        var (built, buildOutput, buildError) = await ProcessRunner.RunAsync("nix-build",
            [nixFile, "--argstr", "salt", Guid.NewGuid().ToString("N")[..12], "--no-out-link", "--option", "substituters", "", "--option", "sandbox", "false"]);
        Assert.True(built == 0, buildError);
        StorePath[] paths = [.. buildOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(StorePath.Parse)];
        Assert.Equal(3, paths.Length);
        (StorePath attested, StorePath disputed, StorePath unattested) = (paths[0], paths[1], paths[2]);
        NixHash attestedHash = NarHasher.HashPath(attested.FullPath).Hash;
        NixHash disputedHash = NarHasher.HashPath(disputed.FullPath).Hash;

        // The real log with both builders' attestations, and a 2-builders-of-2-operators policy over it.
        _log = await LiveLog.StartAsync(Path.Combine(_directory, "log"), _alice, _bob);
        string logKey = (await _log.GetAsync("v1/log/key")).Trim();
        await LiveLog.SubmitAsync(_log.Url, TestAttestations.Document(_alice, attested, attestedHash));
        await LiveLog.SubmitAsync(_log.Url, TestAttestations.Document(_bob, attested, attestedHash));
        await LiveLog.SubmitAsync(_log.Url, TestAttestations.Document(_alice, disputed, disputedHash));
        await LiveLog.SubmitAsync(_log.Url, TestAttestations.Document(_bob, disputed, NixHash.ComputeSha256("a different build"u8)));
        string policy = Path.Combine(_directory, "policy.json");
        await File.WriteAllTextAsync(policy, TestAttestations.PolicyJson("localhost/attest-log", logKey, _log.Url, [(_alice, "alice"), (_bob, "bob")], 2, 2));

        // The upstream cache, written by Nix; then the paths leave the local store.
        string cache = Path.Combine(_directory, "cache");
        await NixAsync("nix", ["copy", "--extra-experimental-features", "nix-command", "--to", "file://" + cache, "--option", "substituters", "", .. paths.Select(p => p.FullPath)]);
        await NixAsync("nix-store", ["--delete", .. paths.Select(p => p.FullPath)]);
        Assert.All(paths, p => Assert.False(Path.Exists(p.FullPath)));

        // The gate, with a key made by Nix itself.
        string secretKey = Path.Combine(_directory, "gate.sec");
        string publicKey = Path.Combine(_directory, "gate.pub");
        await NixAsync("nix-store", ["--generate-binary-cache-key", "gate-e2e-1", secretKey, publicKey]);
        Uri gate = await StartGateAsync(policy, cache, secretKey);

        string[] substitute = ["--option", "substituters", gate.AbsoluteUri.TrimEnd('/'), "--option", "trusted-public-keys", (await File.ReadAllTextAsync(publicKey)).Trim(),
            "--option", "require-sigs", "true", "--option", "narinfo-cache-negative-ttl", "0", "--option", "narinfo-cache-positive-ttl", "0"];
        var (attestedExit, _, attestedError) = await ProcessRunner.RunAsync("nix-store", ["--realise", attested.FullPath, .. substitute]);
        var (disputedExit, _, _) = await ProcessRunner.RunAsync("nix-store", ["--realise", disputed.FullPath, .. substitute]);
        var (unattestedExit, _, _) = await ProcessRunner.RunAsync("nix-store", ["--realise", unattested.FullPath, .. substitute]);

        Assert.True(attestedExit == 0, attestedError);
        Assert.Equal(attestedHash, NarHasher.HashPath(attested.FullPath).Hash);
        Assert.NotEqual(0, disputedExit);
        Assert.False(Path.Exists(disputed.FullPath));
        Assert.NotEqual(0, unattestedExit);
        Assert.False(Path.Exists(unattested.FullPath));

        using var http = new HttpClient { BaseAddress = gate };
        using HttpResponseMessage disputedAnswer = await http.GetAsync($"{disputed.HashPart}.narinfo");
        Assert.Equal(HttpStatusCode.NotFound, disputedAnswer.StatusCode);
        Assert.Contains("different NAR hash", Assert.Single(disputedAnswer.Headers.GetValues(GateApi.ReasonHeader)), StringComparison.Ordinal);
        using HttpResponseMessage unattestedAnswer = await http.GetAsync($"{unattested.HashPart}.narinfo");
        Assert.Contains("0 builder(s) attested", Assert.Single(unattestedAnswer.Headers.GetValues(GateApi.ReasonHeader)), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_gate is not null)
        {
            if (!_gate.HasExited)
            {
                await ProcessRunner.RunAsync("kill", ["-TERM", _gate.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _gate.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _gate.Kill(entireProcessTree: true);
                }
            }

            _gate.Dispose();
        }

        if (_log is not null)
        {
            await _log.DisposeAsync();
        }

        _alice.Dispose();
        _bob.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory does not affect any result.
        }
    }

    private static async Task NixAsync(string tool, string[] arguments)
    {
        var (exit, _, error) = await ProcessRunner.RunAsync(tool, arguments);
        Assert.True(exit == 0, $"{tool} {string.Join(' ', arguments)}: {error}");
    }

    private async Task<Uri> StartGateAsync(string policy, string cache, string secretKey)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var url = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(ProcessRunner.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[]
        {
            VerifierDll, "gate", "--policy", policy, "--state", Path.Combine(_directory, "state"), "--upstream", "file://" + cache,
            "--listen", url.AbsoluteUri.TrimEnd('/'), "--sign-key", secretKey,
        })
        {
            start.ArgumentList.Add(argument);
        }

        _gate = Process.Start(start)!;
        _gate.OutputDataReceived += (_, _) => { };
        _gate.ErrorDataReceived += (_, _) => { };
        _gate.BeginOutputReadLine();
        _gate.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (int attempt = 0; attempt < 150; attempt++)
        {
            Assert.False(_gate.HasExited, "attest-verify gate exited on start.");
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri(url, "nix-cache-info"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return url;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail("attest-verify gate did not answer within 30 s.");
        return url;
    }

    /// <summary>The verifier host built by the project reference, run as its own process like a deployment would.</summary>
    private static string VerifierDll
    {
        get
        {
            var server = new FileInfo(LogServerProcess.ServerDll);
            string configuration = server.Directory!.Parent!.Name;
            string root = server.Directory.Parent.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(root, "verifier", "bin", configuration, "net10.0", "attest-verify.dll");
        }
    }
}
