using System.Net;
using System.Text;
using Attest.Nix;
using Attest.Verifier.Gate;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Tests.Support;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Gate;

/// <summary>
/// The gate follows the logs: when a log has a newer checkpoint refusals are decided again (trusted decisions keep
/// their TTL), a log caught forking drops every decision, and a cold decision never holds up others.
/// </summary>
public sealed class GateFollowTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-gate-follow");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task MarkStale_CachedRefusal_DecidedAgainOnNextRequest()
    {
        var decider = new ScriptedDecider { Trust = false };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions(), new ManualTime());
        Assert.False((await cache.GetAsync(Key(1), CancellationToken.None)).Trusted);
        Assert.False((await cache.GetAsync(Key(1), CancellationToken.None)).Trusted);
        Assert.Equal(1, decider.Calls);

        decider.Trust = true;
        cache.MarkStale();

        Assert.True((await cache.GetAsync(Key(1), CancellationToken.None)).Trusted);
        Assert.Equal(2, decider.Calls);
    }

    [Fact]
    public async Task MarkStale_CachedTrust_KeptWithoutDecidingAgain()
    {
        var decider = new ScriptedDecider();
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions(), new ManualTime());
        var first = await cache.GetAsync(Key(1), CancellationToken.None);

        cache.MarkStale();
        var served = cache.GetAsync(Key(1), CancellationToken.None);

        Assert.True(served.IsCompletedSuccessfully);
        Assert.Same(first, await served);
        Assert.Equal(1, decider.Calls);
    }

    [Fact]
    public async Task Clear_WhileATrustIsBeingDecided_TrustAnswersItsWaiterButIsNotCached()
    {
        var decider = new ScriptedDecider { Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions(), new ManualTime());
        var pending = cache.GetAsync(Key(1), CancellationToken.None).AsTask();
        await WaitUntilAsync(() => decider.Calls == 1);

        cache.Clear();
        decider.Hold.SetResult();

        Assert.True((await pending).Trusted);
        Assert.False(cache.TryGetCached(Key(1), out _));
    }

    [Fact]
    public async Task MarkStale_WhileARefusalIsBeingDecided_RefusalAnswersItsWaiterButIsNotCached()
    {
        var decider = new ScriptedDecider { Trust = false, Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions(), new ManualTime());
        var pending = cache.GetAsync(Key(1), CancellationToken.None).AsTask();
        await WaitUntilAsync(() => decider.Calls == 1);

        cache.MarkStale();
        decider.Hold.SetResult();

        Assert.False((await pending).Trusted);
        Assert.False(cache.TryGetCached(Key(1), out _));
    }

    [Fact]
    public async Task GetAsync_ColdDecisionInFlight_OtherPathsAnsweredFromCacheMeanwhile()
    {
        var decider = new ScriptedDecider();
        using var cache = new GateDecisionCache(decider.DecideAsync, new GateCacheOptions(), new ManualTime());
        var warm = await cache.GetAsync(Key(1), CancellationToken.None);
        decider.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var cold = cache.GetAsync(Key(2), CancellationToken.None).AsTask();
        await WaitUntilAsync(() => decider.Calls == 2);
        var hits = Enumerable.Range(0, 100).Select(_ => cache.GetAsync(Key(1), CancellationToken.None)).ToArray();

        Assert.All(hits, h => Assert.True(h.IsCompletedSuccessfully));
        Assert.False(cold.IsCompleted);
        foreach (var hit in hits)
        {
            Assert.Same(warm, await hit);
        }

        decider.Hold.SetResult();
        Assert.True((await cold).Trusted);
    }

    [Fact]
    public async Task GetNarInfo_PathAttestedAfterTheGateStarted_ServedOnceTheLogsAdvance()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob]);
        using var http = new HttpClient();
        var decider = new FollowingPathDecider(Policy(log.VerifierKey, log.Url), http, new VerifierState(_scratch.Temp.Path), TimeSpan.FromSeconds(1));
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("attested-late");

        using var before = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");
        await log.AppendAsync([TestAttestations.Document(_scratch.Alice, path, hash), TestAttestations.Document(_scratch.Bob, path, hash)]);
        using var cached = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");
        Assert.True(await decider.RefreshAsync(CancellationToken.None));
        fixture.Gate.LogsAdvanced();
        using var after = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cached.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal((ulong)await log.SizeAsync(), Assert.Single(decider.Checkpoints).Checkpoint.TreeSize);
        Assert.False(await decider.RefreshAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GetNarInfo_LogForksAfterTrust_EveryPathRefusedWithTheReason()
    {
        await using var honest = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob]);
        await using var forked = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob], logKeyFrom: honest);
        await using var proxy = await LogProxy.StartAsync(honest.Url);
        using var http = new HttpClient();
        var decider = new FollowingPathDecider(Policy(honest.VerifierKey, proxy.Url), http, new VerifierState(_scratch.Temp.Path), TimeSpan.FromSeconds(1));
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("trusted-then-forked");
        await honest.AppendAsync([TestAttestations.Document(_scratch.Alice, path, hash), TestAttestations.Document(_scratch.Bob, path, hash)]);
        await forked.AppendAsync([TestAttestations.Document(_scratch.Alice, path, hash), TestAttestations.Document(_scratch.Bob, path, NixHash.ComputeSha256("other"u8)), TestAttestations.Document(_scratch.Bob, path, hash)]);
        using var trusted = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");
        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);

        proxy.Tampering.RedirectTo = forked.Url;
        var fork = await Assert.ThrowsAsync<LogIntegrityException>(() => decider.RefreshAsync(CancellationToken.None));
        fixture.Gate.ForgetDecisions();
        using var refused = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        var reason = string.Join(" ", refused.Headers.GetValues("X-Attest-Reason"));
        Assert.StartsWith("LOG FORK", fork.Message, StringComparison.Ordinal);
        Assert.Contains("the logs could not be checked: LOG FORK", reason, StringComparison.Ordinal);
    }

    private TrustPolicy Policy(string logKey, Uri url) =>
        TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(TestAttestations.PolicyJson(TestLog.Origin, logKey, url, [(_scratch.Alice, "alice"), (_scratch.Bob, "bob")], 2, 2)));

    private static DecisionKey Key(int i) =>
        new(StorePath.Parse($"/nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-f{i}"), NixHash.ComputeSha256(BitConverter.GetBytes(i)));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private sealed class ScriptedDecider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Trust { get; set; } = true;

        public TaskCompletionSource? Hold { get; set; }

        public async Task<GateDecision> DecideAsync(DecisionKey _, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            return Trust ? new GateDecision(true, [], null) : GateDecision.Unverifiable("not attested yet");
        }
    }
}
