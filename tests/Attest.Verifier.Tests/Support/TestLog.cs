using System.Net;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Tests.Support;

/// <summary>
/// A real attest-log child process (<see cref="LogServerProcess"/>) in its own temp data directory with registered
/// builders, and helpers to append entries to it.
/// </summary>
internal sealed class TestLog : IAsyncDisposable
{
    private readonly LogServerProcess _server;

    private TestLog(LogServerProcess server, string directory, string verifierKey)
    {
        _server = server;
        DataDirectory = directory;
        VerifierKey = verifierKey;
    }

    public const string Origin = "localhost/attest-log";

    public Uri Url => _server.Url;

    public string VerifierKey { get; }

    public string DataDirectory { get; }

    public LogPolicy Policy => new(Origin, VerifierKey, Url, WitnessPolicy.None);

    /// <summary>
    /// Starts a log with <paramref name="builders"/> registered; <paramref name="logKeyFrom"/> reuses another log's
    /// signing key (for forks); <paramref name="arguments"/> are passed to the server (witness settings).
    /// </summary>
    public static async Task<TestLog> StartAsync(IEnumerable<IdentityKey> builders, TestLog? logKeyFrom = null, params string[] arguments)
    {
        var directory = Path.Combine(Path.GetTempPath(), "attest-verify-log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        if (logKeyFrom is not null)
        {
            File.Copy(Path.Combine(logKeyFrom.DataDirectory, "log.key"), Path.Combine(directory, "log.key"));
        }

        var server = await LogServerProcess.CreateAsync(directory, [.. builders.Select(b => b.PublicKey.ToString())]);
        await StartServerAsync(server, arguments);
        var key = (await server.GetAsync("v1/log/key")).Trim();
        return new TestLog(server, directory, key);
    }

    /// <summary>Stops the server and starts it again over the same data directory and port with <paramref name="arguments"/>.</summary>
    public async Task RestartAsync(params string[] arguments)
    {
        await _server.StopAsync();
        await StartServerAsync(_server, arguments);
    }

    // LogServerProcess gives up when one health probe takes over 2 s, which happens when many test classes start
    // servers at once on 2 shared cores: stop the slow one and start again (the data directory is reused).
    private static async Task StartServerAsync(LogServerProcess server, string[] arguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await server.StartAsync(arguments);
                return;
            }
            catch (TaskCanceledException) when (attempt < 4)
            {
                await server.StopAsync();
            }
        }
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
        var checkpoint = await _server.GetAsync("checkpoint");
        return long.Parse(checkpoint.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory does not affect any result.
        }
    }
}
