using System.Text;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Tpm.Verification.Tests.Fuzz;

/// <summary>
/// Property tests of this library's parsers (the TPM structures' are in Attest.Tpm.Tests): on mutated, truncated or
/// random input each either parses or throws its one documented exception, never allocates in proportion to a
/// length field, and valid values round-trip.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly byte[] AkEccPub = TpmVectors.Bytes("tpm2-tools/ak_ecc.pub");
    private static readonly byte[] QuoteMsg = TpmVectors.Bytes("tpm2-tools/quote_ecc.msg");
    private static readonly byte[] QuoteSig = TpmVectors.Bytes("tpm2-tools/quote_rsa.sig");
    private static readonly byte[] Log = EventLogWriter.TypicalBoot(3, TpmAlgorithm.Sha1, TpmAlgorithm.Sha256).ToArray();
    private static readonly byte[] EvidenceJson = new TpmEvidence(QuoteMsg, QuoteSig, SoftwareTpm.SamplePcrs(1), [0, 0x0B, 1, 2], AkEccPub, Log).ToJson();
    private static readonly byte[] PolicyJson = Encoding.UTF8.GetBytes(
        """{"version":1,"configurations":[{"name":"a","pcrs":{"sha256":{"0":"0000000000000000000000000000000000000000000000000000000000000000"}},"events":[{"pcr":4,"bank":"sha1","type":"EV_SEPARATOR","digest":"0000000000000000000000000000000000000000"}]}]}""");

    [Property(MaxTest = 400)]
    public Property TcgEventLogParse_MutatedLog_OnlyTcgEventLogFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), mutate => ParserProperties.OnlyThrows<TcgEventLogFormatException>(mutate(Log), b => TcgEventLog.Parse(b)));

    [Property(MaxTest = 200)]
    public Property Replay_MutatedLog_NeverThrows() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), mutate =>
        {
            EventLogReplay replay = TcgEventLogReplayer.Replay(mutate(Log), SoftwareTpm.SamplePcrs(2));
            return replay.Failures.Count > 0 || replay.IsValid;
        });

    [Property(MaxTest = 200)]
    public Property QuoteVerifierVerify_MutatedQuoteAndSignature_NeverThrowsNeverValid() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), Arb.From(ParserProperties.Mutation()), (mutateMsg, mutateSig) =>
        {
            byte[] msg = mutateMsg(QuoteMsg);
            byte[] sig = mutateSig(TpmVectors.Bytes("tpm2-tools/quote_ecc.sig"));
            using AttestationKey ak = AttestationKey.Create(TpmPublic.ParseSized(AkEccPub), TpmVectors.Bytes("ek/ek_rsa.name"));
            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce,
                PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin")));
            bool unchanged = msg.AsSpan().SequenceEqual(QuoteMsg) && sig.AsSpan().SequenceEqual(TpmVectors.Bytes("tpm2-tools/quote_ecc.sig"));
            return verdict.IsValid == unchanged;
        });

    [Property(MaxTest = 300)]
    public Property TpmEvidenceParse_MutatedJson_OnlyFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), mutate => ParserProperties.OnlyThrows<FormatException>(mutate(EvidenceJson), b => TpmEvidence.Parse(b)));

    [Property(MaxTest = 300)]
    public Property GoldenValuesPolicyParse_MutatedJson_OnlyFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), mutate => ParserProperties.OnlyThrows<FormatException>(mutate(PolicyJson), b => GoldenValuesPolicy.Parse(b)));

    [Property(MaxTest = 100)]
    public Property TpmEvidenceToJson_AnyContents_RoundTrips() =>
        Prop.ForAll(
            Arb.From(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Where(a => a.Length is > 0 and < 2048)),
            Arb.From(Gen.Choose(1, 255)),
            (attest, seed) =>
            {
                var evidence = new TpmEvidence(attest, [(byte)seed], SoftwareTpm.SamplePcrs(seed), [0, 0x0B, (byte)seed], default, default, new byte[32]);
                return TpmEvidence.Parse(evidence.ToJson()).ToJson().AsSpan().SequenceEqual(evidence.ToJson());
            });
}
