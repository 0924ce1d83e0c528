using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Verifier.Logs;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Logs;

public sealed class VerifierStateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-verify-state-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task AdvanceAsync_SameSizeDifferentRoot_ThrowsForkAndKeepsStored()
    {
        var log = new InMemoryLog();
        var policy = new CheckpointPolicy(log.Origin, [log.Verifier]);
        var state = new VerifierState(_directory);
        var first = new Checkpoint(log.Origin, 5, TreeHasher.HashLeaf([1])).Sign(log.Signer);
        var other = new Checkpoint(log.Origin, 5, TreeHasher.HashLeaf([2])).Sign(log.Signer);
        await state.AdvanceAsync(policy, first, NeverCalled, CancellationToken.None);

        var fork = await Assert.ThrowsAsync<LogIntegrityException>(() => state.AdvanceAsync(policy, other, NeverCalled, CancellationToken.None));

        Assert.True(fork.IsFork);
        Assert.Contains(first.Checkpoint.RootHash.ToBase64(), fork.Message, StringComparison.Ordinal);
        Assert.Contains(other.Checkpoint.RootHash.ToBase64(), fork.Message, StringComparison.Ordinal);
        Assert.Equal(first.ToString(), state.Load(policy)!.ToString());
    }

    [Fact]
    public async Task AdvanceAsync_OlderConsistentCheckpoint_NeverRollsBack()
    {
        var log = new InMemoryLog();
        var policy = new CheckpointPolicy(log.Origin, [log.Verifier]);
        var state = new VerifierState(_directory);
        var newer = new Checkpoint(log.Origin, 9, TreeHasher.HashLeaf([9])).Sign(log.Signer);
        var older = new Checkpoint(log.Origin, 3, TreeHasher.HashLeaf([3])).Sign(log.Signer);
        await state.AdvanceAsync(policy, newer, NeverCalled, CancellationToken.None);
        (ulong, ulong)? proved = null;

        var kept = await state.AdvanceAsync(policy, older, (o, n, _) =>
        {
            proved = (o.Checkpoint.TreeSize, n.Checkpoint.TreeSize);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal((3UL, 9UL), proved);
        Assert.Equal(9UL, kept.Checkpoint.TreeSize);
        Assert.Equal(9UL, state.Load(policy)!.Checkpoint.TreeSize);
    }

    [Fact]
    public void Load_StoredFileSignedByAnotherKey_Throws()
    {
        var log = new InMemoryLog();
        var impostor = new InMemoryLog(log.Origin);
        var state = new VerifierState(_directory);
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(state.FileFor(log.Origin), new Checkpoint(log.Origin, 1, TreeHasher.HashLeaf([1])).Sign(impostor.Signer).ToBytes());

        var error = Assert.Throws<LogIntegrityException>(() => state.Load(new CheckpointPolicy(log.Origin, [log.Verifier])));

        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    private static Task NeverCalled(SignedCheckpoint older, SignedCheckpoint newer, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("no consistency proof is needed here");
}
