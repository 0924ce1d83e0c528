using Attest.Nix;
using Attest.Verifier.Gate;
using static Attest.Verifier.Tests.Gate.GatePolicy;

namespace Attest.Verifier.Tests.Gate;

public sealed class GateDecisionCacheTests
{
    private static readonly StorePath PathA = StorePath.Parse("/nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-a");
    private static readonly NixHash HashA = NixHash.ComputeSha256("a"u8);

    private static DecisionKey Key(int i) =>
        new(StorePath.Parse($"/nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-p{i}"), NixHash.ComputeSha256(BitConverter.GetBytes(i)));

    private sealed class CountingDecider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Hold { get; init; }

        public Func<DecisionKey, bool> Trusted { get; set; } = _ => true;

        public async Task<GateDecision> DecideAsync(DecisionKey key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Hold)
            {
                await Release.Task.WaitAsync(cancellationToken);
            }

            return Trusted(key) ? new GateDecision(true, [], null) : GateDecision.Unverifiable("no");
        }
    }

    [Fact]
    public async Task GetAsync_ConcurrentRequestsForOnePath_ShareOneDecision()
    {
        var decider = new CountingDecider { Hold = true };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions());
        var key = new DecisionKey(PathA, HashA);

        Task<GateDecision>[] waiting = [.. Enumerable.Range(0, 32).Select(_ => cache.GetAsync(key, CancellationToken.None).AsTask())];
        decider.Release.SetResult();
        GateDecision[] decisions = await Task.WhenAll(waiting);

        Assert.Equal(1, decider.Calls);
        Assert.Equal(1, cache.Decisions);
        Assert.All(decisions, d => Assert.Same(decisions[0], d));
    }

    [Fact]
    public async Task GetAsync_OneWaiterCancels_SharedDecisionStillCompletesForOthers()
    {
        var decider = new CountingDecider { Hold = true };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions());
        var key = new DecisionKey(PathA, HashA);
        using var hangUp = new CancellationTokenSource();

        Task<GateDecision> cancelled = cache.GetAsync(key, hangUp.Token).AsTask();
        Task<GateDecision> other = cache.GetAsync(key, CancellationToken.None).AsTask();
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        decider.Release.SetResult();

        Assert.True((await other).Trusted);
        Assert.Equal(1, decider.Calls);
    }

    [Fact]
    public async Task GetAsync_PositiveWithinTtl_Cached_ThenExpires()
    {
        var time = new ManualTime();
        var decider = new CountingDecider();
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions { PositiveTtl = TimeSpan.FromMinutes(10), RefreshAfterFraction = 1 }, time);

        await cache.GetAsync(Key(1), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(9));
        await cache.GetAsync(Key(1), CancellationToken.None);
        Assert.Equal(1, decider.Calls);

        time.Advance(TimeSpan.FromMinutes(2));
        await cache.GetAsync(Key(1), CancellationToken.None);
        Assert.Equal(2, decider.Calls);
    }

    [Fact]
    public async Task GetAsync_Refusal_ExpiresAfterNegativeTtl()
    {
        var time = new ManualTime();
        var decider = new CountingDecider { Trusted = _ => false };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions { PositiveTtl = TimeSpan.FromMinutes(10), NegativeTtl = TimeSpan.FromSeconds(30) }, time);

        Assert.False((await cache.GetAsync(Key(1), CancellationToken.None)).Trusted);
        time.Advance(TimeSpan.FromSeconds(20));
        await cache.GetAsync(Key(1), CancellationToken.None);
        Assert.Equal(1, decider.Calls);

        decider.Trusted = _ => true;
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True((await cache.GetAsync(Key(1), CancellationToken.None)).Trusted);
        Assert.Equal(2, decider.Calls);
    }

    [Fact]
    public async Task GetAsync_OverCapacity_LeastRecentlyUsedDropped()
    {
        var decider = new CountingDecider();
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions { Capacity = 2 });

        await cache.GetAsync(Key(1), CancellationToken.None);
        await cache.GetAsync(Key(2), CancellationToken.None);
        await cache.GetAsync(Key(1), CancellationToken.None);
        await cache.GetAsync(Key(3), CancellationToken.None);

        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGetCached(Key(1), out _));
        Assert.False(cache.TryGetCached(Key(2), out _));
        Assert.True(cache.TryGetCached(Key(3), out _));
    }

    [Fact]
    public async Task GetAsync_NearExpiry_RefreshedInBackgroundWhileServingCached()
    {
        var time = new ManualTime();
        var decider = new CountingDecider();
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions { PositiveTtl = TimeSpan.FromMinutes(10), RefreshAfterFraction = 0.5 }, time);
        GateDecision first = await cache.GetAsync(Key(1), CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(6));
        GateDecision served = await cache.GetAsync(Key(1), CancellationToken.None);
        Assert.Same(first, served);
        for (int i = 0; i < 500 && (decider.Calls < 2 || cache.TryGetCached(Key(1), out var d) && ReferenceEquals(d, first)); i++)
        {
            await Task.Delay(10);
        }

        // The refreshed decision restarts the TTL: 9 more minutes are still within it.
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(cache.TryGetCached(Key(1), out _));
        Assert.Equal(2, decider.Calls);
    }

    [Fact]
    public void Options_OutOfRange_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GateCacheOptions { Capacity = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GateCacheOptions { NegativeTtl = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GateCacheOptions { RefreshAfterFraction = 0 }.Validate());
    }

    [Fact]
    public async Task Gate_ConcurrentNarInfoRequests_OneVerification()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var decider = new PreparedDecider(TwoOperators) { Hold = release.Task };
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("single-flight");
        decider.AttestByBoth(path, hash);

        Task<HttpResponseMessage>[] requests = [.. Enumerable.Range(0, 16).Select(_ => fixture.Http.GetAsync($"{path.HashPart}.narinfo"))];
        while (decider.Calls == 0)
        {
            await Task.Delay(5);
        }

        release.SetResult();
        HttpResponseMessage[] responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, decider.Calls);
        foreach (HttpResponseMessage response in responses)
        {
            response.Dispose();
        }
    }
}
