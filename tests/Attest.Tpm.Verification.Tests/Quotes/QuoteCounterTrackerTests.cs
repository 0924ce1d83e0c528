using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Tests.Quotes;

public sealed class QuoteCounterTrackerTests
{
    private static readonly byte[] AkName = [0x00, 0x0B, .. new byte[32]];

    private static async Task<IReadOnlyList<QuoteFailure>> Sequence(params TpmClockInfo[] clocks)
    {
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        IReadOnlyList<QuoteFailure> last = [];
        foreach (TpmClockInfo c in clocks)
        {
            last = await tracker.CheckAndRecordAsync(AkName, c, CancellationToken.None);
        }

        return last;
    }

    [Fact]
    public async Task CheckAndRecord_ClockAdvances_Accepted()
    {
        Assert.Empty(await Sequence(new(100, 1, 0, true), new(200, 1, 0, true), new(300, 1, 1, true), new(400, 2, 0, true)));
    }

    [Fact]
    public async Task CheckAndRecord_SameQuoteTwice_Replay()
    {
        IReadOnlyList<QuoteFailure> f = await Sequence(new(100, 1, 0, true), new(100, 1, 0, true));

        Assert.Equal(QuoteFailureCode.Replay, Assert.Single(f).Code);
    }

    [Fact]
    public async Task CheckAndRecord_OlderClockSameCounters_Replay()
    {
        Assert.Equal(QuoteFailureCode.Replay, Assert.Single(await Sequence(new(200, 1, 0, true), new(150, 1, 0, true))).Code);
    }

    [Fact]
    public async Task CheckAndRecord_ResetCountBack_CounterRollback()
    {
        Assert.Equal(QuoteFailureCode.CounterRollback, Assert.Single(await Sequence(new(100, 3, 0, true), new(200, 2, 0, true))).Code);
    }

    [Fact]
    public async Task CheckAndRecord_RestartCountBackWithinReset_CounterRollback()
    {
        Assert.Equal(QuoteFailureCode.CounterRollback, Assert.Single(await Sequence(new(100, 3, 2, true), new(200, 3, 1, true))).Code);
    }

    [Fact]
    public async Task CheckAndRecord_RestartCountDropsAfterReset_Accepted()
    {
        Assert.Empty(await Sequence(new(100, 3, 2, true), new(200, 4, 0, true)));
    }

    [Fact]
    public async Task CheckAndRecord_NewBootWithOlderClock_ClockWentBack()
    {
        Assert.Equal(QuoteFailureCode.ClockWentBack, Assert.Single(await Sequence(new(500, 3, 0, true), new(400, 4, 0, true))).Code);
    }

    [Fact]
    public async Task CheckAndRecord_RejectedQuote_DoesNotMoveBaseline()
    {
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        Assert.Empty(await tracker.CheckAndRecordAsync(AkName, new(500, 3, 0, true), CancellationToken.None));
        Assert.NotEmpty(await tracker.CheckAndRecordAsync(AkName, new(100, 2, 0, true), CancellationToken.None));

        Assert.Empty(await tracker.CheckAndRecordAsync(AkName, new(600, 3, 0, true), CancellationToken.None));
    }

    [Fact]
    public async Task CheckAndRecord_DifferentAks_Independent()
    {
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        byte[] other = [0x00, 0x0B, .. Enumerable.Repeat((byte)1, 32)];
        Assert.Empty(await tracker.CheckAndRecordAsync(AkName, new(500, 3, 0, true), CancellationToken.None));

        Assert.Empty(await tracker.CheckAndRecordAsync(other, new(100, 1, 0, true), CancellationToken.None));
    }

    [Fact]
    public async Task CheckAndRecord_ConcurrentSameQuote_OnlyOneAccepted()
    {
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        Task<IReadOnlyList<QuoteFailure>>[] tasks = [.. Enumerable.Range(0, 8).Select(_ =>
            Task.Run(async () => await tracker.CheckAndRecordAsync(AkName, new(700, 1, 0, true), CancellationToken.None)))];

        IReadOnlyList<QuoteFailure>[] results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r.Count == 0);
    }
}
