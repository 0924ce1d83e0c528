using System.Net;
using System.Net.Sockets;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tests.Notes;
using Attest.Transparency.Witness;

namespace Attest.Transparency.Tests.Witness;

/// <summary>The log-side client against a witness served over real HTTP on 127.0.0.1.</summary>
public sealed class WitnessClientTests : IAsyncDisposable
{
    private readonly TestLog _log = new(size: 50);
    private readonly CosignatureSigner _witnessKey = TestKeys.Witness("witness.example/w1", 1_700_000_000);
    private readonly InMemoryWitnessStateStore _store = new();
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly HttpClient _http = new();
    private readonly Uri _prefix;

    public WitnessClientTests()
    {
        var witness = new CheckpointWitness([new WitnessLog(_log.Origin, _log.Signer.Verifier)], _store, _witnessKey);
        int port = FreePort();
        _prefix = new Uri($"http://127.0.0.1:{port}/witness/");
        _listener.Prefixes.Add(_prefix.ToString());
        _listener.Start();
        _serving = ServeAsync(witness);
    }

    private ValueTask<IReadOnlyList<MerkleHash>> Proofs(ulong from, ulong to, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<MerkleHash>>(_log.Consistency((long)from, (long)to));

    [Fact]
    public async Task AddCheckpoint_FirstSubmission_ReturnsVerifiedCosignature()
    {
        var client = new WitnessClient(_http, _prefix, _witnessKey.Verifier);
        var checkpoint = _log.CheckpointAt(10);

        var result = await client.AddCheckpointAsync(checkpoint, 0, Proofs, CancellationToken.None);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(200, result.StatusCode);
        var cosigned = checkpoint.WithSignatures(result.Cosignatures);
        Assert.True(cosigned.Verify(new CheckpointPolicy(_log.Origin, [_log.Signer.Verifier], [_witnessKey.Verifier], 1)).IsValid);
    }

    [Fact]
    public async Task AddCheckpoint_StaleOldSize_RetriesFromTheWitnessSize()
    {
        var client = new WitnessClient(_http, _prefix, _witnessKey.Verifier);
        Assert.True((await client.AddCheckpointAsync(_log.CheckpointAt(10), 0, Proofs, CancellationToken.None)).IsSuccess);

        var result = await client.AddCheckpointAsync(_log.CheckpointAt(30), 0, Proofs, CancellationToken.None);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(10ul, result.WitnessSize);
        Assert.Equal(30ul, (await _store.GetAsync(_log.Origin, CancellationToken.None))!.Value.TreeSize);
    }

    [Fact]
    public async Task AddCheckpoint_WitnessAheadOfCheckpoint_FailsNamingTheSize()
    {
        var client = new WitnessClient(_http, _prefix, _witnessKey.Verifier);
        await client.AddCheckpointAsync(_log.CheckpointAt(40), 0, Proofs, CancellationToken.None);

        var result = await client.AddCheckpointAsync(_log.CheckpointAt(20), 0, Proofs, CancellationToken.None);

        Assert.False(result.IsSuccess);
        Assert.Equal(409, result.StatusCode);
        Assert.Contains("40", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCheckpoint_UnexpectedWitnessKey_RejectsTheCosignature()
    {
        var client = new WitnessClient(_http, _prefix, TestKeys.Witness("witness.example/w1-other").Verifier);

        var result = await client.AddCheckpointAsync(_log.CheckpointAt(10), 0, Proofs, CancellationToken.None);

        Assert.False(result.IsSuccess);
        Assert.Empty(result.Cosignatures);
        Assert.Contains("does not verify", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCheckpoint_UnknownLog_ReportsThe404()
    {
        var other = new TestLog("other.example/log", 5);
        var client = new WitnessClient(_http, _prefix, _witnessKey.Verifier);

        var result = await client.AddCheckpointAsync(other.CheckpointAt(5), 0, Proofs, CancellationToken.None);

        Assert.False(result.IsSuccess);
        Assert.Equal(404, result.StatusCode);
        Assert.Contains("unknown log origin", result.Error, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends the pending GetContextAsync.
        }

        _listener.Close();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task ServeAsync(CheckpointWitness witness)
    {
        while (!_stop.IsCancellationRequested)
        {
            var context = await _listener.GetContextAsync();
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body, _stop.Token);
            var response = context.Request.HttpMethod == "POST" && context.Request.Url!.AbsolutePath == "/witness/add-checkpoint"
                ? await witness.AddCheckpointAsync(body.ToArray(), _stop.Token)
                : new WitnessResponse(WitnessOutcome.Malformed, 404, WitnessResponse.TextContentType, "not found\n"u8.ToArray(), "not found");
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            await context.Response.OutputStream.WriteAsync(response.Body, _stop.Token);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
