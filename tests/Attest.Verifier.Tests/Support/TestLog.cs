using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Tests.Support;

/// <summary>A real attest-log child process with registered builders, and helpers to append entries to it.</summary>
internal sealed class TestLog : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private TestLog(Process process, Uri url, string directory, string verifierKey)
    {
        _process = process;
        Url = url;
        _directory = directory;
        VerifierKey = verifierKey;
    }

    public const string Origin = "localhost/attest-log";

    public Uri Url { get; }

    public string VerifierKey { get; }

    public string DataDirectory => _directory;

    public LogPolicy Policy => new(Origin, VerifierKey, Url, WitnessPolicy.None);

    /// <summary>Starts a log with <paramref name="builders"/> registered; <paramref name="logKeyFrom"/> reuses another log's signing key (for forks).</summary>
    public static async Task<TestLog> StartAsync(IEnumerable<IdentityKey> builders, TestLog? logKeyFrom = null)
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "attest-verify-log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        if (logKeyFrom is not null)
        {
            File.Copy(System.IO.Path.Combine(logKeyFrom._directory, "log.key"), System.IO.Path.Combine(directory, "log.key"));
        }

        foreach (var builder in builders)
        {
            var (exit, _, error) = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
                [LogServerProcess.ServerDll, "builders", "add", builder.PublicKey.ToString(), "--data-dir", directory, "--operator", "tests"]);
            Assert.True(exit == 0, error);
        }

        var url = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo(ProcessRunner.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { LogServerProcess.ServerDll, "--urls", url.AbsoluteUri.TrimEnd('/'), $"--Log:DataDirectory={directory}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var log = new TestLog(process, url, directory, string.Empty);
        // A loaded machine (other builds share the 2 cores) can take many seconds to answer the first request.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (var attempt = 0; attempt < 120; attempt++)
        {
            Assert.False(process.HasExited, "attest-log exited on start.");
            try
            {
                var key = (await http.GetStringAsync(new Uri(url, "v1/log/key"))).Trim();
                return new TestLog(process, url, directory, key);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(250);
            }
        }

        await log.DisposeAsync();
        Assert.Fail("attest-log did not answer within the start timeout.");
        return log;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Appends documents (concurrently) and waits until a checkpoint covers them all.</summary>
    public async Task AppendAsync(IEnumerable<byte[]> documents)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        var posts = documents.Select(async document =>
        {
            using var content = new ByteArrayContent(document);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync("v1/entries?wait=checkpoint", content);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        });
        await Task.WhenAll(posts);
    }

    public async Task<long> SizeAsync()
    {
        using var http = new HttpClient();
        var checkpoint = await http.GetStringAsync(new Uri(Url, "checkpoint"));
        return long.Parse(checkpoint.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory does not affect any result.
        }
    }
}
