using System.Net;
using System.Net.Http.Json;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Cli;

/// <summary>
/// The real log server (child process on 127.0.0.1, RocksDB in a temp directory) with three registered builders:
/// alice and bob, whom the test policy names (two operators), and carol, whom it does not.
/// </summary>
public sealed class LiveLog : IAsyncLifetime
{
    private LogServerProcess? _server;

    public IdentityKey Alice { get; } = IdentityKey.Generate("alice-builder");

    public IdentityKey Bob { get; } = IdentityKey.Generate("bob-builder");

    public IdentityKey Carol { get; } = IdentityKey.Generate("carol-builder");

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "attest-verify-test-" + Guid.NewGuid().ToString("N"));

    public Uri Url => _server!.Url;

    public string Origin => "localhost/attest-log";

    public string LogKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _server = await StartAsync(DataDirectory, Alice, Bob, Carol);
        LogKey = (await _server.GetAsync("v1/log/key")).Trim();
    }

    /// <summary>Starts a log server over <paramref name="dataDirectory"/> with the builders registered.</summary>
    internal static async Task<LogServerProcess> StartAsync(string dataDirectory, params IdentityKey[] builders)
    {
        var server = await LogServerProcess.CreateAsync(dataDirectory, [.. builders.Select(b => b.PublicKey.ToString())]);
        await server.StartAsync();
        return server;
    }

    /// <summary>Submits a document and waits until a signed checkpoint covers it.</summary>
    public static async Task<long> SubmitAsync(Uri log, byte[] document)
    {
        using var http = new HttpClient { BaseAddress = log };
        using var content = new ByteArrayContent(document);
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync("v1/entries?wait=checkpoint", content);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("index").GetInt64();
    }

    public Task<long> SubmitAsync(byte[] document) => SubmitAsync(Url, document);

    /// <summary>Writes the test policy (alice: operator alice, bob: operator bob) for <paramref name="url"/> into <paramref name="directory"/>.</summary>
    public string WritePolicy(string directory, Uri? url = null, int minAgreeing = 2, int minOperators = 2)
    {
        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, "policy.json");
        File.WriteAllText(file, TestAttestations.PolicyJson(Origin, LogKey, url ?? Url, [(Alice, "alice"), (Bob, "bob")], minAgreeing, minOperators));
        return file;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Alice.Dispose();
        Bob.Dispose();
        Carol.Dispose();
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
