using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Attest.Tpm;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// Latency of the agent's TPM work against a real swtpm on loopback (one round trip per command, no resource
/// manager): PCR_Read, a bare TPM2_Quote, and the whole quote-per-build (PCR_Read + Quote + pcrDigest check).
/// </summary>
[MemoryDiagnoser]
public class TpmDeviceBenchmarks
{
    private readonly byte[] _nonce = new byte[32];
    private Process? _swtpm;
    private string? _state;
    private TpmDevice? _tpm;
    private TpmAttestor? _attestor;
    private LoadedAttestationKey? _ak;
    private readonly PcrSelection _eight = PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7);

    [Params(AttestationKeyAlgorithm.EcdsaP256, AttestationKeyAlgorithm.RsaSsa2048)]
    public AttestationKeyAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _state = Directory.CreateTempSubdirectory("attest-bench-swtpm-").FullName;
        int port = FreePort();
        var psi = new ProcessStartInfo("swtpm") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[]
        {
            "socket", "--tpm2", "--tpmstate", $"dir={_state}", "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
            "--ctrl", $"type=tcp,port={FreePort()},bindaddr=127.0.0.1", "--flags", "not-need-init,startup-clear",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        _swtpm = Process.Start(psi) ?? throw new InvalidOperationException("swtpm did not start");
        for (int i = 0; ; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (i < 200)
            {
                await Task.Delay(10);
            }
        }

        _tpm = TpmDevice.Open($"swtpm:host=127.0.0.1,port={port}");
        _attestor = new TpmAttestor(_tpm, new TpmAttestorOptions { EventLogPath = "/nonexistent" });
        _ak = await _attestor.EnsureAttestationKeyAsync(Algorithm, TpmHandles.DefaultPersistentAk, CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_tpm is not null)
        {
            await _tpm.DisposeAsync();
        }

        if (_swtpm is not null)
        {
            _swtpm.Kill();
            await _swtpm.WaitForExitAsync();
            _swtpm.Dispose();
        }

        if (_state is not null)
        {
            Directory.Delete(_state, recursive: true);
        }
    }

    [Benchmark(Description = "PCR_Read sha256:0-7 (1 call)")]
    public Task<IReadOnlyList<PcrValue>> PcrReadEight() => _tpm!.PcrReadAsync(_eight, CancellationToken.None);

    [Benchmark(Description = "PCR_Read sha256:0-7,11 (2 calls)")]
    public Task<IReadOnlyList<PcrValue>> PcrReadDefault() => _tpm!.PcrReadAsync(PcrSelection.Default, CancellationToken.None);

    [Benchmark(Description = "TPM2_Quote sha256:0-7,11")]
    public Task<QuoteResponse> BareQuote() => _tpm!.QuoteAsync(_ak!.Handle, _nonce, PcrSelection.Default, null, CancellationToken.None);

    [Benchmark(Description = "Quote per build (PCR_Read + Quote + check)")]
    public Task<TpmQuote> QuotePerBuild() => _attestor!.QuoteAsync(_ak!, _nonce, null, CancellationToken.None);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
