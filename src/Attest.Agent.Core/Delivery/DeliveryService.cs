using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Spool;
using Microsoft.Extensions.Logging;

namespace Attest.Agent.Core.Delivery;

/// <summary>
/// Delivers the outbox to every configured log. A document leaves the outbox once each log has answered
/// 201 or 200 (receipts are kept per log, so a resubmission after a crash only goes to logs that have not
/// answered; the log deduplicates exactly in any case). Transient failures (network, 5xx, 429, 503) back off
/// exponentially with jitter per log, honouring <c>Retry-After</c>; any other 4xx moves the document to the
/// dead letters with the log's problem document.
/// </summary>
public sealed class DeliveryService
{
    /// <summary>Temporary files older than this are removed even if their writer's process id is in use.</summary>
    public static readonly TimeSpan TemporaryFileMaxAge = TimeSpan.FromHours(1);

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);

    private readonly Outbox _outbox;
    private readonly IReadOnlyList<LogClient> _logs;
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<LogClient, (int Failures, DateTimeOffset NextAttempt)> _backoff = [];
    private AgentState _state;

    /// <summary>Creates the service.</summary>
    /// <param name="outbox">The spool.</param>
    /// <param name="logs">One client per configured log; at least one.</param>
    /// <param name="options">Retry settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public DeliveryService(Outbox outbox, IReadOnlyList<LogClient> logs, DeliveryOptions options, TimeProvider time, ILogger<DeliveryService> logger)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (logs.Count == 0)
        {
            throw new AgentConfigurationException("No log URL is configured (logUrls is empty): nowhere to deliver to.");
        }

        _outbox = outbox;
        _logs = logs;
        _options = options;
        _time = time;
        _logger = logger;
        _state = AgentState.Read(outbox.SpoolDirectory, AgentState.DeliveryFileName);
    }

    /// <summary>
    /// Tries every pending document once against every log that is not backing off.
    /// </summary>
    /// <param name="cancellationToken">Stops between documents (and aborts the request in flight).</param>
    /// <returns>What happened.</returns>
    public async Task<DeliveryPass> DeliverPendingAsync(CancellationToken cancellationToken)
    {
        _outbox.EnsureCreated();
        var removed = _outbox.CleanTemporaryFiles(TemporaryFileMaxAge);
        if (removed > 0)
        {
            _logger.TemporaryFilesRemoved(removed);
        }

        var delivered = 0;
        var deadLettered = 0;
        string? lastError = null;
        var stateBefore = _state;
        foreach (var document in _outbox.ListPending())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_logs.All(l => IsBackingOff(l) && !_outbox.HasReceipt(document, Outbox.LogKey(l.BaseUrl))))
            {
                break;
            }

            byte[] bytes;
            try
            {
                bytes = Outbox.Read(document);
            }
            catch (SpoolException e)
            {
                // Renamed away by a concurrent flush, or unreadable: the next pass sees the current state.
                _logger.SpoolError(document.Name, e.Message);
                continue;
            }

            try
            {
                var (accepted, refused, error) = await DeliverToAllAsync(document, bytes, cancellationToken);
                lastError = error ?? lastError;
                if (refused)
                {
                    deadLettered++;
                }
                else if (accepted)
                {
                    Outbox.Complete(document);
                    delivered++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk while writing a receipt, or a concurrent flush that moved the document: it stays (or
                // is already) where the next pass finds the truth; the log deduplicates a resubmission.
                _logger.SpoolError(document.Name, e.Message);
                lastError = $"{document.Name}: {e.Message}";
            }
        }

        if (lastError is not null)
        {
            _state = _state with { LastError = lastError, LastErrorAt = _time.GetUtcNow() };
        }

        if (!ReferenceEquals(stateBefore, _state))
        {
            try
            {
                _state.Write(_outbox.SpoolDirectory, AgentState.DeliveryFileName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.SpoolError(AgentState.DeliveryFileName, e.Message);
            }
        }

        var pending = _outbox.CountPending();
        var next = pending == 0 || _backoff.Count == 0 ? (DateTimeOffset?)null : _backoff.Values.Min(b => b.NextAttempt);
        return new DeliveryPass(delivered, deadLettered, pending, next, lastError);
    }

    /// <summary>
    /// Delivers until the outbox is empty or <paramref name="maxWait"/> has passed, waiting out backoffs in
    /// between (<c>attest-agent flush</c>).
    /// </summary>
    /// <param name="maxWait">How long to keep retrying; zero for a single pass.</param>
    /// <param name="cancellationToken">Stops early.</param>
    /// <returns>The totals.</returns>
    public async Task<DeliveryPass> FlushAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + maxWait;
        var delivered = 0;
        var deadLettered = 0;
        while (true)
        {
            var pass = await DeliverPendingAsync(cancellationToken);
            delivered += pass.Delivered;
            deadLettered += pass.DeadLettered;
            if (pass.Pending == 0 || pass.NextAttemptAt is not { } next || next > deadline)
            {
                return pass with { Delivered = delivered, DeadLettered = deadLettered };
            }

            var wait = next - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Delivers until cancelled (<c>attest-agent run</c>): a pass whenever a document appears in the outbox, a
    /// backoff expires, or at the latest every 30 seconds.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop (SIGTERM); the document in flight is finished or left pending.</param>
    /// <returns>A task that completes when stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _outbox.EnsureCreated();
        _logger.DeliveryStarted(_outbox.SpoolDirectory, _logs.Count);
        using var wake = new SemaphoreSlim(0, 1);
        void Signal(object sender, FileSystemEventArgs e)
        {
            if (wake.CurrentCount == 0)
            {
                try
                {
                    wake.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Another event already woke the loop.
                }
            }
        }

        using var watcher = new FileSystemWatcher(_outbox.PendingDirectory, "*.json")
        {
            NotifyFilter = NotifyFilters.FileName,
        };
        watcher.Created += Signal;
        watcher.Renamed += Signal;
        watcher.EnableRaisingEvents = true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DeliveryPass pass;
                try
                {
                    pass = await DeliverPendingAsync(cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or SpoolException)
                {
                    // The spool itself is unusable for now (e.g. its disk is full or unmounted): keep the service
                    // up and look again later rather than exit and lose the watcher.
                    _logger.SpoolError(_outbox.SpoolDirectory, e.Message);
                    pass = new DeliveryPass(0, 0, 1, _time.GetUtcNow() + _options.InitialBackoff, e.Message);
                }

                var wait = PollInterval;
                if (pass.Pending > 0 && pass.NextAttemptAt is { } next)
                {
                    var untilNext = next - _time.GetUtcNow();
                    wait = untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext < wait ? untilNext : wait;
                }
                else if (pass.Pending > 0)
                {
                    wait = TimeSpan.Zero;
                }

                if (wait > TimeSpan.Zero)
                {
                    _ = await wake.WaitAsync(wait, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM: whatever is still pending stays in the outbox for the next start.
        }

        _logger.DeliveryStopped(_outbox.CountPending());
    }

    private async Task<(bool Accepted, bool Refused, string? Error)> DeliverToAllAsync(
        SpooledDocument document, byte[] bytes, CancellationToken cancellationToken)
    {
        var accepted = true;
        string? error = null;
        foreach (var log in _logs)
        {
            if (_outbox.HasReceipt(document, Outbox.LogKey(log.BaseUrl)))
            {
                continue;
            }

            if (IsBackingOff(log))
            {
                accepted = false;
                continue;
            }

            var result = await log.SubmitAsync(bytes, cancellationToken);
            switch (result.Outcome)
            {
                case SubmissionOutcome.Created or SubmissionOutcome.Duplicate:
                    var now = _time.GetUtcNow();
                    _outbox.WriteReceipt(document,
                        new DeliveryReceipt(document.Name, log.BaseUrl, result.Index!.Value, result.StatusCode, now));
                    _backoff.Remove(log);
                    _state = _state with { LastDeliveryAt = now, LastDeliveredIndex = result.Index };
                    _logger.Delivered(log.BaseUrl, document.Name, result.Index.Value, result.StatusCode);
                    break;
                case SubmissionOutcome.Transient:
                    var delay = Backoff(log, result.RetryAfter);
                    accepted = false;
                    error = $"{log.BaseUrl}: HTTP {result.StatusCode}: {result.Detail}";
                    _logger.DeliveryDeferred(log.BaseUrl, document.Name, result.StatusCode, result.Detail, delay);
                    break;
                default:
                    _outbox.DeadLetter(document,
                        new DeadLetterReason(document.Name, log.BaseUrl, result.StatusCode, result.Detail, _time.GetUtcNow()));
                    _state = _state with
                    {
                        LastError = $"{log.BaseUrl} refused {document.Name}: HTTP {result.StatusCode}: {result.Detail}",
                        LastErrorAt = _time.GetUtcNow(),
                    };
                    _logger.DeadLettered(log.BaseUrl, document.Name, result.StatusCode, result.Detail);
                    return (false, true, null);
            }
        }

        return (accepted, false, error);
    }

    private bool IsBackingOff(LogClient log) =>
        _backoff.TryGetValue(log, out var state) && state.NextAttempt > _time.GetUtcNow();

    private TimeSpan Backoff(LogClient log, TimeSpan? retryAfter)
    {
        var failures = _backoff.TryGetValue(log, out var state) ? state.Failures + 1 : 1;
        var delay = ComputeDelay(failures, _options.InitialBackoff, _options.MaxBackoff, retryAfter, Random.Shared.NextDouble());
        _backoff[log] = (failures, _time.GetUtcNow() + delay);
        return delay;
    }

    /// <summary>
    /// The wait before retry number <paramref name="failures"/>: <c>initial·2^(failures−1)</c> capped at
    /// <paramref name="max"/>, scaled by a jitter factor in [0.5, 1) so that many builders do not retry in step,
    /// and never shorter than the server's <c>Retry-After</c> (itself capped at an hour).
    /// </summary>
    internal static TimeSpan ComputeDelay(int failures, TimeSpan initial, TimeSpan max, TimeSpan? retryAfter, double random)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ticks = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, exponent));
        var jittered = TimeSpan.FromTicks((long)(ticks * (0.5 + (random * 0.5))));
        if (retryAfter is { } serverWait)
        {
            var capped = serverWait > MaxRetryAfter ? MaxRetryAfter : serverWait;
            return capped > jittered ? capped : jittered;
        }

        return jittered;
    }
}
