using System.Collections.Concurrent;

namespace Attest.Log.Admission;

/// <summary>
/// Per-key token buckets (one per builder): each key may burst <see cref="Burst"/> submissions and then
/// <see cref="RatePerSecond"/> a second. Refusals say when a token will be available (HTTP 429 Retry-After).
/// </summary>
public sealed class TokenBucketLimiter
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates a limiter; a rate of zero or less disables limiting.</summary>
    public TokenBucketLimiter(double ratePerSecond, double burst, TimeProvider? time = null)
    {
        if (ratePerSecond > 0 && burst < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(burst), burst, "The burst must allow at least one submission.");
        }

        RatePerSecond = ratePerSecond;
        Burst = burst;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sustained submissions per second per key (0 = unlimited).</summary>
    public double RatePerSecond { get; }

    /// <summary>Most submissions a key may make at once.</summary>
    public double Burst { get; }

    /// <summary>Takes a token for <paramref name="key"/>; false with the wait until one is available when the bucket is empty.</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (RatePerSecond <= 0)
        {
            return true;
        }

        var now = _time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, static (_, state) => new Bucket(state.Burst, state.Now), (Burst, Now: now));
        lock (bucket)
        {
            var elapsed = _time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
            if (elapsed > 0)
            {
                bucket.Tokens = Math.Min(Burst, bucket.Tokens + (elapsed * RatePerSecond));
                bucket.Updated = now;
            }

            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / RatePerSecond);
            return false;
        }
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens { get; set; } = tokens;

        public long Updated { get; set; } = updated;
    }
}
