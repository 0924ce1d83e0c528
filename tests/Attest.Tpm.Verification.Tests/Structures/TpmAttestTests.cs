using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.Structures;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Structures;

public sealed class TpmAttestTests
{
    [Theory]
    [InlineData("rsa", "000b60902e2c3b8ccaf6daf7056ab551480617eb6272a6ff6d5dc9133aa46cc64c44")]
    [InlineData("ecc", "000bcda2b73ab596effc09d121d4b3d2bc90b09bfcd2775e08ca3764cc1a23799539")]
    public void Parse_Tpm2ToolsQuote_FieldsMatchReadme(string kind, string qualifiedSigner)
    {
        TpmAttest attest = TpmAttest.Parse(Vectors.Bytes($"tpm2-tools/quote_{kind}.msg"));

        Assert.Equal(qualifiedSigner, Convert.ToHexStringLower(attest.QualifiedSigner.Span));
        Assert.Equal(Vectors.Nonce, attest.ExtraData.ToArray());
        Assert.Equal(2u, attest.ClockInfo.ResetCount);
        Assert.Equal(0u, attest.ClockInfo.RestartCount);
        Assert.True(attest.ClockInfo.Safe);
        Assert.Equal(0x2019102300163636ul, attest.FirmwareVersion);
        Assert.Equal("28e8d7a27d10d224629578d652af5351d9a3d6d66da57b3ecd17b844ac482267", Convert.ToHexStringLower(attest.PcrDigest.Span));
        PcrBankMask bank = Assert.Single(attest.PcrSelect.Banks);
        Assert.Equal(new PcrBankMask(TpmAlgorithmId.Sha256, 0xFF), bank);
    }

    [Fact]
    public void Parse_QualifiedSignerIsEndorsementChildOfEk_MatchesComputedQualifiedName()
    {
        byte[] ekName = Vectors.Bytes("ek/ek_rsa.name");
        byte[] akName = Vectors.Bytes("tpm2-tools/ak_ecc.name");

        IReadOnlyList<byte[]> names = TpmName.EndorsementQualifiedNames(akName, ekName);

        Assert.Equal(TpmAttest.Parse(Vectors.Bytes("tpm2-tools/quote_ecc.msg")).QualifiedSigner.ToArray(), names[1]);
    }

    [Fact]
    public void Parse_CertifyType_Throws()
    {
        byte[] msg = Vectors.Bytes("tpm2-tools/quote_ecc.msg");
        msg[5] = 0x17;

        var e = Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg));
        Assert.Equal("TPMS_ATTEST.type", e.Field);
    }

    [Fact]
    public void Parse_WrongMagic_Throws()
    {
        byte[] msg = Vectors.Bytes("tpm2-tools/quote_ecc.msg");
        msg[0] = 0;

        Assert.Equal("TPMS_ATTEST.magic", Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg)).Field);
    }

    [Fact]
    public void Parse_TrailingByte_Throws()
    {
        byte[] msg = [.. Vectors.Bytes("tpm2-tools/quote_ecc.msg"), 0];

        Assert.Contains("trailing", Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SafeIsTwo_Throws()
    {
        byte[] msg = Vectors.Bytes("tpm2-tools/quote_ecc.msg");
        int safeAt = 4 + 2 + 2 + 34 + 2 + 32 + 16;
        Assert.Equal(1, msg[safeAt]);
        msg[safeAt] = 2;

        Assert.Equal("TPMS_CLOCK_INFO.safe", Assert.Throws<TpmFormatException>(() => TpmAttest.Parse(msg)).Field);
    }

    [Fact]
    public void Parse_Truncated_EveryPrefixThrows()
    {
        byte[] msg = Vectors.Bytes("tpm2-tools/quote_rsa.msg");
        for (int i = 0; i < msg.Length; i++)
        {
            Assert.False(TpmAttest.TryParse(msg.AsSpan(0, i), out _, out string? error));
            Assert.NotNull(error);
        }
    }

    [Theory]
    [InlineData("rsa", TpmAlgorithmId.RsaSsa)]
    [InlineData("ecc", TpmAlgorithmId.EcDsa)]
    public void SignatureParse_Tpm2ToolsSignature_HasAlgorithm(string kind, ushort sigAlg)
    {
        TpmSignature sig = TpmSignature.Parse(Vectors.Bytes($"tpm2-tools/quote_{kind}.sig"));

        Assert.Equal(sigAlg, sig.SigAlg);
        Assert.Equal(TpmAlgorithmId.Sha256, sig.HashAlg);
    }

    [Fact]
    public void SignatureParse_HmacAlgorithm_Throws()
    {
        byte[] sig = Vectors.Bytes("tpm2-tools/quote_ecc.sig");
        sig[1] = 0x05;

        Assert.Equal("TPMT_SIGNATURE.sigAlg", Assert.Throws<TpmFormatException>(() => TpmSignature.Parse(sig)).Field);
    }

    [Fact]
    public void PcrSelectionParse_DuplicateBank_Throws()
    {
        byte[] bytes = Convert.FromHexString("00000002000b03ff0000000b03010000");

        Assert.False(PcrSelectionList.TryParse(bytes, out _, out int consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void PcrSelectionToBytes_RoundTrips()
    {
        var selection = new PcrSelectionList([new PcrBankMask(TpmAlgorithmId.Sha256, 0x8FF), new PcrBankMask(TpmAlgorithmId.Sha1, 1)]);

        PcrSelectionList parsed = PcrSelectionList.Parse(selection.ToBytes(), out int consumed);

        Assert.Equal(selection.ToBytes().Length, consumed);
        Assert.Equal(selection.Banks, parsed.Banks);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 11], selection.Banks[0].Indices());
    }
}
