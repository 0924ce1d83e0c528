using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests.Structures;

public sealed class TpmAttestTests
{
    private static readonly byte[] QuoteEcc = TpmVectors.Bytes("tpm2-tools/quote_ecc.msg");
    private static readonly byte[] QuoteRsa = TpmVectors.Bytes("tpm2-tools/quote_rsa.msg");
    private static readonly byte[] SignatureEcc = TpmVectors.Bytes("tpm2-tools/quote_ecc.sig");
    private static readonly byte[] SignatureRsa = TpmVectors.Bytes("tpm2-tools/quote_rsa.sig");

    [Theory]
    [InlineData("rsa", "000b60902e2c3b8ccaf6daf7056ab551480617eb6272a6ff6d5dc9133aa46cc64c44")]
    [InlineData("ecc", "000bcda2b73ab596effc09d121d4b3d2bc90b09bfcd2775e08ca3764cc1a23799539")]
    public void Parse_Tpm2ToolsQuote_FieldsMatchReadme(string kind, string qualifiedSigner)
    {
        TpmAttest attest = TpmAttest.Parse(TpmVectors.Bytes($"tpm2-tools/quote_{kind}.msg"));

        Assert.Equal(qualifiedSigner, Convert.ToHexStringLower(attest.QualifiedSigner.Span));
        Assert.Equal(TpmVectors.Nonce, attest.ExtraData.ToArray());
        Assert.Equal(2u, attest.ClockInfo.ResetCount);
        Assert.Equal(0u, attest.ClockInfo.RestartCount);
        Assert.True(attest.ClockInfo.Safe);
        Assert.Equal(0x2019102300163636ul, attest.FirmwareVersion);
        Assert.Equal("28e8d7a27d10d224629578d652af5351d9a3d6d66da57b3ecd17b844ac482267", Convert.ToHexStringLower(attest.PcrDigest.Span));
        PcrBankSelection bank = Assert.Single(attest.PcrSelect.Banks);
        Assert.Equal(new PcrBankSelection(TpmAlgorithm.Sha256, 0xFF), bank);
    }

    [Fact]
    public void Parse_QualifiedSignerIsEndorsementChildOfEk_MatchesComputedQualifiedName()
    {
        byte[] ekName = TpmVectors.Bytes("ek/ek_rsa.name");
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");

        IReadOnlyList<byte[]> names = TpmName.EndorsementQualifiedNames(akName, ekName);

        Assert.Equal(TpmAttest.Parse(QuoteEcc).QualifiedSigner.ToArray(), names[1]);
    }

    [Theory]
    [InlineData(5, 0x17, "TPMS_ATTEST.type")]
    [InlineData(0, 0x00, "TPMS_ATTEST.magic")]
    [InlineData(4 + 2 + 2 + 34 + 2 + 32 + 16, 2, "TPMS_CLOCK_INFO.safe")]
    [InlineData(9, 0x04, "TPMS_ATTEST.qualifiedSigner")]
    public void Parse_FieldChanged_ThrowsNamingIt(int offset, byte value, string field)
    {
        byte[] msg = (byte[])QuoteEcc.Clone();
        msg[offset] = value;

        Assert.Equal(field, Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg)).Field);
    }

    [Fact]
    public void Parse_TrailingByte_ThrowsButReadReportsBytesConsumed()
    {
        byte[] msg = [.. QuoteEcc, 0];

        Assert.Contains("trailing", Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg)).Message, StringComparison.Ordinal);
        Assert.True(TpmAttest.TryRead(msg, out _, out int consumed));
        Assert.Equal(QuoteEcc.Length, consumed);
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFalseAndConsumesNothing()
    {
        for (int i = 0; i < QuoteRsa.Length; i++)
        {
            Assert.False(TpmAttest.TryRead(QuoteRsa.AsSpan(0, i), out TpmAttest? result, out int consumed));
            Assert.Null(result);
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void Parse_LargerThanMaxSize_Throws() =>
        Assert.Throws<TpmFormatException>(() => TpmAttest.Parse([.. QuoteEcc, .. new byte[TpmAttest.MaxSize]]));

    [Theory]
    [InlineData("rsa", TpmAlgorithm.RsaSsa)]
    [InlineData("ecc", TpmAlgorithm.EcDsa)]
    public void SignatureParse_Tpm2ToolsSignature_HasAlgorithm(string kind, TpmAlgorithm sigAlg)
    {
        TpmSignature sig = TpmSignature.Parse(TpmVectors.Bytes($"tpm2-tools/quote_{kind}.sig"));

        Assert.Equal(sigAlg, sig.SigAlg);
        Assert.Equal(TpmAlgorithm.Sha256, sig.HashAlg);
        Assert.Equal(kind == "rsa", sig.IsRsa);
    }

    [Fact]
    public void SignatureEncode_ParsedParts_ReproducesTheBytes()
    {
        TpmSignature ecc = TpmSignature.Parse(SignatureEcc);
        TpmSignature rsa = TpmSignature.Parse(SignatureRsa);

        Assert.Equal(SignatureEcc, TpmSignature.EncodeEcdsa(ecc.HashAlg, ecc.SignatureR.Span, ecc.SignatureS.Span));
        Assert.Equal(SignatureRsa, TpmSignature.EncodeRsaSsa(rsa.HashAlg, rsa.RsaSignature.Span));
    }

    [Theory]
    [InlineData(0x05, "TPMT_SIGNATURE.sigAlg")]
    [InlineData(0x10, "TPMT_SIGNATURE.sigAlg")]
    public void SignatureParse_SymmetricOrNullAlgorithm_Throws(byte sigAlg, string field)
    {
        byte[] sig = (byte[])SignatureEcc.Clone();
        sig[1] = sigAlg;

        Assert.Equal(field, Assert.Throws<TpmFormatException>(() => TpmSignature.Parse(sig)).Field);
    }

    [Fact]
    public void SignatureParse_EcSchnorr_ReadAsAnEccSignature()
    {
        byte[] sig = (byte[])SignatureEcc.Clone();
        sig[1] = (byte)TpmAlgorithm.EcSchnorr;

        TpmSignature parsed = TpmSignature.Parse(sig);

        Assert.Equal(TpmAlgorithm.EcSchnorr, parsed.SigAlg);
        Assert.False(parsed.IsRsa);
    }

    [Fact]
    public void SignatureTryRead_Truncated_ReturnsFalseAndConsumesNothing()
    {
        Assert.False(TpmSignature.TryRead(SignatureRsa.AsSpan(0, SignatureRsa.Length - 1), out _, out int consumed));
        Assert.Equal(0, consumed);
    }

    [Property(MaxTest = 400)]
    public Property Parse_MutatedQuote_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), mutate =>
            ParserProperties.OnlyThrows<TpmFormatException>(mutate(QuoteEcc), b => TpmAttest.Parse(b)));

    [Property(MaxTest = 400)]
    public Property SignatureParse_MutatedSignature_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), Arb.From(Gen.Elements(SignatureEcc, SignatureRsa)), (mutate, sig) =>
            ParserProperties.OnlyThrows<TpmFormatException>(mutate(sig), b => TpmSignature.Parse(b)));

    [Fact]
    public void Parse_FuzzedVectors_OnlyTpmFormatException()
    {
        foreach (byte[] m in ParserProperties.Mutants(QuoteRsa, 3000, 2))
        {
            ParserProperties.OnlyThrows<TpmFormatException>(m, b => TpmAttest.Parse(b));
        }

        foreach (byte[] m in ParserProperties.Mutants(SignatureEcc, 3000, 3))
        {
            ParserProperties.OnlyThrows<TpmFormatException>(m, b => TpmSignature.Parse(b));
        }
    }
}
