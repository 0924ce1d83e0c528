using Attest.Nix;
using Attest.Provenance.Signing;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;

namespace Attest.Verifier.Tests.Quorum;

public sealed class QuorumEvaluatorTests
{
    private static readonly StorePath Path = StorePath.Parse("/nix/store/0c0zmfjhy1nvbrqwfwjmzz8xfc3f2l3j-hello-2.12");
    private static readonly NixHash Good = NixHash.ComputeSha256("good"u8);
    private static readonly NixHash Bad = NixHash.ComputeSha256("bad"u8);

    private static BuilderPolicy Builder(string name, string op, bool requireTpm = false)
    {
        using var key = IdentityKey.Generate(name);
        return new BuilderPolicy(name, key.PublicKey, op, requireTpm, null);
    }

    private static readonly BuilderPolicy A = Builder("a", "alpha");
    private static readonly BuilderPolicy A2 = Builder("a2", "alpha");
    private static readonly BuilderPolicy B = Builder("b", "beta");
    private static readonly BuilderPolicy T = Builder("t", "gamma", requireTpm: true);

    private static QuorumEvaluator Evaluator(QuorumRule rule) =>
        new(new TrustPolicy([], [A, A2, B, T], rule));

    private static CheckedAttestation Att(BuilderPolicy b, NixHash hash, ulong index, bool tpm = false, params string[] failures) =>
        new("log", index, b.Key.KeyId, hash, tpm, failures);

    [Fact]
    public void Evaluate_TwoOperatorsAgree_Trusted()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(2, 2, 0, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Good, 2)]);

        Assert.True(verdict.Trusted);
        Assert.Empty(verdict.Reasons);
        Assert.Equal(["a", "b"], verdict.Agreeing.Select(v => v.Builder.Name));
    }

    [Fact]
    public void Evaluate_SameOperatorTwice_NotEnoughOperators()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(2, 2, 0, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(A2, Good, 2)]);

        Assert.False(verdict.Trusted);
        Assert.Contains(verdict.Reasons, r => r.Contains("1 operator(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_SameBuilderTwice_CountsOnce()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(2, 1, 0, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(A, Good, 2)]);

        Assert.False(verdict.Trusted);
        BuilderVote vote = Assert.Single(verdict.Agreeing);
        Assert.Equal(["log#1", "log#2"], vote.Entries);
    }

    [Fact]
    public void Evaluate_Dissent_NamesBuilderAndHash()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Bad, 2)]);

        Assert.False(verdict.Trusted);
        BuilderVote dissent = Assert.Single(verdict.Dissenting);
        Assert.Equal(Bad, dissent.NarHash);
        Assert.Contains(verdict.Reasons, r => r.Contains("b: " + Bad, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_DissentWithinAllowance_Trusted()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 1, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Bad, 2)]);

        Assert.True(verdict.Trusted);
    }

    [Fact]
    public void Evaluate_FailedEvidence_RejectedWithReasonsAndNotCounted()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(2, 2, 0, 0))
            .Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Good, 2, false, "inclusion proof does not verify")]);

        Assert.False(verdict.Trusted);
        RejectedAttestation rejected = Assert.Single(verdict.Rejected);
        Assert.Equal("b", rejected.BuilderName);
        Assert.Equal(["inclusion proof does not verify"], rejected.Reasons);
    }

    [Fact]
    public void Evaluate_FailedEvidenceWithOtherHash_IsNotDissent()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 0, 0))
            .Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Bad, 2, false, "bad signature")]);

        Assert.True(verdict.Trusted);
        Assert.Empty(verdict.Dissenting);
    }

    [Fact]
    public void Evaluate_UnknownKey_Rejected()
    {
        using var stranger = IdentityKey.Generate("stranger");
        var attestation = new CheckedAttestation("log", 9, stranger.KeyId, Good, false, []);

        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, [attestation]);

        Assert.False(verdict.Trusted);
        Assert.Contains("does not name", Assert.Single(Assert.Single(verdict.Rejected).Reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BuilderRequiringTpmWithout_Rejected()
    {
        QuorumVerdict withoutTpm = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, [Att(T, Good, 1)]);
        QuorumVerdict withTpm = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, [Att(T, Good, 1, tpm: true)]);

        Assert.False(withoutTpm.Trusted);
        Assert.Contains("TPM", Assert.Single(Assert.Single(withoutTpm.Rejected).Reasons), StringComparison.Ordinal);
        Assert.True(withTpm.Trusted);
    }

    [Fact]
    public void Evaluate_MinTpmAttested_CountsOnlyAgreeingTpmBuilders()
    {
        var rule = new QuorumRule(2, 2, 0, 1);

        Assert.False(Evaluator(rule).Evaluate(Path, Good, [Att(A, Good, 1), Att(B, Good, 2)]).Trusted);
        Assert.True(Evaluator(rule).Evaluate(Path, Good, [Att(A, Good, 1, tpm: true), Att(B, Good, 2)]).Trusted);
    }

    [Fact]
    public void Evaluate_BuilderAttestingBothHashes_AgreesAndDissents()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, [Att(A, Good, 1), Att(A, Bad, 2)]);

        Assert.False(verdict.Trusted);
        Assert.Single(verdict.Agreeing);
        Assert.Single(verdict.Dissenting);
    }

    [Fact]
    public void Evaluate_NoAttestations_NotTrustedSayingSo()
    {
        QuorumVerdict verdict = Evaluator(new QuorumRule(1, 1, 0, 0)).Evaluate(Path, Good, []);

        Assert.False(verdict.Trusted);
        Assert.Contains(verdict.Reasons, r => r.StartsWith("0 builder(s)", StringComparison.Ordinal));
    }
}
