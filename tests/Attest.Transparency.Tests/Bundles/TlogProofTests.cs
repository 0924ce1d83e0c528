using System.Text;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tests.Notes;
using Attest.Transparency.Tests.Witness;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Bundles;

public sealed class TlogProofTests
{
    private static readonly TestLog Log = new(size: 73);
    private static readonly CosignatureSigner W1 = TestKeys.Witness("w1.example", 111);
    private static readonly CosignatureSigner W2 = TestKeys.Witness("w2.example", 222);
    private static readonly CheckpointPolicy Policy = new(Log.Origin, [Log.Signer.Verifier], [W1.Verifier, W2.Verifier], 2);

    private static SignedCheckpoint Cosigned(long size) =>
        SignedCheckpoint.FromNote(Log.CheckpointAt(size).Note.AddSignatures(W1, W2));

    private static TlogProof ProofFor(long index, long size, byte[]? extra = null) =>
        new((ulong)index, Log.Inclusion(index, size), Cosigned(size), extra);

    [Fact]
    public void ToString_FollowsTheSpecLayout()
    {
        var proof = ProofFor(5, 73, [1, 2, 3]);

        string text = proof.ToString();

        string expected = "c2sp.org/tlog-proof@v1\nextra AQID\nindex 5\n"
            + string.Concat(Log.Inclusion(5, 73).Select(h => h.ToBase64() + "\n")) + "\n" + Cosigned(73);
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Verify_EveryIndex_VerifiesAfterRoundTrip()
    {
        for (long i = 0; i < 73; i++)
        {
            var proof = TlogProof.Parse(ProofFor(i, 73).ToBytes());

            var verdict = proof.Verify(TestLog.Entry(i), Policy);

            Assert.True(verdict.IsValid, $"index {i}: {verdict}");
        }
    }

    [Fact]
    public void Verify_WrongEntry_FailsAsInclusionProof()
    {
        var verdict = ProofFor(5, 73).Verify(TestLog.Entry(6), Policy);

        Assert.Equal(TlogProofFailure.InclusionProof, verdict.Failure);
        Assert.Equal(ProofFailure.WrongRoot, verdict.ProofFailure);
        Assert.Contains("inclusion proof", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WrongIndexClaim_Fails()
    {
        var honest = ProofFor(4, 73);
        var claimed = new TlogProof(5, honest.InclusionProof, honest.Checkpoint);

        Assert.False(claimed.Verify(TestLog.Entry(4), Policy).IsValid);
        Assert.False(claimed.Verify(TestLog.Entry(5), Policy).IsValid);
    }

    [Fact]
    public void Verify_IndexAtTreeSize_FailsAsIndexOutOfRange()
    {
        var proof = new TlogProof(73, Log.Inclusion(72, 73), Cosigned(73));

        var verdict = proof.Verify(TestLog.Entry(72), Policy);

        Assert.Equal(TlogProofFailure.IndexOutOfRange, verdict.Failure);
        Assert.Contains("not below", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_TruncatedOrPaddedProof_Fails()
    {
        var honest = ProofFor(10, 73);
        var truncated = new TlogProof(10, honest.InclusionProof.Take(honest.InclusionProof.Count - 1), honest.Checkpoint);
        var padded = new TlogProof(10, [.. honest.InclusionProof, TreeHasher.EmptyRoot], honest.Checkpoint);

        Assert.Equal(ProofFailure.ProofTooShort, truncated.Verify(TestLog.Entry(10), Policy).ProofFailure);
        Assert.Equal(ProofFailure.ProofTooLong, padded.Verify(TestLog.Entry(10), Policy).ProofFailure);
    }

    [Fact]
    public void Verify_TooFewCosignatures_FailsAsCheckpoint()
    {
        var proof = new TlogProof(3, Log.Inclusion(3, 73), SignedCheckpoint.FromNote(Log.CheckpointAt(73).Note.AddSignatures(W1)));

        var verdict = proof.Verify(TestLog.Entry(3), Policy);

        Assert.Equal(TlogProofFailure.Checkpoint, verdict.Failure);
        Assert.Equal(CheckpointFailure.TooFewCosignatures, verdict.CheckpointVerdict.Failure);
    }

    [Fact]
    public void Verify_CheckpointOfAnotherLog_FailsAsCheckpoint()
    {
        var other = new TestLog("other.example/log", 73);
        var proof = new TlogProof(3, other.Inclusion(3, 73), SignedCheckpoint.FromNote(other.CheckpointAt(73).Note.AddSignatures(W1, W2)));

        var verdict = proof.Verify(TestLog.Entry(3), Policy);

        Assert.Equal(CheckpointFailure.OriginMismatch, verdict.CheckpointVerdict.Failure);
    }

    [Fact]
    public void Verify_AnyChangedByte_FailsOrParsesToTheSameProof()
    {
        byte[] original = ProofFor(9, 73, [7]).ToBytes();

        for (int i = 0; i < original.Length; i++)
        {
            byte[] changed = (byte[])original.Clone();
            changed[i] ^= 0x01;
            if (TlogProof.TryParse(changed, out var proof, out _) && proof.Verify(TestLog.Entry(9), Policy).IsValid)
            {
                // Only the unauthenticated extra data ("extra Bw==" at bytes 23..32) may change and still verify.
                Assert.InRange(i, 29, 32);
                Assert.Equal(9ul, proof.Index);
            }
        }
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "", "must start with the line 'c2sp.org/tlog-proof@v1'" },
        { "c2sp.org/tlog-proof@v2\nindex 0\n\n", "must start with the line" },
        { "c2sp.org/tlog-proof@v1\n", "index" },
        { "c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n", "'extra' line" },
        { "c2sp.org/tlog-proof@v1\nextra @@@@\nindex 0\n\n", "'extra' line" },
        { "c2sp.org/tlog-proof@v1\nindex 01\n\n", "no leading zeros" },
        { "c2sp.org/tlog-proof@v1\nindex -1\n\n", "index must be" },
        { "c2sp.org/tlog-proof@v1\nindx 1\n\n", "expected the line 'index" },
        { "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n", "line 1 is not canonical base64" },
        { "c2sp.org/tlog-proof@v1\nindex 1\n" + TreeHasher.EmptyRoot.ToBase64() + "\n", "no empty line" },
        { "c2sp.org/tlog-proof@v1\nindex 1\n\nnot a checkpoint\n", "proof checkpoint" },
        { "c2sp.org/tlog-proof@v1\nindex 1\n" + string.Concat(Enumerable.Repeat(TreeHasher.EmptyRoot.ToBase64() + "\n", 64)) + "\n", "more than 63" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_Malformed_FailsNamingTheProblem(string text, string expected)
    {
        Assert.False(TlogProof.TryParse(Encoding.UTF8.GetBytes(text), out var proof, out string? error));
        Assert.Null(proof);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TlogProof.Parse(Encoding.UTF8.GetBytes(text)));
    }

    [Property(MaxTest = 100)]
    public void Parse_ToBytes_RoundTrips(byte index, byte[] extra)
    {
        long i = index % 73;
        var proof = ProofFor(i, 73, (extra ?? []).Take(100).ToArray());

        var parsed = TlogProof.Parse(proof.ToBytes());

        Assert.Equal(proof.ToBytes(), parsed.ToBytes());
        Assert.Equal(proof.Extra.ToArray(), parsed.Extra.ToArray());
        Assert.True(parsed.Verify(TestLog.Entry(i), Policy).IsValid);
    }

    [Property(MaxTest = 200)]
    public void TryParse_Mutated_FailsCleanlyOrParses(int seed)
    {
        byte[] bytes = ProofFor(17, 73).ToBytes();

        foreach (byte[] mutated in Mutations.Of(bytes, seed, 10))
        {
            bool ok = TlogProof.TryParse(mutated, out var proof, out string? error);
            Assert.True(ok ? proof is not null : !string.IsNullOrEmpty(error));
            if (ok && !mutated.AsSpan().SequenceEqual(bytes))
            {
                Assert.False(proof!.Verify(TestLog.Entry(17), Policy).IsValid && proof.Index == 17
                    && !proof.ToBytes().AsSpan().SequenceEqual(bytes), "a changed proof verified");
            }
        }
    }
}
