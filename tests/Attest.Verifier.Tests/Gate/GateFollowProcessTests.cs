using System.Net;
using System.Security.Cryptography;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Verifier.Tests.Support;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Gate;

/// <summary>
/// <c>attest-verify gate</c> as its own process over the real log server: a path attested after the gate started is
/// served once the gate's background follower has seen the new checkpoint, without a restart.
/// </summary>
public sealed class GateFollowProcessTests : IDisposable
{
    private readonly TestScratch _scratch = new("attest-gate-follow-process");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Gate_PathAttestedWhileRunning_RefusedThenServedWithoutRestart()
    {
        await using var log = await TestLog.StartAsync([_scratch.Alice, _scratch.Bob]);
        var cache = _scratch.Temp.Combine("cache");
        Directory.CreateDirectory(Path.Combine(cache, "nar"));
        var nar = RandomNumberGenerator.GetBytes(700);
        var narHash = NixHash.ComputeSha256(nar);
        var path = StorePath.Create(RandomNumberGenerator.GetBytes(StorePath.HashSize), "attested-while-running");
        var url = $"nar/{narHash.ToNix32()}.nar";
        await File.WriteAllBytesAsync(Path.Combine(cache, url), nar);
        var info = new NarInfo { StorePath = path, Url = url, Compression = "none", NarHash = narHash, NarSize = nar.Length };
        await File.WriteAllTextAsync(Path.Combine(cache, path.HashPart + ".narinfo"), info.Format());
        var policy = _scratch.Temp.Combine("policy.json");
        await File.WriteAllTextAsync(policy, TestAttestations.PolicyJson(TestLog.Origin, log.VerifierKey, log.Url, [(_scratch.Alice, "alice"), (_scratch.Bob, "bob")], 2, 2));
        var listen = new Uri($"http://127.0.0.1:{Loopback.FreePort()}/");
        await using var gate = VerifierProcess.Start(
            "gate", "--policy", policy, "--state", _scratch.Temp.Combine("state"), "--upstream", "file://" + cache,
            "--listen", listen.AbsoluteUri.TrimEnd('/'), "--follow-interval", "1");
        await gate.WaitForOutputAsync("listening on");
        using var http = new HttpClient { BaseAddress = listen, Timeout = TimeSpan.FromSeconds(30) };

        using var refused = await http.GetAsync($"{path.HashPart}.narinfo");
        await log.AppendAsync([TestAttestations.Document(_scratch.Alice, path, narHash), TestAttestations.Document(_scratch.Bob, path, narHash)]);
        var served = HttpStatusCode.NotFound;
        for (var attempt = 0; attempt < 120 && served != HttpStatusCode.OK; attempt++)
        {
            await Task.Delay(250);
            using var response = await http.GetAsync($"{path.HashPart}.narinfo");
            served = response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("0 builder(s) attested", string.Join(" ", refused.Headers.GetValues("X-Attest-Reason")), StringComparison.Ordinal);
        Assert.True(served == HttpStatusCode.OK, $"still {served} 30 s after the attestations were logged.\n{gate.Output}\n{gate.Error}");
        Assert.Equal(0, await gate.StopAsync());
    }
}
