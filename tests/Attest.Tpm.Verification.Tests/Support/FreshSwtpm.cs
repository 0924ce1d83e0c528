using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>
/// A fresh swtpm (no EK certificates) on loopback with its own state directory, for checking this library's
/// software MakeCredential against a real TPM2_ActivateCredential.
/// </summary>
internal sealed class FreshSwtpm : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private FreshSwtpm(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    public static async Task<FreshSwtpm> StartAsync()
    {
        string dir = Directory.CreateTempSubdirectory("attest-verify-swtpm-").FullName;
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePortPair();
            var psi = new ProcessStartInfo("swtpm") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string arg in (string[])["socket", "--tpm2", "--tpmstate", $"dir={dir}", "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
                "--ctrl", $"type=tcp,port={port + 1},bindaddr=127.0.0.1", "--flags", "not-need-init"])
            {
                psi.ArgumentList.Add(arg);
            }

            Process process = Process.Start(psi) ?? throw new InvalidOperationException("swtpm did not start.");
            for (int i = 0; i < 300 && !process.HasExited; i++)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return new FreshSwtpm(process, dir, port);
                }
                catch (SocketException)
                {
                    await Task.Delay(10);
                }
            }

            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
            if (attempt == 3)
            {
                Directory.Delete(dir, recursive: true);
                throw new InvalidOperationException($"swtpm did not listen on port {port}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePortPair()
    {
        for (int i = 0; i < 50; i++)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            int port = ((IPEndPoint)first.LocalEndpoint).Port;
            try
            {
                using var second = new TcpListener(IPAddress.Loopback, port + 1);
                second.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No two adjacent free loopback ports.");
    }
}
