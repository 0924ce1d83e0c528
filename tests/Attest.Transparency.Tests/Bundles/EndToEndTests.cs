using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;
using Attest.Transparency.Tests.Notes;
using Attest.Transparency.Tests.Witness;
using Attest.Transparency.Witness;

namespace Attest.Transparency.Tests.Bundles;

/// <summary>The path a log server and a verifier take: sign, collect cosignatures from witnesses, bundle, verify.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public async Task LogWitnessesAndVerifier_TwoOfThreeWitnesses_ProofVerifiesOffline()
    {
        var log = new TestLog("example.com/e2e", 5);
        var keys = new[] { TestKeys.Witness("w1.example", 10), TestKeys.Witness("w2.example", 20), TestKeys.Witness("w3.example", 30) };
        var witnesses = keys.Select(k => new CheckpointWitness([new WitnessLog(log.Origin, log.Signer.Verifier)], new InMemoryWitnessStateStore(), k)).ToArray();
        var policy = new CheckpointPolicy(log.Origin, [NoteVerifier.Import(log.Signer.Verifier.Encode())], keys.Select(k => k.Verifier), 2);

        // Two checkpoints in a row, as a log would publish them; the third witness is offline.
        SignedCheckpoint? served = null;
        long previous = 0;
        foreach (long size in new long[] { 5, 42 })
        {
            log.Grow(size);
            served = log.CheckpointAt(size);
            foreach (var witness in witnesses.Take(2))
            {
                var request = new AddCheckpointRequest((ulong)previous, log.Consistency(previous, size), served);
                var response = await witness.AddCheckpointAsync(request.ToBytes(), CancellationToken.None);
                Assert.Equal(200, response.StatusCode);
                served = served.WithSignatures(NoteSignature.ParseLines(response.Body.Span));
            }

            previous = size;
        }

        byte[] published = new TlogProof(17, log.Inclusion(17, 42), SignedCheckpoint.Parse(served!.ToBytes())).ToBytes();

        var verdict = TlogProof.Parse(published).Verify(TestLog.Entry(17), policy);
        Assert.True(verdict.IsValid, verdict.Message);
        Assert.Equal(2, verdict.CheckpointVerdict.Cosignatures.Count);
        Assert.False(TlogProof.Parse(published).Verify(TestLog.Entry(18), policy).IsValid);
        var stricter = new CheckpointPolicy(log.Origin, [log.Signer.Verifier], keys.Select(k => k.Verifier), 3);
        Assert.Equal(TlogProofFailure.Checkpoint, TlogProof.Parse(published).Verify(TestLog.Entry(17), stricter).Failure);
    }
}
