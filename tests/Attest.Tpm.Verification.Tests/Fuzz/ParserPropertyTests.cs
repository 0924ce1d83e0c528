using System.Text;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Structures;
using Attest.Tpm.Verification.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Tpm.Verification.Tests.Fuzz;

/// <summary>
/// Property tests of every parser: on mutated, truncated or random input each either parses or throws its one
/// documented exception, never allocates in proportion to a length field, and valid values round-trip.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly byte[] AkEccPub = Vectors.Bytes("tpm2-tools/ak_ecc.pub");
    private static readonly byte[] AkRsaPub = Vectors.Bytes("tpm2-tools/ak_rsa.pub");
    private static readonly byte[] EkPub = Vectors.Bytes("ek/ek_rsa.pub");
    private static readonly byte[] QuoteMsg = Vectors.Bytes("tpm2-tools/quote_ecc.msg");
    private static readonly byte[] QuoteSig = Vectors.Bytes("tpm2-tools/quote_rsa.sig");
    private static readonly byte[] Log = EventLogWriter.TypicalBoot(3, TpmAlgorithmId.Sha1, TpmAlgorithmId.Sha256).ToArray();
    private static readonly byte[] EvidenceJson = new TpmEvidence(QuoteMsg, QuoteSig, SoftwareTpm.SamplePcrs(1), [0, 0x0B, 1, 2], AkEccPub, Log).ToJson();
    private static readonly byte[] PolicyJson = Encoding.UTF8.GetBytes(
        """{"version":1,"configurations":[{"name":"a","pcrs":{"sha256":{"0":"0000000000000000000000000000000000000000000000000000000000000000"}},"events":[{"pcr":4,"bank":"sha1","type":"EV_SEPARATOR","digest":"0000000000000000000000000000000000000000"}]}]}""");

    /// <summary>A mutation: overwrite up to three bytes, then optionally truncate or extend.</summary>
    internal static Gen<Func<byte[], byte[]>> Mutation() =>
        from count in Gen.Choose(0, 3)
        from edits in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, int.MaxValue), ArbMap.Default.GeneratorFor<byte>()), count)
        from cut in Gen.Choose(-40, 4)
        select (Func<byte[], byte[]>)(input =>
        {
            byte[] copy = (byte[])input.Clone();
            foreach ((int at, byte value) in edits)
            {
                copy[at % copy.Length] = value;
            }

            return cut switch
            {
                < 0 => copy[..Math.Max(0, copy.Length + cut)],
                0 => copy,
                _ => [.. copy, .. new byte[cut]],
            };
        });

    internal static void OnlyThrows<TException>(byte[] input, Action<byte[]> parse)
        where TException : Exception
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            parse(input);
        }
        catch (TException)
        {
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < (64L * input.Length) + (256 * 1024), $"parsing {input.Length} bytes allocated {allocated} bytes");
    }

    [Property(MaxTest = 400)]
    public Property TpmPublicParseSized_MutatedKeys_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), Arb.From(Gen.Elements(AkEccPub, AkRsaPub, EkPub)), (mutate, key) =>
            OnlyThrows<TpmFormatException>(mutate(key), b => TpmPublic.ParseSized(b)));

    [Property(MaxTest = 400)]
    public Property TpmAttestParse_MutatedQuote_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), mutate => OnlyThrows<TpmFormatException>(mutate(QuoteMsg), b => TpmAttest.Parse(b)));

    [Property(MaxTest = 400)]
    public Property TpmSignatureParse_MutatedSignature_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), mutate => OnlyThrows<TpmFormatException>(mutate(QuoteSig), b => TpmSignature.Parse(b)));

    [Property(MaxTest = 400)]
    public Property PcrSelectionParse_RandomBytes_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())), bytes =>
            OnlyThrows<TpmFormatException>(bytes, b => PcrSelectionList.Parse(b, out _)));

    [Property(MaxTest = 300)]
    public Property PcrSelectionToBytes_AnyMasks_RoundTrips() =>
        Prop.ForAll(Arb.From(Gen.Zip(ArbMap.Default.GeneratorFor<uint>(), ArbMap.Default.GeneratorFor<uint>())), masks =>
        {
            var selection = new PcrSelectionList([new PcrBankMask(TpmAlgorithmId.Sha256, masks.Item1), new PcrBankMask(TpmAlgorithmId.Sha384, masks.Item2)]);
            byte[] bytes = selection.ToBytes();
            PcrSelectionList parsed = PcrSelectionList.Parse(bytes, out int consumed);
            return consumed == bytes.Length && parsed.Banks.SequenceEqual(selection.Banks);
        });

    [Property(MaxTest = 400)]
    public Property TcgEventLogParse_MutatedLog_OnlyTcgEventLogFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), mutate => OnlyThrows<TcgEventLogFormatException>(mutate(Log), b => TcgEventLog.Parse(b)));

    [Property(MaxTest = 200)]
    public Property Replay_MutatedLog_NeverThrows() =>
        Prop.ForAll(Arb.From(Mutation()), mutate =>
        {
            EventLogReplay replay = TcgEventLogReplayer.Replay(mutate(Log), SoftwareTpm.SamplePcrs(2));
            return replay.Failures.Count > 0 || replay.IsValid;
        });

    [Property(MaxTest = 200)]
    public Property QuoteVerifierVerify_MutatedQuoteAndSignature_NeverThrowsNeverValid() =>
        Prop.ForAll(Arb.From(Mutation()), Arb.From(Mutation()), (mutateMsg, mutateSig) =>
        {
            byte[] msg = mutateMsg(QuoteMsg);
            byte[] sig = mutateSig(Vectors.Bytes("tpm2-tools/quote_ecc.sig"));
            using AttestationKey ak = AttestationKey.Create(TpmPublic.ParseSized(AkEccPub), Vectors.Bytes("ek/ek_rsa.name"));
            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, Vectors.Nonce,
                PcrValueSet.FromConcatenated(TpmAlgorithmId.Sha256, 0, Vectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin")));
            bool unchanged = msg.AsSpan().SequenceEqual(QuoteMsg) && sig.AsSpan().SequenceEqual(Vectors.Bytes("tpm2-tools/quote_ecc.sig"));
            return verdict.IsValid == unchanged;
        });

    [Property(MaxTest = 300)]
    public Property TpmEvidenceParse_MutatedJson_OnlyFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), mutate => OnlyThrows<FormatException>(mutate(EvidenceJson), b => TpmEvidence.Parse(b)));

    [Property(MaxTest = 300)]
    public Property GoldenValuesPolicyParse_MutatedJson_OnlyFormatException() =>
        Prop.ForAll(Arb.From(Mutation()), mutate => OnlyThrows<FormatException>(mutate(PolicyJson), b => GoldenValuesPolicy.Parse(b)));

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
