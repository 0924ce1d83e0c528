using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Attest.Agent.Tests.Infrastructure;

/// <summary>The real log server (<c>attest-log.dll</c>, built by the project reference) as a child process on loopback.</summary>
internal sealed class LogServerProcess : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly string[] _originArguments;
    private Process? _process;

    private LogServerProcess(string dataDirectory, int port, string? origin)
    {
        _dataDirectory = dataDirectory;
        _originArguments = origin is null ? [] : ["--origin", origin];
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Url { get; }

    public static string ServerDll
    {
        get
        {
            var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var configuration = baseDirectory.Parent!.Name;
            var root = baseDirectory;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Attest.sln")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            return Path.Combine(root.FullName, "log-server", "bin", configuration, "net10.0", "attest-log.dll");
        }
    }

    /// <summary>Registers the builder keys in a new data directory (the admin CLI works while the server is stopped).</summary>
    public static Task<LogServerProcess> CreateAsync(string dataDirectory, params string[] builderPublicKeys) =>
        CreateWithOriginAsync(dataDirectory, null, builderPublicKeys);

    /// <summary>As <see cref="CreateAsync"/>, for a log with its own origin (the server's default otherwise).</summary>
    public static async Task<LogServerProcess> CreateWithOriginAsync(string dataDirectory, string? origin, params string[] builderPublicKeys)
    {
        string[] originArguments = origin is null ? [] : ["--origin", origin];
        foreach (var key in builderPublicKeys)
        {
            var (exit, _, error) = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
                [ServerDll, "builders", "add", key, "--data-dir", dataDirectory, "--operator", "tests", .. originArguments]);
            Assert.True(exit == 0, error);
        }

        return new LogServerProcess(dataDirectory, FreePort(), origin);
    }

    public async Task StartAsync(params string[] extraArguments)
    {
        Assert.Null(_process);
        var start = new ProcessStartInfo(ProcessRunner.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments = [ServerDll, "--urls", Url.AbsoluteUri.TrimEnd('/'), $"--Log:DataDirectory={_dataDirectory}", .. _originArguments, .. extraArguments];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 150; attempt++)
        {
            Assert.False(_process.HasExited, $"attest-log exited with {(_process.HasExited ? _process.ExitCode : 0)} on start.");
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too slow to answer on a loaded machine: ask again.
            }

            await Task.Delay(200);
        }

        Assert.Fail("attest-log did not become healthy within 30 s.");
    }

    /// <summary>Stops the server with SIGTERM (it drains what it acknowledged) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

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
        _process = null;
    }

    public async Task<string> GetAsync(string relative)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(Url, relative));
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
