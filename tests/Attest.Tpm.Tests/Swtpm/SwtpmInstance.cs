using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Attest.Tpm.Tests.Swtpm;

/// <summary>
/// A real swtpm (Debian swtpm 0.7.1) in socket mode on loopback, with its own state directory. The state is
/// manufactured once per test run by swtpm_setup with EK and platform certificates from a private swtpm_localca
/// CA, then copied for every instance, so each instance starts from the same fresh TPM in a few milliseconds.
/// </summary>
public sealed class SwtpmInstance : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Manufactured = new(ManufactureAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;
    private readonly string _directory;

    private SwtpmInstance(Process process, string directory, int port, int controlPort)
    {
        _process = process;
        _directory = directory;
        Port = port;
        ControlPort = controlPort;
    }

    /// <summary>The TPM command port.</summary>
    public int Port { get; }

    /// <summary>swtpm's control port (swtpm_ioctl --tcp).</summary>
    public int ControlPort { get; }

    /// <summary>The TCTI string for this instance.</summary>
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    /// <summary>The same TPM with mssim framing.</summary>
    public string MssimTcti => $"mssim:host=127.0.0.1,port={Port}";

    /// <summary>The directory of the CA that signed the EK certificates (swtpm-localca-rootca-cert.pem, issuercert.pem).</summary>
    public static async Task<string> CaDirectoryAsync() => Path.Combine(await Manufactured.Value.ConfigureAwait(false), "ca");

    /// <summary>Opens a device on this TPM.</summary>
    public TpmDevice OpenDevice() => TpmDevice.Open(Tcti);

    /// <summary>Starts a fresh TPM (not yet started: send TPM2_Startup).</summary>
    public static async Task<SwtpmInstance> StartAsync()
    {
        string template = await Manufactured.Value.ConfigureAwait(false);
        string dir = Directory.CreateTempSubdirectory("attest-swtpm-").FullName;
        File.Copy(Path.Combine(template, "state", "tpm2-00.permall"), Path.Combine(dir, "tpm2-00.permall"));
        for (int attempt = 0; ; attempt++)
        {
            // tpm2-tools' swtpm TCTI expects the control channel on port + 1.
            int port = FreePortPair();
            int control = port + 1;
            var psi = new ProcessStartInfo("swtpm")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[]
            {
                "socket", "--tpm2", "--tpmstate", $"dir={dir}",
                "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
                "--ctrl", $"type=tcp,port={control},bindaddr=127.0.0.1",
                "--flags", "not-need-init",
            })
            {
                psi.ArgumentList.Add(arg);
            }

            Process process = Process.Start(psi) ?? throw new InvalidOperationException("swtpm did not start.");
            if (await WaitForPortAsync(process, port).ConfigureAwait(false))
            {
                return new SwtpmInstance(process, dir, port, control);
            }

            string stderr = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            process.Dispose();
            if (attempt == 4)
            {
                throw new InvalidOperationException($"swtpm did not listen on port {port}: {stderr}");
            }
        }
    }

    private static async Task<bool> WaitForPortAsync(Process process, int port)
    {
        for (int i = 0; i < 1000; i++)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(10).ConfigureAwait(false);
            }
        }

        process.Kill();
        return false;
    }

    private static int FreePortPair()
    {
        for (int i = 0; i < 50; i++)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            int port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (port >= 65535)
            {
                continue;
            }

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

    private static async Task<string> ManufactureAsync()
    {
        string root = Directory.CreateTempSubdirectory("attest-swtpm-template-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        };
        string ca = Path.Combine(root, "ca");
        string state = Path.Combine(root, "state");
        Directory.CreateDirectory(ca);
        Directory.CreateDirectory(state);
        string localcaConf = Path.Combine(root, "swtpm-localca.conf");
        await File.WriteAllTextAsync(localcaConf, $"""
            statedir = {ca}
            signingkey = {ca}/signkey.pem
            issuercert = {ca}/issuercert.pem
            certserial = {ca}/certserial

            """).ConfigureAwait(false);
        string options = Path.Combine(root, "swtpm-localca.options");
        await File.WriteAllTextAsync(options, "--platform-manufacturer Attest\n--platform-version 2.1\n--platform-model test\n").ConfigureAwait(false);
        string setupConf = Path.Combine(root, "swtpm_setup.conf");
        await File.WriteAllTextAsync(setupConf, $"""
            create_certs_tool = /usr/bin/swtpm_localca
            create_certs_tool_config = {localcaConf}
            create_certs_tool_options = {options}
            active_pcr_banks = sha256

            """).ConfigureAwait(false);
        await RunAsync("swtpm_setup", "--tpm2", "--tpm-state", state, "--createek", "--create-ek-cert", "--create-platform-cert",
            "--lock-nvram", "--pcr-banks", "sha1,sha256", "--config", setupConf, "--overwrite").ConfigureAwait(false);
        return root;
    }

    /// <summary>Runs a tool to completion, failing with its output if it exits non-zero.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0 && file == "swtpm_setup")
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {output}");
        }

        return (process.ExitCode, output);
    }

    /// <summary>Stops swtpm and deletes its state.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>A started swtpm shared by the tests of one class; tests must not depend on each other's changes.</summary>
public sealed class SwtpmFixture : IAsyncLifetime
{
    private SwtpmInstance? _instance;

    /// <summary>The TPM.</summary>
    public SwtpmInstance Instance => _instance ?? throw new InvalidOperationException("Fixture not initialised.");

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _instance = await SwtpmInstance.StartAsync();
        await using TpmDevice tpm = _instance.OpenDevice();
        await tpm.EnsureStartedAsync(CancellationToken.None);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
        }
    }
}
