using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Witness;
using Microsoft.Extensions.Logging;

namespace Attest.Log.Engine;

/// <summary>
/// Sends each new checkpoint to the configured witnesses (c2sp.org/tlog-witness) in rounds: every round takes the
/// latest signed checkpoint, asks all witnesses in parallel (each 409 is retried from the size the witness reports),
/// and publishes the checkpoint with the cosignatures it got once at least <see cref="LogOptions.WitnessQuorum"/>
/// verified. Later checkpoints supersede earlier ones, so a slow witness never queues up work.
/// </summary>
public sealed class WitnessCoordinator : IAsyncDisposable
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    private readonly LogEngine _engine;
    private readonly LogOptions _options;
    private readonly ILogger _logger;
    private readonly Witness[] _witnesses;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts witnessing the engine's checkpoints.</summary>
    public WitnessCoordinator(LogEngine engine, LogOptions options, HttpClient http, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(logger);
        _engine = engine;
        _options = options;
        _logger = logger;
        _witnesses = [.. options.Witnesses.Select(w =>
        {
            var key = CosignatureVerifier.Import(w.Key);
            return new Witness(key.Name, new WitnessClient(http, new Uri(w.Url), key));
        })];
        engine.CheckpointSigned += _ => Signal();
        _loop = _witnesses.Length == 0 ? Task.CompletedTask : Task.Run(RunAsync);
        Signal();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping is the normal way out of the loop.
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A round is already pending; it will pick up the latest checkpoint.
        }
        catch (ObjectDisposedException)
        {
            // Disposed during shutdown.
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        ulong witnessedSize = 0;
        var cosignedAny = false;
        while (!token.IsCancellationRequested)
        {
            await _signal.WaitAsync(token);
            var checkpoint = _engine.LogSignedCheckpoint;
            var size = checkpoint.Checkpoint.TreeSize;
            if (cosignedAny && size <= witnessedSize)
            {
                continue;
            }

            var results = await Task.WhenAll(_witnesses.Select(w => AskAsync(w, checkpoint, token)));
            var cosignatures = results.Where(r => r is not null).SelectMany(r => r!).ToList();
            var cosigners = results.Count(r => r is not null);
            if (cosigners > 0 && cosigners >= _options.WitnessQuorum)
            {
                _engine.PublishCosigned(checkpoint.WithSignatures([.. checkpoint.Note.Signatures, .. cosignatures]), cosigners);
                witnessedSize = size;
                cosignedAny = true;
            }

            if (cosigners < _witnesses.Length)
            {
                // Some witness failed: try again after a pause even if no new checkpoint arrives.
                _ = RetryLaterAsync(token);
            }
        }
    }

    private async Task RetryLaterAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(s_retryDelay, token);
            Signal();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task<IReadOnlyList<NoteSignature>?> AskAsync(Witness witness, SignedCheckpoint checkpoint, CancellationToken token)
    {
        var size = checkpoint.Checkpoint.TreeSize;
        if (witness.CosignedSize == size && witness.Cosigned is { } previous && previous.Checkpoint.Equals(checkpoint.Checkpoint))
        {
            return witness.Cosignatures;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.WitnessTimeout);
        try
        {
            var result = await witness.Client.AddCheckpointAsync(checkpoint, witness.KnownSize, ProofsAsync, timeout.Token);
            if (result.WitnessSize is { } reported)
            {
                LogMessages.WitnessConflict(_logger, witness.Name, (long)reported);
                witness.KnownSize = reported;
            }

            if (!result.IsSuccess)
            {
                _engine.Metrics.ObserveWitnessFailure();
                LogMessages.WitnessFailed(_logger, witness.Name, (long)size, result.Error ?? "unknown");
                return null;
            }

            witness.KnownSize = size;
            witness.CosignedSize = size;
            witness.Cosigned = checkpoint;
            witness.Cosignatures = result.Cosignatures;
            LogMessages.WitnessCosigned(_logger, witness.Name, (long)size);
            return result.Cosignatures;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !token.IsCancellationRequested)
        {
            _engine.Metrics.ObserveWitnessFailure();
            LogMessages.WitnessError(_logger, witness.Name, (long)size, ex);
            return null;
        }
    }

    private async ValueTask<IReadOnlyList<MerkleHash>> ProofsAsync(ulong oldSize, ulong newSize, CancellationToken cancellationToken) =>
        await _engine.ConsistencyProofAsync(checked((long)oldSize), checked((long)newSize), cancellationToken);

    private sealed class Witness(string name, WitnessClient client)
    {
        public string Name { get; } = name;

        public WitnessClient Client { get; } = client;

        public ulong KnownSize { get; set; }

        public ulong CosignedSize { get; set; }

        public SignedCheckpoint? Cosigned { get; set; }

        public IReadOnlyList<NoteSignature> Cosignatures { get; set; } = [];
    }
}
