using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>The last clock state accepted for one AK.</summary>
/// <param name="Clock">TPMS_CLOCK_INFO.clock.</param>
/// <param name="ResetCount">TPMS_CLOCK_INFO.resetCount.</param>
/// <param name="RestartCount">TPMS_CLOCK_INFO.restartCount.</param>
public readonly record struct QuoteCounterState(ulong Clock, uint ResetCount, uint RestartCount)
{
    /// <summary>The state a quote's clock info reports.</summary>
    public static QuoteCounterState From(TpmClockInfo info) => new(info.Clock, info.ResetCount, info.RestartCount);
}

/// <summary>
/// Persistence for <see cref="QuoteCounterTracker"/>: the last accepted state per AK, updated with compare-and-swap
/// so concurrent admissions for one AK cannot both pass.
/// </summary>
public interface IQuoteCounterStore
{
    /// <summary>The last accepted state for the AK with Name <paramref name="akName"/>, or null for a new AK.</summary>
    ValueTask<QuoteCounterState?> GetAsync(ReadOnlyMemory<byte> akName, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the state for <paramref name="akName"/> with <paramref name="next"/> if it still is
    /// <paramref name="expected"/> (null: no state yet). Returns false when another writer got there first.
    /// </summary>
    ValueTask<bool> TryReplaceAsync(ReadOnlyMemory<byte> akName, QuoteCounterState? expected, QuoteCounterState next, CancellationToken cancellationToken);
}

/// <summary>An in-memory <see cref="IQuoteCounterStore"/> for tests and single-process verifiers.</summary>
public sealed class InMemoryQuoteCounterStore : IQuoteCounterStore
{
    private readonly Dictionary<string, QuoteCounterState> _states = [];
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public ValueTask<QuoteCounterState?> GetAsync(ReadOnlyMemory<byte> akName, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<QuoteCounterState?>(
                _states.TryGetValue(Convert.ToHexString(akName.Span), out QuoteCounterState s) ? s : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> TryReplaceAsync(ReadOnlyMemory<byte> akName, QuoteCounterState? expected, QuoteCounterState next, CancellationToken cancellationToken)
    {
        string key = Convert.ToHexString(akName.Span);
        lock (_lock)
        {
            QuoteCounterState? current = _states.TryGetValue(key, out QuoteCounterState s) ? s : null;
            if (current != expected)
            {
                return ValueTask.FromResult(false);
            }

            _states[key] = next;
            return ValueTask.FromResult(true);
        }
    }
}

/// <summary>
/// Detects replayed quotes and rolled-back TPM state per AK across the log (TPM 2.0 Part 1 §36: Clock only moves
/// forward while safe; resetCount only grows until TPM2_Clear; restartCount only grows within one reset).
/// Feed quotes in log order; each accepted quote's state becomes the new baseline.
/// </summary>
public sealed class QuoteCounterTracker
{
    private const int MaxAttempts = 16;
    private readonly IQuoteCounterStore _store;

    /// <summary>Creates a tracker over <paramref name="store"/>.</summary>
    public QuoteCounterTracker(IQuoteCounterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>The failures <paramref name="next"/> would cause after <paramref name="previous"/> (empty when it may follow).</summary>
    public static IReadOnlyList<QuoteFailure> Compare(QuoteCounterState? previous, QuoteCounterState next)
    {
        if (previous is not QuoteCounterState last)
        {
            return [];
        }

        if (next.ResetCount < last.ResetCount)
        {
            return [new(QuoteFailureCode.CounterRollback, $"resetCount {next.ResetCount} is below the last accepted {last.ResetCount}")];
        }

        if (next.ResetCount == last.ResetCount && next.RestartCount < last.RestartCount)
        {
            return [new(QuoteFailureCode.CounterRollback,
                $"restartCount {next.RestartCount} is below the last accepted {last.RestartCount} within resetCount {next.ResetCount}")];
        }

        if (next.Clock > last.Clock)
        {
            return [];
        }

        return next.ResetCount == last.ResetCount && next.RestartCount == last.RestartCount
            ? [new(QuoteFailureCode.Replay, $"clock {next.Clock} is not later than the last accepted {last.Clock} with the same counters")]
            : [new(QuoteFailureCode.ClockWentBack, $"clock {next.Clock} is not later than the last accepted {last.Clock}")];
    }

    /// <summary>
    /// Checks <paramref name="clock"/> against the AK's last accepted state and, when it may follow, records it.
    /// Call only for quotes that otherwise verified, so a forged quote cannot advance the baseline.
    /// </summary>
    /// <returns>The failures (empty when the quote was accepted and recorded).</returns>
    public async ValueTask<IReadOnlyList<QuoteFailure>> CheckAndRecordAsync(ReadOnlyMemory<byte> akName, TpmClockInfo clock, CancellationToken cancellationToken)
    {
        QuoteCounterState next = QuoteCounterState.From(clock);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            QuoteCounterState? last = await _store.GetAsync(akName, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<QuoteFailure> failures = Compare(last, next);
            if (failures.Count != 0)
            {
                return failures;
            }

            if (await _store.TryReplaceAsync(akName, last, next, cancellationToken).ConfigureAwait(false))
            {
                return [];
            }
        }

        throw new InvalidOperationException($"The counter state of AK {Convert.ToHexStringLower(akName.Span)} kept changing under contention.");
    }
}
