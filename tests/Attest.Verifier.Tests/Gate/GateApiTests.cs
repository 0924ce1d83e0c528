using System.Net;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Verifier.Cli.Gate;
using Attest.Verifier.Gate;
using static Attest.Verifier.Tests.Gate.GatePolicy;

namespace Attest.Verifier.Tests.Gate;

public sealed class GateApiTests
{
    [Fact]
    public async Task NixCacheInfo_Get_AnnouncesStoreDirMassQueryAndPriority()
    {
        await using var fixture = await GateFixture.StartAsync(new PreparedDecider(TwoOperators));

        using HttpResponseMessage response = await fixture.Http.GetAsync("nix-cache-info");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GateApi.CacheInfoContentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 42\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetNarInfo_QuorumHolds_ServedAndReSignedByTheGateOnly()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, url) = fixture.AddPath("hello-2.12");
        decider.AttestByBoth(path, hash);

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GateApi.NarInfoContentType, response.Content.Headers.ContentType?.MediaType);
        NarInfo served = NarInfo.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(path, served.StorePath);
        Assert.Equal(hash, served.NarHash);
        Assert.Equal(url, served.Url);
        Assert.Equal([fixture.GateKey.Name], served.VerifySignatures([fixture.GateKey.PublicKey]).ValidSigners);
        Assert.False(served.VerifySignatures([fixture.UpstreamKey.PublicKey]).IsTrusted);
        Assert.Single(served.Signatures);
    }

    [Fact]
    public async Task GetNarInfo_KeepUpstreamSignatures_BothSignaturesVerify()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider, key => new NixCacheGateOptions { SigningKey = key, KeepUpstreamSignatures = true });
        var (path, hash, _, _) = fixture.AddPath("kept");
        decider.AttestByBoth(path, hash);

        NarInfo served = NarInfo.Parse(await fixture.Http.GetStringAsync($"{path.HashPart}.narinfo"));

        Assert.Equal(
            [fixture.GateKey.Name, fixture.UpstreamKey.Name],
            served.VerifySignatures([fixture.GateKey.PublicKey, fixture.UpstreamKey.PublicKey]).ValidSigners.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetNarInfo_NoSigningKey_UpstreamTextServedUnchanged()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider, _ => new NixCacheGateOptions());
        var (path, hash, _, _) = fixture.AddPath("plain");
        decider.AttestByBoth(path, hash);

        string served = await fixture.Http.GetStringAsync($"{path.HashPart}.narinfo");

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo")), served);
    }

    [Fact]
    public async Task GetNarInfo_Disputed_NotFoundWithReasonHeader()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("disputed");
        NixHash other = NixHash.ComputeSha256("another build"u8);
        decider.Attest(path, Attestation(Alice, hash, 1), Attestation(Bob, other, 2));

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        string reason = Assert.Single(response.Headers.GetValues(GateApi.ReasonHeader));
        Assert.Contains("different NAR hash", reason, StringComparison.Ordinal);
        Assert.Contains("bob: " + other, reason, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetNarInfo_Unattested_NotFoundWithReason()
    {
        await using var fixture = await GateFixture.StartAsync(new PreparedDecider(TwoOperators));
        var (path, _, _, _) = fixture.AddPath("unattested");

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("0 builder(s) attested", Assert.Single(response.Headers.GetValues(GateApi.ReasonHeader)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNarInfo_UpstreamLacksIt_NotFoundWithoutDeciding()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);

        using HttpResponseMessage response = await fixture.Http.GetAsync("0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, decider.Calls);
    }

    [Theory]
    [InlineData("StorePath: /nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-x\nURL: nar/a.nar\n")]
    [InlineData("this is not a narinfo\n")]
    [InlineData("StorePath: /nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-x\nURL: nar/a.nar\nNarHash: sha256:xyz\nNarSize: 1\n")]
    public async Task GetNarInfo_MalformedUpstream_BadGatewayProblemAndNeverDecided(string text)
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        fixture.WriteNarInfo("0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j", text);

        using HttpResponseMessage response = await fixture.Http.GetAsync("0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j.narinfo");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, decider.Calls);
    }

    [Fact]
    public async Task GetNarInfo_OversizedUpstream_BadGateway()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("big");
        decider.AttestByBoth(path, hash);
        string text = await File.ReadAllTextAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo"));
        fixture.WriteNarInfo(path.HashPart, text + "X-Padding: " + new string('a', UpstreamCache.DefaultMaxNarInfoBytes) + "\n");

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("at most", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNarInfo_UpstreamDescribesAnotherPath_BadGateway()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("elsewhere");
        decider.AttestByBoth(path, hash);
        const string Requested = "0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j";
        fixture.WriteNarInfo(Requested, await File.ReadAllTextAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo")));

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{Requested}.narinfo");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Theory]
    [InlineData("../secret")]
    [InlineData("nar/../../etc/passwd")]
    [InlineData("http://elsewhere.example/nar/a.nar")]
    [InlineData("nar/sub/a.nar")]
    public async Task GetNarInfo_UrlOutsideNarFolder_BadGateway(string url)
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("escape");
        decider.AttestByBoth(path, hash);
        NarInfo info = NarInfo.Parse(await File.ReadAllTextAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo")));
        fixture.WriteNarInfo(path.HashPart, (info with { Url = url }).Format());

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Fact]
    public async Task GetNar_Approved_StreamsUpstreamBytesUnchanged()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, nar, url) = fixture.AddPath("streamed", size: 300_000);
        decider.AttestByBoth(path, hash);
        (await fixture.Http.GetAsync($"{path.HashPart}.narinfo")).EnsureSuccessStatusCode();

        using HttpResponseMessage response = await fixture.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GateApi.NarContentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(nar, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task HeadNar_Approved_OkWithLengthAndNoBody()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, nar, url) = fixture.AddPath("headed");
        decider.AttestByBoth(path, hash);
        (await fixture.Http.GetAsync($"{path.HashPart}.narinfo")).EnsureSuccessStatusCode();

        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(nar.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task HeadNarInfo_Refused_NotFound()
    {
        await using var fixture = await GateFixture.StartAsync(new PreparedDecider(TwoOperators));
        var (path, _, _, _) = fixture.AddPath("head-refused");

        using var request = new HttpRequestMessage(HttpMethod.Head, $"{path.HashPart}.narinfo");
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetNar_NeverApproved_NotFoundEvenThoughUpstreamHasIt()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, url) = fixture.AddPath("not-asked");
        decider.AttestByBoth(path, hash);

        using HttpResponseMessage response = await fixture.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetNar_OfRefusedPath_NotFound()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, url) = fixture.AddPath("refused-nar");
        decider.Attest(path, Attestation(Alice, hash, 1));
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"{path.HashPart}.narinfo")).StatusCode);

        using HttpResponseMessage response = await fixture.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetNar_TrustWithdrawnAfterExpiry_NotFound()
    {
        var decider = new PreparedDecider(TwoOperators);
        var time = new ManualTime();
        await using var fixture = await GateFixture.StartAsync(
            decider, key => new NixCacheGateOptions { SigningKey = key, Cache = new GateCacheOptions { PositiveTtl = TimeSpan.FromMinutes(1), RefreshAfterFraction = 1 } }, time);
        var (path, hash, _, url) = fixture.AddPath("withdrawn");
        decider.AttestByBoth(path, hash);
        (await fixture.Http.GetAsync($"{path.HashPart}.narinfo")).EnsureSuccessStatusCode();
        decider.Attest(path, Attestation(Alice, hash, 1), Attestation(Bob, NixHash.ComputeSha256("rebuilt"u8), 2));
        time.Advance(TimeSpan.FromMinutes(2));

        using HttpResponseMessage nar = await fixture.Http.GetAsync(url);
        using HttpResponseMessage narInfo = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, narInfo.StatusCode);
    }

    [Theory]
    [InlineData("log/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-x.drv")]
    [InlineData("nar")]
    [InlineData("index.html")]
    [InlineData("not-a-hash.narinfo")]
    [InlineData("nar/")]
    public async Task Get_OtherPaths_NotFound(string path)
    {
        await using var fixture = await GateFixture.StartAsync(new PreparedDecider(TwoOperators));

        using HttpResponseMessage response = await fixture.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetNarInfo_WarmCache_DecidedOnce()
    {
        var decider = new PreparedDecider(TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("warm");
        decider.AttestByBoth(path, hash);

        for (int i = 0; i < 5; i++)
        {
            (await fixture.Http.GetAsync($"{path.HashPart}.narinfo")).EnsureSuccessStatusCode();
        }

        Assert.Equal(1, decider.Calls);
        Assert.Equal(4, fixture.Gate.Decisions.Hits);
    }

    [Fact]
    public async Task GetNarInfo_DeciderFails_RefusedAsUnverifiable()
    {
        var decider = new PreparedDecider(TwoOperators) { Failure = new HttpRequestException("connection refused") };
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, _, _, _) = fixture.AddPath("log-down");

        using HttpResponseMessage response = await fixture.Http.GetAsync($"{path.HashPart}.narinfo");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("could not be checked: connection refused", Assert.Single(response.Headers.GetValues(GateApi.ReasonHeader)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNarInfo_HttpUpstream_ServedThroughAnotherGate()
    {
        // The inner gate approves everything with no key of its own, so the outer one reads the upstream's narinfo over HTTP.
        var approveAll = new PreparedDecider(new([], [Alice], new(1, 1, 0, 0)));
        await using var inner = await GateFixture.StartAsync(approveAll, _ => new NixCacheGateOptions());
        var (path, hash, nar, url) = inner.AddPath("via-http", size: 200_000);
        approveAll.Attest(path, Attestation(Alice, hash, 1));
        (await inner.Http.GetAsync($"{path.HashPart}.narinfo")).EnsureSuccessStatusCode();
        using var upstreamHttp = new HttpClient();
        var decider = new PreparedDecider(TwoOperators);
        decider.AttestByBoth(path, hash);
        await using var outer = await GateFixture.StartAsync(decider, upstream: new HttpUpstreamCache(inner.Url, upstreamHttp));

        NarInfo served = NarInfo.Parse(await outer.Http.GetStringAsync($"{path.HashPart}.narinfo"));
        byte[] streamed = await outer.Http.GetByteArrayAsync(url);

        Assert.True(served.VerifySignatures([outer.GateKey.PublicKey]).IsTrusted);
        Assert.Equal(nar, streamed);
    }
}
