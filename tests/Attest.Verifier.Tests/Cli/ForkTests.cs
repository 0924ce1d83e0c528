using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Signing;
using Attest.Transparency.Checkpoints;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Cli;

/// <summary>A log that shows one history, then another under the same key: two real log servers sharing log.key.</summary>
public sealed class ForkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-verify-fork-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Path_CheckpointForksFromOneSeenEarlier_ExitsErrorNamingBothAndKeepsState()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        using var bob = IdentityKey.Generate("bob-builder");
        string honestData = Path.Combine(_directory, "honest");
        string forkData = Path.Combine(_directory, "fork");
        await using LogServerProcess honest = await LiveLog.StartAsync(honestData, alice, bob);
        Directory.CreateDirectory(forkData);
        File.Copy(Path.Combine(honestData, "log.key"), Path.Combine(forkData, "log.key"));
        await using LogServerProcess fork = await LiveLog.StartAsync(forkData, alice, bob);
        string logKey = (await honest.GetAsync("v1/log/key")).Trim();
        Assert.Equal(logKey, (await fork.GetAsync("v1/log/key")).Trim());
        var path = TestAttestations.Path("forked-1.0");
        var hash = TestAttestations.Hash("forked nar");
        await LiveLog.SubmitAsync(honest.Url, TestAttestations.Document(alice, path, hash));
        await LiveLog.SubmitAsync(fork.Url, TestAttestations.Document(bob, path, TestAttestations.Hash("other history")));
        string state = Path.Combine(_directory, "state");
        string honestPolicy = WritePolicy("honest.json", logKey, honest.Url, alice, bob);
        string forkPolicy = WritePolicy("fork.json", logKey, fork.Url, alice, bob);

        var first = await PathCommandTests.RunAsync(null, "path", path.FullPath, "--nar-hash", hash.ToString(), "--policy", honestPolicy, "--state", state);
        string stateFile = Assert.Single(Directory.GetFiles(state));
        byte[] seen = await File.ReadAllBytesAsync(stateFile);
        var second = await PathCommandTests.RunAsync(null, "path", path.FullPath, "--nar-hash", hash.ToString(), "--policy", forkPolicy, "--state", state);

        Assert.True(first.Exit == 1, first.Output + first.Error);
        Assert.True(second.Exit == 2, second.Output + second.Error);
        var seenCheckpoint = SignedCheckpoint.Parse(seen).Checkpoint;
        Assert.Contains("LOG FORK", second.Error, StringComparison.Ordinal);
        Assert.Contains($"size {seenCheckpoint.TreeSize}, root {seenCheckpoint.RootHash.ToBase64()}", second.Error, StringComparison.Ordinal);
        Assert.Equal(seen, await File.ReadAllBytesAsync(stateFile));
    }

    private string WritePolicy(string name, string logKey, Uri url, IdentityKey alice, IdentityKey bob)
    {
        string file = Path.Combine(_directory, name);
        File.WriteAllText(file, TestAttestations.PolicyJson("localhost/attest-log", logKey, url, [(alice, "alice"), (bob, "bob")], 2, 2));
        return file;
    }
}
