using Attest.Log.Admission;

namespace Attest.Log.Tests.Admission;

public sealed class TokenBucketLimiterTests
{
    [Fact]
    public void TryAcquire_BurstExhausted_RefusesWithRetryAfterThenRefillsWithTime()
    {
        var time = new ManualTime();
        var limiter = new TokenBucketLimiter(ratePerSecond: 2, burst: 3, time);

        Assert.True(limiter.TryAcquire("a", out _));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(0.5), retryAfter);
        Assert.True(limiter.TryAcquire("b", out _));

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out _));
    }

    [Fact]
    public void TryAcquire_ZeroRate_AlwaysAllows()
    {
        var limiter = new TokenBucketLimiter(0, 0);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.True(limiter.TryAcquire("a", out _)));
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
