using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Nix.Signing;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

// attest-gateload: the gate's added latency per narinfo with a warm cache, measured from this separate process over
// loopback. It starts the real log server and the real `attest-verify gate` as child processes, attests --paths
// synthetic store paths by two builders of two operators, writes them into a file:// cache, warms the gate (one
// request per path: the real verification), then sends --requests narinfo GETs with --concurrency in flight.
// With --log-growth MS the log grows by one unrelated attestation every MS milliseconds while requests are measured,
// and the gate follows it every second: each new checkpoint marks the cached decisions stale, so warm requests are
// measured while the gate re-verifies in the background.
//   dotnet run -c Release --project bench/Attest.GateLoad -- [--paths 200] [--requests 20000] [--concurrency 4] [--log-growth 0]
int paths = Argument("--paths", 200);
int requests = Argument("--requests", 20_000);
int concurrency = Argument("--concurrency", 4);
int growthMs = Argument("--log-growth", 0);
string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
string root = FindRoot();
string logDll = Path.Combine(root, "log-server", "bin", configuration, "net10.0", "attest-log.dll");
string gateDll = Path.Combine(root, "verifier", "bin", configuration, "net10.0", "attest-verify.dll");
string work = Path.Combine(Path.GetTempPath(), "attest-gateload-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(Path.Combine(work, "cache", "nar"));
var children = new List<Process>();
try
{
    using var alice = IdentityKey.Generate("alice-builder");
    using var bob = IdentityKey.Generate("bob-builder");
    foreach (var key in new[] { alice, bob })
    {
        Run(logDll, "builders", "add", key.PublicKey.ToString(), "--data-dir", Path.Combine(work, "log"), "--operator", "bench");
    }

    Uri log = Start(children, logDll, "health", port => ["--urls", $"http://127.0.0.1:{port}", $"--Log:DataDirectory={Path.Combine(work, "log")}"]);
    using var http = new HttpClient { BaseAddress = log };
    string logKey = (await http.GetStringAsync("v1/log/key")).Trim();

    var hashParts = new List<string>(paths);
    for (int i = 0; i < paths; i++)
    {
        byte[] nar = RandomNumberGenerator.GetBytes(512);
        NixHash narHash = NixHash.ComputeSha256(nar);
        StorePath path = StorePath.Create(RandomNumberGenerator.GetBytes(StorePath.HashSize), $"bench-{i}");
        string url = $"nar/{narHash.ToNix32()}.nar";
        await File.WriteAllBytesAsync(Path.Combine(work, "cache", url), nar);
        var info = new NarInfo { StorePath = path, Url = url, Compression = "none", NarHash = narHash, NarSize = nar.Length, References = [path] };
        await File.WriteAllTextAsync(Path.Combine(work, "cache", path.HashPart + ".narinfo"), info.Format());
        foreach (var key in new[] { alice, bob })
        {
            await SubmitAsync(http, key, path, narHash, i == paths - 1);
        }

        hashParts.Add(path.HashPart);
    }

    string policy = Path.Combine(work, "policy.json");
    await File.WriteAllTextAsync(policy,
        $$$"""{"version":1,"logs":[{"origin":"localhost/attest-log","key":"{{{logKey}}}","url":"{{{log}}}"}],"builders":[{"name":"alice","key":"{{{alice.PublicKey}}}","operator":"alice"},{"name":"bob","key":"{{{bob.PublicKey}}}","operator":"bob"}],"quorum":{"minAgreeing":2,"minOperators":2,"maxDissenting":0}}""");
    using (var gateKey = NixSigningKey.Generate("gate-bench-1"))
    {
        await File.WriteAllTextAsync(Path.Combine(work, "gate.sec"), gateKey.ExportSecretKey());
    }

    Uri gate = Start(children, gateDll, "nix-cache-info", port =>
        ["gate", "--policy", policy, "--state", Path.Combine(work, "state"), "--upstream", "file://" + Path.Combine(work, "cache"),
         "--listen", $"http://127.0.0.1:{port}", "--sign-key", Path.Combine(work, "gate.sec"), "--follow-interval", growthMs > 0 ? "1" : "5"]);
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = gate };

    var cold = Stopwatch.StartNew();
    foreach (string hashPart in hashParts)
    {
        using HttpResponseMessage response = await client.GetAsync($"{hashPart}.narinfo");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"warm-up: {hashPart}.narinfo answered {(int)response.StatusCode} {string.Join(' ', response.Headers.TryGetValues("X-Attest-Reason", out var r) ? r : [])}");
        }
    }

    double coldMs = cold.Elapsed.TotalMilliseconds / paths;
    var latencies = new double[requests];
    int next = -1;
    using var measuring = new CancellationTokenSource();
    int grown = 0;
    Task growth = growthMs <= 0 ? Task.CompletedTask : Task.Run(async () =>
    {
        while (!measuring.IsCancellationRequested)
        {
            await SubmitAsync(http, alice, StorePath.Create(RandomNumberGenerator.GetBytes(StorePath.HashSize), "growth"), NixHash.ComputeSha256(RandomNumberGenerator.GetBytes(8)), false);
            grown++;
            try
            {
                await Task.Delay(growthMs, measuring.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    });
    var total = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await client.GetAsync($"{hashParts[i % hashParts.Count]}.narinfo");
            _ = await response.Content.ReadAsByteArrayAsync();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"request {i} answered {(int)response.StatusCode}");
            }
        }
    }));
    double seconds = total.Elapsed.TotalSeconds;
    await measuring.CancelAsync();
    await growth;
    Array.Sort(latencies);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"paths {paths}, requests {requests}, concurrency {concurrency}: {requests / seconds:0} narinfo/s; warm latency ms p50 {P(0.50):0.000} p90 {P(0.90):0.000} p99 {P(0.99):0.000} p99.9 {P(0.999):0.000} max {latencies[^1]:0.000}; cold (verify through the log) {coldMs:0.00} ms/path sequential{(growthMs > 0 ? $"; the log grew by {grown} entries meanwhile" : "")}"));

    double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
}
finally
{
    foreach (Process child in children)
    {
        if (!child.HasExited)
        {
            using (Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)]))
            {
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await child.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
            }
        }

        child.Dispose();
    }

    Directory.Delete(work, recursive: true);
}

return 0;

int Argument(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static string FindRoot()
{
    var directory = new DirectoryInfo(AppContext.BaseDirectory);
    while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Attest.sln")))
    {
        directory = directory.Parent;
    }

    return directory?.FullName ?? throw new InvalidOperationException("Run from the repository's build output (Attest.sln not found above it).");
}

static void Run(string dll, params string[] arguments)
{
    using Process process = Process.Start(new ProcessStartInfo("dotnet", [dll, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    string error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{Path.GetFileName(dll)} {string.Join(' ', arguments)}: {error}");
    }
}

static Uri Start(List<Process> children, string dll, string probe, Func<int, string[]> arguments)
{
    int port;
    using (var listener = new TcpListener(IPAddress.Loopback, 0))
    {
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    var process = Process.Start(new ProcessStartInfo("dotnet", [dll, .. arguments(port)]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    children.Add(process);
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    var url = new Uri($"http://127.0.0.1:{port}/");
    using var probeClient = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    for (int attempt = 0; attempt < 150; attempt++)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode} on start.");
        }

        try
        {
            using HttpResponseMessage response = probeClient.GetAsync(new Uri(url, probe)).GetAwaiter().GetResult();
            if (response.IsSuccessStatusCode)
            {
                return url;
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
        }

        Thread.Sleep(200);
    }

    throw new InvalidOperationException($"{Path.GetFileName(dll)} did not answer within 30 s.");
}

static async Task SubmitAsync(HttpClient http, IdentityKey key, StorePath path, NixHash narHash, bool waitForCheckpoint)
{
    var statement = new NixProvenance
    {
        Derivation = StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(path.FullPath)).AsSpan(0, StorePath.HashSize), path.Name + ".drv"),
        DerivationSha256 = NixHash.ComputeSha256(Encoding.UTF8.GetBytes(path.FullPath)),
        Outputs = [new NixBuildOutput("out", path, narHash, 512, [])],
        Environment = new NixBuildEnvironment("2.8.0", "x86_64-linux", "false", [], "Linux", null, key.Name),
        BuilderId = NixProvenance.BuilderIdFor(key.Name),
        InvocationId = Guid.NewGuid().ToString(),
        StartedOn = DateTimeOffset.UtcNow.AddMinutes(-1),
        FinishedOn = DateTimeOffset.UtcNow,
    };
    using var content = new ByteArrayContent(AttestationDocument.Serialize(statement.Sign(key)));
    content.Headers.ContentType = new("application/json");
    using HttpResponseMessage response = await http.PostAsync(waitForCheckpoint ? "v1/entries?wait=checkpoint" : "v1/entries", content);
    if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
    {
        throw new InvalidOperationException($"the log answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
