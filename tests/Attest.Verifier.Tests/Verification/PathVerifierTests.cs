using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Tests.Verification;

public sealed class PathVerifierTests
{
    [Fact]
    public void Evaluate_TwoOperatorsAgree_Trusted()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        using var bob = IdentityKey.Generate("bob-builder");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("hello-2.12");
        var hash = TestAttestations.Hash("hello nar");
        log.Append(TestAttestations.Document(alice, path, hash));
        log.Append(TestAttestations.Document(bob, path, hash));
        var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice"), (bob, "bob")], 2, 2), []);

        var result = verifier.Evaluate(new PathQuery(path, hash), log.All());

        Assert.True(result.Verdict.Trusted, string.Join("; ", result.Verdict.Reasons));
        Assert.Equal(["alice-builder", "bob-builder"], result.Verdict.Agreeing.Select(v => v.Builder.Name));
        Assert.Empty(result.Verdict.Rejected);
    }

    [Fact]
    public void Evaluate_SignatureByAnotherKeyUnderBuilderKeyId_RejectedWithReason()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        using var bob = IdentityKey.Generate("bob-builder");
        using var mallory = IdentityKey.Generate("mallory");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("forged-1.0");
        var hash = TestAttestations.Hash("forged nar");
        var statement = TestAttestations.Statement(path, hash, "alice-builder").ToStatementJson();
        var forged = DsseEnvelope.Sign(AttestationPayloadType, statement, mallory);
        var envelope = new DsseEnvelope(AttestationPayloadType, statement, [new DsseSignature(alice.KeyId, forged.Signatures[0].Signature)]);
        log.Append(AttestationDocument.Serialize(envelope));
        log.Append(TestAttestations.Document(bob, path, hash));
        var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice"), (bob, "bob")], 2, 2), []);

        var result = verifier.Evaluate(new PathQuery(path, hash), log.All());

        Assert.False(result.Verdict.Trusted);
        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Equal("alice-builder", rejected.BuilderName);
        Assert.Contains(rejected.Reasons, r => r.Contains("DSSE signature does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_CheckpointSignedByAnotherLogKey_RejectedAsNotProved()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        var log = new InMemoryLog();
        var impostor = new InMemoryLog(log.Origin);
        var path = TestAttestations.Path("impostor-1.0");
        var hash = TestAttestations.Hash("impostor nar");
        impostor.Append(TestAttestations.Document(alice, path, hash));
        var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice")], 1, 1), []);

        var result = verifier.Evaluate(new PathQuery(path, hash), impostor.All());

        Assert.False(result.Verdict.Trusted);
        Assert.Contains(Assert.Single(result.Verdict.Rejected).Reasons, r => r.Contains("not proved in log", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ProofClaimsAnotherIndex_Rejected()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("index-1.0");
        var hash = TestAttestations.Hash("index nar");
        log.Append(TestAttestations.Document(alice, path, hash));
        log.Append(TestAttestations.Document(alice, TestAttestations.Path("other-1.0"), hash));
        var checkpoint = log.Checkpoint();
        var good = log.Evidence(0, checkpoint);
        // The proof of leaf 0 presented as the proof of leaf 1 (RFC 9162 §2.1.3.2: the index is part of what is proved).
        var moved = good with { Index = 1, Proof = new TlogProof(1, good.Proof.InclusionProof, checkpoint) };
        var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice")], 1, 1), []);

        var result = verifier.Evaluate(new PathQuery(path, hash), [moved]);

        Assert.False(result.Verdict.Trusted);
        Assert.Contains(Assert.Single(result.Verdict.Rejected).Reasons, r => r.Contains("not proved", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_EntryWithoutTheSubject_IgnoredWithReason()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("asked-1.0");
        log.Append(TestAttestations.Document(alice, TestAttestations.Path("unrelated-1.0"), TestAttestations.Hash("x")));
        var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice")], 1, 1), []);

        var result = verifier.Evaluate(new PathQuery(path, TestAttestations.Hash("y")), log.All());

        Assert.False(result.Verdict.Trusted);
        Assert.Contains("does not name", Assert.Single(result.Ignored), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WitnessThresholdNotMet_Rejected()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("witnessed-1.0");
        var hash = TestAttestations.Hash("witnessed nar");
        log.Append(TestAttestations.Document(alice, path, hash));
        var witness = Attest.Transparency.Cosignatures.CosignatureSigner.Generate("witness.example");
        var json = TestAttestations.PolicyJson(log.Origin, log.Verifier.Encode(), new Uri("http://127.0.0.1:1/"), [(alice, "alice")], 1, 1)
            .Replace("\"url\":", $"\"witnesses\":{{\"keys\":[\"{witness.Verifier.Encode()}\"],\"threshold\":1}},\"url\":", StringComparison.Ordinal);
        var verifier = new PathVerifier(Attest.Verifier.Policy.TrustPolicyReader.Parse(System.Text.Encoding.UTF8.GetBytes(json)), []);

        var unwitnessed = verifier.Evaluate(new PathQuery(path, hash), log.All());
        var cosigned = SignedCheckpoint.FromNote(log.Checkpoint().Note.AddSignatures(witness));
        var witnessed = verifier.Evaluate(new PathQuery(path, hash), [log.Evidence(0, cosigned)]);

        Assert.False(unwitnessed.Verdict.Trusted);
        Assert.Contains(Assert.Single(unwitnessed.Verdict.Rejected).Reasons, r => r.Contains("not proved", StringComparison.Ordinal));
        Assert.True(witnessed.Verdict.Trusted, string.Join("; ", witnessed.Verdict.Reasons.Concat(witnessed.Verdict.Rejected.SelectMany(r => r.Reasons))));
    }

    private const string AttestationPayloadType = Provenance.Statements.NixProvenance.PayloadType;
}
