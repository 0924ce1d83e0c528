using System.Text;
using Attest.Transparency.Witness;

namespace Attest.Verifier.Monitoring;

/// <summary>
/// A c2sp.org/tlog-witness <c>add-checkpoint</c> handler that cosigns only what the monitor verified: the offered
/// checkpoint must be the monitor's verified one, or the monitor must verify it on the spot from the log's tiles
/// (consistency with its state and re-derivation of the new entries). Only then does the transparency core's
/// <see cref="CheckpointWitness"/> check the request's own proof, record it and cosign.
/// </summary>
public sealed class MonitorWitness
{
    private readonly Dictionary<string, LogMonitor> _monitors;
    private readonly CheckpointWitness _witness;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource<MonitorResult> _misbehaviour = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the handler.</summary>
    /// <param name="monitors">The monitors of the logs it witnesses.</param>
    /// <param name="witness">The witness core (its logs must be the monitors' logs).</param>
    public MonitorWitness(IEnumerable<LogMonitor> monitors, CheckpointWitness witness)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        ArgumentNullException.ThrowIfNull(witness);
        _monitors = monitors.ToDictionary(m => m.Origin, StringComparer.Ordinal);
        _witness = witness;
    }

    /// <summary>
    /// Gets a task that completes the first time an offered checkpoint proves the log misbehaved (signed by the log
    /// key, yet inconsistent with what the monitor verified), with those findings: the monitor's owner reports them as
    /// loudly as a pass would, since the request's answer alone reaches only the log.
    /// </summary>
    public Task<MonitorResult> Misbehaviour => _misbehaviour.Task;

    /// <summary>Handles one add-checkpoint request body.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>The response to send.</returns>
    public async ValueTask<WitnessResponse> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!AddCheckpointRequest.TryParse(body.Span, out var request, out var error))
        {
            return Text(WitnessOutcome.Malformed, 400, error);
        }

        if (!_monitors.TryGetValue(request.Checkpoint.Checkpoint.Origin, out var monitor))
        {
            // The witness core answers unknown origins per the spec.
            return await _witness.AddCheckpointAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // One verification at a time: passes and offers share the monitor's state file.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var findings = await monitor.VerifyOfferedAsync(request.Checkpoint, cancellationToken).ConfigureAwait(false);
            if (findings.Count > 0)
            {
                var message = "The monitor has not verified this checkpoint: " + string.Join(" ", findings);
                if (findings.All(f => !f.IsMisbehaviour))
                {
                    return Text(WitnessOutcome.Malformed, 503, message);
                }

                var verified = monitor.Verified is { } v ? (long)v.Checkpoint.TreeSize : 0;
                _misbehaviour.TrySetResult(new MonitorResult(monitor.Origin, verified, verified, 0, findings));
                return Text(WitnessOutcome.BadProof, 422, message);
            }

            return await _witness.AddCheckpointAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a monitor pass while holding the same lock as witness requests.</summary>
    /// <param name="monitor">The monitor.</param>
    /// <param name="checkSearch">Whether to check search results.</param>
    /// <param name="cancellationToken">Cancels the pass.</param>
    /// <returns>The pass result.</returns>
    public async Task<MonitorResult> PassAsync(LogMonitor monitor, bool checkSearch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await monitor.PassAsync(checkSearch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static WitnessResponse Text(WitnessOutcome outcome, int status, string message) =>
        new(outcome, status, WitnessResponse.TextContentType, Encoding.UTF8.GetBytes(message + "\n"), message);
}
