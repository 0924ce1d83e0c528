using Attest.Verifier.Bundles;
using Attest.Verifier.Tests.Verification;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Tests.Tpm;

/// <summary>
/// TPM evidence in path verification with software-made quotes: the AK must be bound to the signing builder by an
/// admin-signed ak-binding entry of the same log before the attestation, the quote must be over this statement, match
/// the builder's golden values, and not go back in time against the AK's other quotes in the verification.
/// </summary>
public sealed class TpmPathVerificationTests
{
    private static readonly string Pcr0 = SoftwareAk.PcrHex(0);
    private static readonly string Pcr7 = SoftwareAk.PcrHex(7);

    [Fact]
    public async Task VerifyAsync_QuoteByBoundAk_TrustedWithTpmVerified()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("bound");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(minTpmAttested: 1, goldenValues: TpmScenario.GoldenValues(Pcr0, Pcr7)), path, hash);

        Assert.True(result.Verdict.Trusted, Describe(result));
        var vote = Assert.Single(result.Verdict.Agreeing);
        Assert.True(vote.TpmVerified);
        Assert.Equal(3, result.Registry.Count);
    }

    [Fact]
    public async Task VerifyAsync_BuilderWithoutRequireTpmAndGoodQuote_CountsAsTpmAttested()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("optional");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        s.Attest(s.PlainBuilder, path, hash, null);

        var result = await VerifyAsync(s, s.Policy(requireTpm: false, minAgreeing: 2, minTpmAttested: 1), path, hash);

        Assert.True(result.Verdict.Trusted, Describe(result));
        Assert.Equal([("plain-builder", false), ("tpm-builder", true)], result.Verdict.Agreeing.Select(v => (v.Builder.Name, v.TpmVerified)));
        Assert.Empty(result.Verdict.TpmNotes);
    }

    [Fact]
    public async Task VerifyAsync_PolicyRequiresAPcrTheQuoteOmits_RejectedNamingThePcr()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("pcr9");
        // The software AK quotes sha256 PCRs 0-7.
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(tpmRequiredPcrs: """{"sha256":[0,1,2,3,4,5,6,7,9]}"""), path, hash);

        Assert.False(result.Verdict.Trusted);
        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("quote: RequiredPcrNotQuoted: PCR 9 of bank sha256 is required but not quoted", StringComparison.Ordinal));
        Assert.DoesNotContain(rejected.Reasons, r => r.Contains("PCR 7 of bank sha256 is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_PolicyRequiresASubsetOfTheQuotedPcrs_TrustedWithTpmVerified()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("subset");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(
            s, s.Policy(minTpmAttested: 1, goldenValues: TpmScenario.GoldenValues(Pcr0, Pcr7), tpmRequiredPcrs: """{"sha256":[0,2,4,7]}"""), path, hash);

        Assert.True(result.Verdict.Trusted, Describe(result));
        Assert.True(Assert.Single(result.Verdict.Agreeing).TpmVerified);
    }

    [Fact]
    public async Task VerifyAsync_BuilderOverrideRequiresTheQuotedPcrs_TrustedDespiteAStricterDefault()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("override");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        var stricter = """{"sha256":[0,1,2,3,4,5,6,7,9,10,11,12,13,14]}""";

        var overridden = await VerifyAsync(s, s.Policy(tpmRequiredPcrs: stricter, builderRequiredPcrs: """{"sha256":[0,1,2,3,4,5,6,7]}"""), path, hash);
        var inherited = await VerifyAsync(s, s.Policy(tpmRequiredPcrs: stricter), path, hash);

        Assert.True(overridden.Verdict.Trusted, Describe(overridden));
        var rejected = Assert.Single(inherited.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("quote: RequiredPcrNotQuoted: PCR 14 of bank sha256 is required but not quoted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_PolicyRequiresTheSha1BankAndTheQuoteHasOnlySha256_BuilderWithoutRequireTpmCountsWithANote()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("sha1");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(requireTpm: false, builderRequiredPcrs: """{"sha1":[0,7]}"""), path, hash);

        Assert.True(result.Verdict.Trusted, Describe(result));
        Assert.False(Assert.Single(result.Verdict.Agreeing).TpmVerified);
        Assert.Contains(result.Verdict.TpmNotes, n => n.Contains("quote: RequiredPcrNotQuoted: PCR 0 of bank sha1 is required but not quoted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_EvidenceFromAnotherBuildersAk_RejectedAsNotBound()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("stolen");
        ulong genuine = s.Attest(s.TpmBuilder, TestAttestations.Path("other"), hash, s.Ak);
        // The plain builder presents the TPM builder's quote as its own.
        s.Attest(s.PlainBuilder, path, hash, null, evidence: s.EvidenceOf(genuine));

        var result = await VerifyAsync(s, s.Policy(requireTpm: false, minTpmAttested: 1), path, hash);

        Assert.False(result.Verdict.Trusted);
        var vote = Assert.Single(result.Verdict.Agreeing);
        Assert.Equal("plain-builder", vote.Builder.Name);
        Assert.False(vote.TpmVerified);
        Assert.Contains(result.Verdict.TpmNotes, n => n.Contains($"its TPM attestation key {s.Ak.NameHex} is not bound to this builder", StringComparison.Ordinal));
        Assert.Contains(result.Verdict.Reasons, r => r.Contains("0 agreeing builder(s) carried verified TPM evidence", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_UnboundAk_RequireTpmBuilderRejected()
    {
        using var s = new TpmScenario().Enrolled();
        using var rogue = new SoftwareAk();
        var (path, hash) = Subject("rogue");
        s.Attest(s.TpmBuilder, path, hash, rogue);

        var result = await VerifyAsync(s, s.Policy(), path, hash);

        Assert.False(result.Verdict.Trusted);
        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains($"its TPM attestation key {rogue.NameHex} is not bound to this builder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_QuoteOverAnotherStatement_RejectedWithExtraDataMismatch()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("nonce");
        s.Attest(s.TpmBuilder, path, hash, s.Ak, quoteOver: new byte[32]);

        var result = await VerifyAsync(s, s.Policy(), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("does not verify with the attestation key bound at", StringComparison.Ordinal)
            && r.Contains("ExtraDataMismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_GoldenValueMismatch_RejectedNamingThePcr()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("golden");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        string wrong = new('0', 64);

        var result = await VerifyAsync(s, s.Policy(goldenValues: TpmScenario.GoldenValues(Pcr0, wrong)), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("golden values tpm-machine", StringComparison.Ordinal)
            && r.Contains($"PCR 7 of bank sha256 is {Pcr7}, expected {wrong}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_AkBoundOnlyAfterTheAttestation_Rejected()
    {
        using var s = new TpmScenario();
        s.Register(s.TpmBuilder);
        var (path, hash) = Subject("early");
        ulong attested = s.Attest(s.TpmBuilder, path, hash, s.Ak);
        ulong bound = s.Bind(s.TpmBuilder, s.Ak);

        var result = await VerifyAsync(s, s.Policy(), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains($"bound to the builder only at {s.Log.Origin}#{bound}, after this attestation (#{attested})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_BuilderRevokedAfterBinding_RejectedUntilEnrolledAgain()
    {
        using var s = new TpmScenario().Enrolled();
        ulong revoked = s.Revoke(s.TpmBuilder);
        s.Register(s.TpmBuilder);
        var (path, hash) = Subject("revoked");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        var (again, againHash) = Subject("re-enrolled");
        s.Bind(s.TpmBuilder, s.Ak);
        s.Attest(s.TpmBuilder, again, againHash, s.Ak);
        var policy = s.Policy();

        var afterRevocation = await VerifyAsync(s, policy, path, hash);
        var afterEnrollment = await VerifyAsync(s, policy, again, againHash);

        var rejected = Assert.Single(afterRevocation.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains($"the builder key was revoked at {s.Log.Origin}#{revoked}", StringComparison.Ordinal));
        Assert.True(afterEnrollment.Verdict.Trusted, Describe(afterEnrollment));
    }

    [Fact]
    public async Task VerifyAsync_PolicyPinsNoAdminKey_RejectedSayingSo()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("no-admin");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(pinAdminKey: false), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains($"the policy pins no adminKey for log {s.Log.Origin}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_PolicyPinsAnotherAdminKey_RegistryEntriesRefused()
    {
        using var s = new TpmScenario().Enrolled();
        var impostor = s.Key("log-admin");
        var (path, hash) = Subject("other-admin");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(adminKey: impostor), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("is not signed by the admin key the policy pins", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_BindingSignedByAnotherKey_NotABinding()
    {
        using var s = new TpmScenario();
        s.Register(s.TpmBuilder);
        s.Bind(s.TpmBuilder, s.Ak, signedBy: s.Key("log-admin"));
        var (path, hash) = Subject("forged-binding");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);

        var result = await VerifyAsync(s, s.Policy(), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("is not signed by the admin key the policy pins", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyManyAsync_QuoteClockGoesBackAcrossPaths_LaterEntryLosesTpm()
    {
        using var s = new TpmScenario().Enrolled();
        var (first, firstHash) = Subject("clock-1");
        var (second, secondHash) = Subject("clock-2");
        s.Attest(s.TpmBuilder, first, firstHash, s.Ak, clock: 5000);
        ulong replayed = s.Attest(s.TpmBuilder, second, secondHash, s.Ak, clock: 4000);
        using var verifier = new PathVerifier(s.Policy(), [s.Bundle()]);

        var outcomes = await verifier.VerifyManyAsync([new PathQuery(second, secondHash), new PathQuery(first, firstHash)], 2, CancellationToken.None);

        Assert.True(outcomes[1].Verification!.Verdict.Trusted, Describe(outcomes[1].Verification!));
        var rejected = Assert.Single(outcomes[0].Verification!.Verdict.Rejected);
        Assert.Equal(replayed, rejected.Attestation.Index);
        Assert.Contains(rejected.Reasons, r => r.Contains("does not follow the quote of the same attestation key", StringComparison.Ordinal)
            && r.Contains("Replay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_SamePathTwiceInOneEntry_OneQuoteNotAReplay()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("twice");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        using var verifier = new PathVerifier(s.Policy(), [s.Bundle()]);

        var outcomes = await verifier.VerifyManyAsync([new PathQuery(path, hash), new PathQuery(path, hash)], 2, CancellationToken.None);

        Assert.All(outcomes, o => Assert.True(o.Verification!.Verdict.Trusted, Describe(o.Verification!)));
    }

    [Fact]
    public async Task VerifyAsync_BuilderWithoutRequireTpmAndBadQuote_CountsWithANote()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("note");
        s.Attest(s.TpmBuilder, path, hash, s.Ak, quoteOver: new byte[32]);

        var result = await VerifyAsync(s, s.Policy(requireTpm: false), path, hash);

        Assert.True(result.Verdict.Trusted, Describe(result));
        Assert.False(Assert.Single(result.Verdict.Agreeing).TpmVerified);
        Assert.Contains(result.Verdict.TpmNotes, n => n.Contains("ExtraDataMismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_RequireTpmAndNoEvidence_RejectedAsHavingNone()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("none");
        s.Attest(s.TpmBuilder, path, hash, null);

        var result = await VerifyAsync(s, s.Policy(), path, hash);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("must carry verified TPM evidence and this attestation has none", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OfflineBundle_WithRegistryRoundTrip_SameVerdictAndWithoutRegistryNotBound()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("bundle");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        var policy = s.Policy(minTpmAttested: 1);
        var reparsed = OfflineBundle.Parse(s.Bundle().ToJson());

        using var withRegistry = new PathVerifier(policy, [reparsed]);
        using var withoutRegistry = new PathVerifier(policy, [s.Bundle(withRegistry: false)]);
        var trusted = await withRegistry.VerifyAsync(new PathQuery(path, hash), CancellationToken.None);
        var refused = await withoutRegistry.VerifyAsync(new PathQuery(path, hash), CancellationToken.None);

        Assert.Equal(3, reparsed.Registry.Count);
        Assert.True(trusted.Verdict.Trusted, Describe(trusted));
        var rejected = Assert.Single(refused.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains("no admin-signed ak-binding entry before", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_RegistryEntryWithBrokenProof_JudgesNothingOnAPartialHistory()
    {
        using var s = new TpmScenario().Enrolled();
        var (path, hash) = Subject("broken-registry");
        s.Attest(s.TpmBuilder, path, hash, s.Ak);
        var bundle = s.Bundle();
        var registry = bundle.Registry.Select((r, i) => i == 1 ? r with { Entry = bundle.Registry[0].Entry } : r).ToList();
        using var verifier = new PathVerifier(s.Policy(), []);

        var result = verifier.Evaluate(new PathQuery(path, hash), bundle.Entries, registry);

        var rejected = Assert.Single(result.Verdict.Rejected);
        Assert.Contains(rejected.Reasons, r => r.Contains($"registry entry {s.Log.Origin}#1 does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_EntryLabelledWithAnotherPolicyLog_NotProvedEvenAfterItsCheckpointVerified()
    {
        using var s = new TpmScenario().Enrolled();
        var other = new InMemoryLog("other.example/log");
        var (path, hash) = Subject("origin");
        s.Attest(s.PlainBuilder, path, hash, null);
        var genuine = s.Bundle().Entries.Single();
        string Log(InMemoryLog log) => "{\"origin\":\"" + log.Origin + "\",\"key\":\"" + log.Verifier.Encode() + "\",\"url\":\"http://127.0.0.1:1/\"}";
        var policy = Attest.Verifier.Policy.TrustPolicyReader.Parse(System.Text.Encoding.UTF8.GetBytes(
            "{\"version\":1,\"logs\":[" + Log(s.Log) + "," + Log(other) + "],\"builders\":[{\"name\":\"plain-builder\",\"key\":\""
            + s.PlainBuilder.PublicKey + "\",\"operator\":\"bob\"}],\"quorum\":{\"minAgreeing\":1}}"));
        using var verifier = new PathVerifier(policy, []);

        var accepted = verifier.Evaluate(new PathQuery(path, hash), [genuine]);
        var refused = verifier.Evaluate(new PathQuery(path, hash), [genuine with { Origin = other.Origin }]);

        Assert.True(accepted.Verdict.Trusted, Describe(accepted));
        Assert.Contains(Assert.Single(refused.Verdict.Rejected).Reasons,
            r => r.Contains($"not proved in log other.example/log: its proof's checkpoint is of log {s.Log.Origin}", StringComparison.Ordinal));
    }

    private static async Task<PathVerification> VerifyAsync(TpmScenario s, Attest.Verifier.Policy.TrustPolicy policy, Nix.StorePath path, Nix.NixHash hash)
    {
        using var verifier = new PathVerifier(policy, [s.Bundle()]);
        return await verifier.VerifyAsync(new PathQuery(path, hash), CancellationToken.None);
    }

    private static (Nix.StorePath Path, Nix.NixHash Hash) Subject(string name) =>
        (TestAttestations.Path(name + "-1.0"), TestAttestations.Hash(name + " nar"));

    private static string Describe(PathVerification result) =>
        string.Join("; ", result.Verdict.Reasons.Concat(result.Verdict.Rejected.SelectMany(r => r.Reasons)).Concat(result.Verdict.TpmNotes));
}
