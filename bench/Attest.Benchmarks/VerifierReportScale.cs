using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;

namespace Attest.Benchmarks;

/// <summary>
/// <c>report-scale [--attestations N] [--builders B] [--dir DIR] [--verifier DLL] [--run report|monitor]</c>: runs
/// the real <c>attest-verify report</c> (or <c>monitor --once</c>, which re-derives the whole tree from a fresh state)
/// as a child process (Release build) over a log of N signed attestations served on loopback through the
/// c2sp.org/tlog-tiles static API, and prints the wall time, CPU time and peak memory of that process.
/// </summary>
/// <remarks>
/// The log is generated once per (N, B) and kept in DIR (default: a folder under the temp directory): B builder
/// keys of B/5 operators sign real Ed25519 DSSE attestations; outputs are built once (40%), reproduced by two or
/// three builders (50%), or disputed (10%: one builder's hash differs). Entries are written with the transparency
/// core's <see cref="TileWriter"/> and a checkpoint signed by a note key, then served as static files (checkpoint,
/// hash tiles, entry bundles), so the report does exactly what it does against a log server: verify the
/// checkpoint, fetch every entry bundle and level-0 tile, check each entry against its leaf hash, parse and group.
/// </remarks>
internal static class VerifierReportScale
{
    private const string Origin = "bench.example/report-scale";

    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || args[0] != "report-scale")
        {
            return false;
        }

        var attestations = 1_000_000;
        var builders = 50;
        string? directory = null;
        string? verifier = null;
        var run = "report";
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--attestations":
                    attestations = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--builders":
                    builders = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--dir":
                    directory = args[i + 1];
                    break;
                case "--run" when args[i + 1] is "report" or "monitor":
                    run = args[i + 1];
                    break;
                case "--verifier":
                    verifier = args[i + 1];
                    break;
                default:
                    Console.Error.WriteLine($"report-scale: unknown option {args[i]}");
                    exitCode = 2;
                    return true;
            }
        }

        if (attestations < 1 || builders is < 3 or > 4096)
        {
            Console.Error.WriteLine("usage: report-scale [--attestations N>0] [--builders 3..4096] [--dir DIR] [--verifier attest-verify.dll]");
            exitCode = 2;
            return true;
        }

        verifier ??= Path.Combine(RepositoryRoot(), "verifier", "bin", "Release", "net10.0", "attest-verify.dll");
        if (!File.Exists(verifier))
        {
            Console.Error.WriteLine($"report-scale: {verifier} is missing; run `dotnet build -c Release verifier` first.");
            exitCode = 2;
            return true;
        }

        directory ??= Path.Combine(Path.GetTempPath(), $"attest-report-scale-{attestations}-{builders}");
        exitCode = RunAsync(attestations, builders, directory, verifier, run).GetAwaiter().GetResult();
        return true;
    }

    private static async Task<int> RunAsync(int attestations, int builders, string directory, string verifier, string run)
    {
        var log = Path.Combine(directory, "log");
        if (!File.Exists(Path.Combine(directory, "complete")))
        {
            var watch = Stopwatch.StartNew();
            Generate(attestations, builders, directory, log);
            Console.WriteLine($"generated {attestations:N0} attestations by {builders} builders in {watch.Elapsed.TotalSeconds:F1} s into {directory}");
        }
        else
        {
            Console.WriteLine($"reusing the log generated in {directory}");
        }

        using var server = new StaticServer(log);
        var policy = Path.Combine(directory, "policy.json");
        await File.WriteAllTextAsync(policy, (await File.ReadAllTextAsync(Path.Combine(directory, "policy.template.json"))).Replace("LOG_URL", server.Url, StringComparison.Ordinal));
        var output = Path.Combine(directory, "out");
        Directory.CreateDirectory(output);

        var load = await File.ReadAllTextAsync("/proc/loadavg");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var state = Path.Combine(output, "monitor-state-" + Guid.NewGuid().ToString("N"));
        string[] arguments = run == "monitor"
            ? [verifier, "monitor", "--policy", policy, "--state", state, "--once"]
            : [verifier, "report", "--policy", policy, "--json", Path.Combine(output, "report.json"), "--html", Path.Combine(output, "report.html")];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var cpu = TimeSpan.Zero;
        var exited = process.WaitForExitAsync();
        while (await Task.WhenAny(exited, Task.Delay(200)) != exited)
        {
            try
            {
                process.Refresh();
                peak = Math.Max(peak, process.PeakWorkingSet64);
                cpu = process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                // Exited between the wait and the read.
            }
        }

        clock.Stop();
        await Console.Out.WriteAsync(await stdout);
        await Console.Error.WriteAsync(await stderr);
        if (Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }

        Console.WriteLine($"attest-verify {run}: exit {process.ExitCode}, {clock.Elapsed.TotalSeconds:F1} s wall, >= {cpu.TotalSeconds:F1} s CPU (last sample), peak RSS >= {peak / (1024 * 1024)} MiB (sampled every 200 ms)");
        Console.WriteLine($"served {server.Requests:N0} requests, {server.BytesServed / (1024.0 * 1024):N0} MiB; {attestations / clock.Elapsed.TotalSeconds:N0} attestations/s");
        Console.WriteLine($"load average before: {load.Trim()}; after: {(await File.ReadAllTextAsync("/proc/loadavg")).Trim()}; {Environment.ProcessorCount} cores");
        return process.ExitCode;
    }

    private static void Generate(int attestations, int builders, string directory, string log)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(log);
        var keys = Enumerable.Range(0, builders).Select(i => IdentityKey.Generate($"builder-{i:D4}")).ToArray();
        var logKey = Ed25519NoteSigner.Generate(Origin);
        var writer = new TileWriter();

        // Each output's builders and hashes are a pure function of its number, so chunks can be signed in parallel.
        var plan = new List<(int Output, int Builder, bool Differs)>(attestations);
        for (var output = 0; plan.Count < attestations; output++)
        {
            var kind = output % 10;
            var count = kind < 4 ? 1 : 2 + (output / 10 % 2);
            for (var j = 0; j < count && plan.Count < attestations; j++)
            {
                plan.Add((output, (output + (j * 7)) % builders, kind == 9 && j == count - 1));
            }
        }

        const int chunk = TilePath.FullWidth * 16;
        for (var first = 0; first < plan.Count; first += chunk)
        {
            var documents = new ReadOnlyMemory<byte>[Math.Min(chunk, plan.Count - first)];
            Parallel.For(0, documents.Length, i =>
            {
                var (output, builder, differs) = plan[first + i];
                documents[i] = Document(keys[builder], output, differs);
            });
            foreach (var tile in writer.AppendEntries(documents).Tiles)
            {
                var file = Path.Combine(log, tile.Path.ToString());
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllBytes(file, tile.Bytes.ToArray());
            }
        }

        var checkpoint = new Checkpoint(Origin, (ulong)writer.Size, writer.ComputeRoot()).Sign(logKey);
        File.WriteAllBytes(Path.Combine(log, "checkpoint"), checkpoint.ToBytes());
        var builderJson = string.Join(",", keys.Select((k, i) => $$"""{"name":"{{k.Name}}","key":"{{k.PublicKey}}","operator":"operator-{{i % Math.Max(1, builders / 5)}}"}"""));
        File.WriteAllText(
            Path.Combine(directory, "policy.template.json"),
            $$"""{"version":1,"logs":[{"origin":"{{Origin}}","key":"{{logKey.Verifier.Encode()}}","url":"LOG_URL"}],"builders":[{{builderJson}}],"quorum":{"minAgreeing":2,"minOperators":2,"maxDissenting":0}"""
            + "}");
        File.WriteAllText(Path.Combine(directory, "complete"), writer.Size.ToString(CultureInfo.InvariantCulture));
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    private static byte[] Document(IdentityKey key, int output, bool differs)
    {
        static StorePath PathOf(string name) => StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);
        var name = "pkg-" + output.ToString(CultureInfo.InvariantCulture);
        var finished = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(output * 7L % (60L * 24 * 3600));
        var statement = new NixProvenance
        {
            Derivation = PathOf(name + ".drv"),
            DerivationSha256 = NixHash.ComputeSha256(Encoding.UTF8.GetBytes(name + " drv")),
            Outputs = [new NixBuildOutput("out", PathOf(name), NixHash.ComputeSha256(Encoding.UTF8.GetBytes(differs ? key.Name + name : name)), 4096 + output % 100_000, [])],
            Environment = new NixBuildEnvironment("2.28.4", "x86_64-linux", "true", [], "Linux 6.12.48 x86_64", null, key.Name),
            BuilderId = NixProvenance.BuilderIdFor(key.Name),
            InvocationId = Guid.NewGuid().ToString(),
            StartedOn = finished.AddMinutes(-3),
            FinishedOn = finished,
        };
        return AttestationDocument.Serialize(statement.Sign(key));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Attest.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? Directory.GetCurrentDirectory();
    }

    /// <summary>Serves the files under a folder over HTTP on loopback (GET only; names are checked to stay inside it).</summary>
    private sealed class StaticServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _root;
        private readonly Task _loop;
        private long _requests;
        private long _bytes;

        public StaticServer(string root)
        {
            _root = Path.GetFullPath(root);
            for (var attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(20_000, 60_000);
                Url = $"http://127.0.0.1:{port}/";
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add(Url);
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 20)
                {
                    // Port taken: try another.
                }
            }

            _loop = Task.Run(AcceptAsync);
        }

        public string Url { get; }

        public long Requests => Interlocked.Read(ref _requests);

        public long BytesServed => Interlocked.Read(ref _bytes);

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The accept loop ends with the listener.
            }
        }

        private async Task AcceptAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(() => ServeAsync(context));
            }
        }

        private async Task ServeAsync(HttpListenerContext context)
        {
            using var response = context.Response;
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            var file = Path.GetFullPath(Path.Combine(_root, relative));
            Interlocked.Increment(ref _requests);
            if (context.Request.HttpMethod != "GET" || !file.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(file))
            {
                response.StatusCode = 404;
                return;
            }

            var bytes = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
            Interlocked.Add(ref _bytes, bytes.Length);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        }
    }
}
