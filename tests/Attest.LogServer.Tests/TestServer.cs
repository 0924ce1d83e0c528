using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Attest.LogServer.Tests;

/// <summary>A real log server on Kestrel at 127.0.0.1 with a free port, over a RocksDB store in its own temp directory.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDirectory;

    private TestServer(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        _app = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(string? dataDirectory = null, params string[] extraArgs)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "attest-logserver-test-" + Guid.NewGuid().ToString("N"));
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--data-dir", dataDirectory,
            "--origin", "test.example/log",
            "--admin-token", AdminToken,
            "--Logging:LogLevel:Default", "Warning",
            .. extraArgs,
        ];
        var app = await LogServerApp.BuildAsync(args);
        await app.StartAsync();
        return new TestServer(app, dataDirectory, owns);
    }

    public const string AdminToken = "test-admin-token-0123456789";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDirectory)
        {
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
}
