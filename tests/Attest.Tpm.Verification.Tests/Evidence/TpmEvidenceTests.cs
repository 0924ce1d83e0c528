using System.Security.Cryptography;
using System.Text;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Evidence;

public sealed class TpmEvidenceTests
{
    private static TpmEvidence Tpm2ToolsEvidence(bool withPublic = true) => new(
        TpmVectors.Bytes("tpm2-tools/quote_ecc.msg"), TpmVectors.Bytes("tpm2-tools/quote_ecc.sig"),
        PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin")),
        TpmVectors.Bytes("tpm2-tools/ak_ecc.name"), withPublic ? TpmVectors.Bytes("tpm2-tools/ak_ecc.pub") : default);

    private static AttestationKey Tpm2ToolsAk() =>
        AttestationKey.Create(TpmPublic.ParseSized(TpmVectors.Bytes("tpm2-tools/ak_ecc.pub")), TpmVectors.Bytes("ek/ek_rsa.name"));

    [Fact]
    public void ToJson_ThenParse_RoundTrips()
    {
        EventLogWriter log = EventLogWriter.TypicalBoot();
        var evidence = new TpmEvidence([1, 2], [3], log.Quoted(), [0, 0x0B, 1], TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"), log.ToArray());

        TpmEvidence parsed = TpmEvidence.Parse(evidence.ToJson());

        Assert.Equal(evidence.ToJson(), parsed.ToJson());
        Assert.Equal(log.ToArray(), parsed.EventLog!.Value.ToArray());
        Assert.Equal(SHA256.HashData(log.ToArray()), parsed.EventLogSha256!.Value.ToArray());
        Assert.Equal(8, parsed.Pcrs.Count);
    }

    [Fact]
    public void Parse_DocumentedExample_Parses()
    {
        string json = $$"""
            {
              "version": 1,
              "attest": "{{Convert.ToBase64String(TpmVectors.Bytes("tpm2-tools/quote_ecc.msg"))}}",
              "signature": "{{Convert.ToBase64String(TpmVectors.Bytes("tpm2-tools/quote_ecc.sig"))}}",
              "pcrs": { "sha256": { "0": "{{new string('0', 64)}}", "7": "{{new string('1', 64)}}" } },
              "akName": "000b1152410d65e14f314a4d3249d6517f35a76b783b2ffbfb207a59f8a41bab7ee5",
              "eventLogSha256": "{{new string('2', 64)}}"
            }
            """;

        TpmEvidence evidence = TpmEvidence.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Null(evidence.EventLog);
        Assert.Null(evidence.AkPublic);
        Assert.Equal(2, evidence.Pcrs.Count);
    }

    [Theory]
    [InlineData("""{"version":1,"attest":"AQ==","signature":"AQ==","pcrs":{"sha256":{"0":"00"}},"akName":"000b01"}""", "sha256 digest")]
    [InlineData("""{"version":1,"attest":"AQ==","signature":"AQ==","pcrs":{},"akName":"000b01"}""", "pcrs")]
    [InlineData("""{"version":1,"attest":"AQ==","signature":"AQ==","pcrs":{"sha256":{}},"akName":"000b01","x":1}""", "$.x")]
    [InlineData("""{"version":1,"attest":"A Q==","signature":"AQ==","pcrs":{"sha256":{}},"akName":"000b01"}""", "base64")]
    [InlineData("""{"version":1,"signature":"AQ==","pcrs":{"sha256":{}},"akName":"000b01"}""", "$.attest: is required")]
    [InlineData("""{"version":3,"attest":"AQ==","signature":"AQ==","pcrs":{"sha256":{}},"akName":"000b01"}""", "$.version")]
    [InlineData("""[1,2,3]""", "not an object")]
    [InlineData("""{"version":1,"attest":"AQ==","signature":"AQ==","pcrs":{"sha256":{"00":"0000000000000000000000000000000000000000000000000000000000000000"}},"akName":"000b01"}""", "PCR index")]
    public void Parse_Invalid_ThrowsNamingField(string json, string expected)
    {
        Assert.False(TpmEvidence.TryParse(Encoding.UTF8.GetBytes(json), out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LogDigestDisagreesWithLog_Throws()
    {
        string zeros = new('0', 64);
        string json = "{\"version\":1,\"attest\":\"AQ==\",\"signature\":\"AQ==\",\"pcrs\":{\"sha256\":{\"0\":\"" + zeros
            + "\"}},\"akName\":\"000b01\",\"eventLog\":\"AQID\",\"eventLogSha256\":\"" + zeros + "\"}";

        Assert.Throws<FormatException>(() => TpmEvidence.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Verify_Tpm2ToolsEvidence_Valid()
    {
        using AttestationKey ak = Tpm2ToolsAk();

        TpmEvidenceVerdict verdict = TpmEvidenceVerifier.Verify(TpmEvidence.Parse(Tpm2ToolsEvidence().ToJson()), ak, TpmVectors.Nonce);

        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Null(verdict.EventLog);
    }

    [Fact]
    public void Verify_EvidenceNamesOtherAk_EvidenceFailure()
    {
        using AttestationKey ak = Tpm2ToolsAk();
        TpmEvidence e = Tpm2ToolsEvidence();
        var renamed = new TpmEvidence(e.Attest.Span, e.Signature.Span, e.Pcrs, TpmVectors.Bytes("tpm2-tools/ak_rsa.name"), TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"));

        TpmEvidenceVerdict verdict = TpmEvidenceVerifier.Verify(renamed, ak, TpmVectors.Nonce);

        Assert.Equal(2, verdict.EvidenceFailures.Count);
        Assert.True(verdict.Quote.IsValid);
        Assert.False(verdict.IsValid);
    }

    [Fact]
    public void Verify_WithLogAndPolicy_ValidAndMatches()
    {
        EventLogWriter log = EventLogWriter.TypicalBoot(locality: 3);
        using var q = new SoftwareTpm.Quote(pcrs: log.Quoted());
        var evidence = new TpmEvidence(q.Attest, q.Signature, q.Pcrs, q.Ak.Name.Span, q.Public.ToSized(), log.ToArray());
        var policy = new GoldenValuesPolicy([new BuildMachineConfiguration("builder", null,
            [new PcrValue(TpmAlgorithm.Sha256, 7, log.Pcr(TpmAlgorithm.Sha256, 7))],
            [new RequiredEvent(4, TpmAlgorithm.Sha256, TcgEventType.EfiBootServicesApplication, SHA256.HashData("systemd-boot PE image"u8))])]);

        TpmEvidenceVerdict verdict = TpmEvidenceVerifier.Verify(TpmEvidence.Parse(evidence.ToJson()), q.Ak, q.Nonce, null, policy);

        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Equal(["builder"], verdict.GoldenValues!.MatchedConfigurations);
        Assert.Equal(8, verdict.EventLog!.VerifiedPcrs.Count);
    }

    [Fact]
    public void Verify_TamperedEventLog_EventLogAndGoldenValuesFail()
    {
        EventLogWriter log = EventLogWriter.TypicalBoot();
        using var q = new SoftwareTpm.Quote(pcrs: log.Quoted());
        byte[] bytes = log.ToArray();
        TcgEvent app = TcgEventLog.Parse(bytes).Events.Single(e => e.EventType == TcgEventType.EfiBootServicesApplication);
        bytes[app.Offset + 14] ^= 0xFF;
        var evidence = new TpmEvidence(q.Attest, q.Signature, q.Pcrs, q.Ak.Name.Span, default, bytes);
        var policy = new GoldenValuesPolicy([new BuildMachineConfiguration("builder", null, [],
            [new RequiredEvent(4, TpmAlgorithm.Sha256, null, SHA256.HashData("systemd-boot PE image"u8))])]);

        TpmEvidenceVerdict verdict = TpmEvidenceVerifier.Verify(evidence, q.Ak, q.Nonce, null, policy);

        Assert.False(verdict.IsValid);
        Assert.True(verdict.Quote.IsValid);
        Assert.Equal(EventLogFailureCode.PcrMismatch, Assert.Single(verdict.EventLog!.Failures).Code);
        Assert.Equal(GoldenValueFailureCode.EventLogUnavailable, Assert.Single(verdict.GoldenValues!.Results[0].Failures).Code);
        Assert.Contains(verdict.AllFailures, f => f.StartsWith("event log: PcrMismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAndTrack_ClockGoesBack_Rejected()
    {
        using var q = new SoftwareTpm.Quote(new TpmClockInfo(5000, 4, 0, true));
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        var first = new TpmEvidence(q.Attest, q.Signature, q.Pcrs, q.Ak.Name.Span);
        byte[] older = q.Make(new TpmClockInfo(4000, 3, 0, true));
        var second = new TpmEvidence(older, SoftwareTpm.SignEcdsa(q.Key, older), q.Pcrs, q.Ak.Name.Span);

        TpmEvidenceVerdict a = await TpmEvidenceVerifier.VerifyAndTrackAsync(first, q.Ak, q.Nonce, tracker);
        TpmEvidenceVerdict replayed = await TpmEvidenceVerifier.VerifyAndTrackAsync(first, q.Ak, q.Nonce, tracker);
        TpmEvidenceVerdict rolledBack = await TpmEvidenceVerifier.VerifyAndTrackAsync(second, q.Ak, q.Nonce, tracker);

        Assert.True(a.IsValid, a.ToString());
        Assert.Equal(QuoteFailureCode.Replay, Assert.Single(replayed.Quote.Failures).Code);
        Assert.Equal(QuoteFailureCode.CounterRollback, Assert.Single(rolledBack.Quote.Failures).Code);
    }

    [Fact]
    public async Task VerifyAndTrack_ForgedQuote_DoesNotAdvanceBaseline()
    {
        using var q = new SoftwareTpm.Quote(new TpmClockInfo(5000, 4, 0, true));
        var tracker = new QuoteCounterTracker(new InMemoryQuoteCounterStore());
        byte[] future = q.Make(new TpmClockInfo(9_000_000, 9, 0, true));
        byte[] badSig = SoftwareTpm.SignEcdsa(q.Key, future);
        badSig[^1] ^= 1;

        TpmEvidenceVerdict forged = await TpmEvidenceVerifier.VerifyAndTrackAsync(new TpmEvidence(future, badSig, q.Pcrs, q.Ak.Name.Span), q.Ak, q.Nonce, tracker);
        TpmEvidenceVerdict genuine = await TpmEvidenceVerifier.VerifyAndTrackAsync(new TpmEvidence(q.Attest, q.Signature, q.Pcrs, q.Ak.Name.Span), q.Ak, q.Nonce, tracker);

        Assert.False(forged.IsValid);
        Assert.True(genuine.IsValid, genuine.ToString());
    }
}
