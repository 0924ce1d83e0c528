using System.Security.Cryptography;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Quotes;

public sealed class QuoteVerifierTests
{
    private static (AttestationKey Ak, byte[] Msg, byte[] Sig, PcrValueSet Pcrs) Tpm2Tools(string kind)
    {
        TpmPublic pub = TpmPublic.ParseSized(TpmVectors.Bytes($"tpm2-tools/ak_{kind}.pub"));
        var ak = AttestationKey.Create(pub, TpmVectors.Bytes("ek/ek_rsa.name"));
        return (ak, TpmVectors.Bytes($"tpm2-tools/quote_{kind}.msg"), TpmVectors.Bytes($"tpm2-tools/quote_{kind}.sig"),
            PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin")));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void Verify_Tpm2ToolsQuote_IsValid(string kind)
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools(kind);
        using (ak)
        {
            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, pcrs);

            Assert.True(verdict.IsValid, verdict.ToString());
            Assert.Equal(8, verdict.QuotedPcrs!.Count);
            Assert.Equal(2u, verdict.Attest!.ClockInfo.ResetCount);
        }
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void Verify_NonceChanged_ExtraDataMismatchOnly(string kind)
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools(kind);
        using (ak)
        {
            byte[] nonce = TpmVectors.Nonce;
            nonce[0] ^= 1;

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, nonce, pcrs);

            Assert.Equal(QuoteFailureCode.ExtraDataMismatch, Assert.Single(verdict.Failures).Code);
            Assert.Null(verdict.QuotedPcrs);
        }
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void Verify_QuoteByteFlipped_SignatureInvalid(string kind)
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools(kind);
        using (ak)
        {
            msg[^1] ^= 1; // inside pcrDigest: the structure still parses

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, pcrs);

            Assert.True(verdict.Has(QuoteFailureCode.SignatureInvalid));
            Assert.True(verdict.Has(QuoteFailureCode.PcrDigestMismatch));
        }
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void Verify_SignatureByteFlipped_SignatureInvalidOnly(string kind)
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools(kind);
        using (ak)
        {
            sig[^3] ^= 0x40;

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, pcrs);

            Assert.Equal(QuoteFailureCode.SignatureInvalid, Assert.Single(verdict.Failures).Code);
        }
    }

    [Fact]
    public void Verify_PcrValueChanged_PcrDigestMismatch()
    {
        (AttestationKey ak, byte[] msg, byte[] sig, _) = Tpm2Tools("ecc");
        using (ak)
        {
            byte[] raw = TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin");
            raw[7 * 32] ^= 1;

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, raw));

            Assert.Equal(QuoteFailureCode.PcrDigestMismatch, Assert.Single(verdict.Failures).Code);
        }
    }

    [Fact]
    public void Verify_OtherAk_SignatureAndQualifiedSignerFail()
    {
        (AttestationKey rsa, _, _, _) = Tpm2Tools("rsa");
        (AttestationKey ecc, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools("ecc");
        using (rsa)
        using (ecc)
        {
            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, rsa, TpmVectors.Nonce, pcrs);

            Assert.True(verdict.Has(QuoteFailureCode.UnsupportedSignatureScheme));
            Assert.True(verdict.Has(QuoteFailureCode.QualifiedSignerMismatch));
        }
    }

    [Fact]
    public void Verify_SameTypeOtherAk_SignatureInvalidAndQualifiedSignerMismatch()
    {
        using var q = new SoftwareTpm.Quote();
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools("ecc");
        using (ak)
        {
            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, q.Ak, TpmVectors.Nonce, pcrs);

            Assert.True(verdict.Has(QuoteFailureCode.SignatureInvalid));
            Assert.True(verdict.Has(QuoteFailureCode.QualifiedSignerMismatch));
        }
    }

    [Fact]
    public void Verify_AkKnownWithoutEkName_QualifiedSignerMismatch()
    {
        TpmPublic pub = TpmPublic.ParseSized(TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"));
        using var ak = AttestationKey.Create(pub);
        (_, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools("ecc");

        QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, pcrs);

        Assert.Equal(QuoteFailureCode.QualifiedSignerMismatch, Assert.Single(verdict.Failures).Code);
    }

    [Fact]
    public void Verify_MissingAndExtraPcrValues_BothReported()
    {
        (AttestationKey ak, byte[] msg, byte[] sig, _) = Tpm2Tools("ecc");
        using (ak)
        {
            byte[] raw = TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin");
            PcrValueSet shifted = PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 1, raw);

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, shifted);

            Assert.True(verdict.Has(QuoteFailureCode.PcrValueMissing));
            Assert.True(verdict.Has(QuoteFailureCode.PcrValueNotQuoted));
        }
    }

    [Fact]
    public void Verify_PolicyRequiresPcr11_RequiredPcrNotQuoted()
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools("ecc");
        using (ak)
        {
            var policy = new QuotePolicy { RequiredPcrs = new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, 0x8FF)]) };

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, sig, ak, TpmVectors.Nonce, pcrs, policy);

            QuoteFailure failure = Assert.Single(verdict.Failures);
            Assert.Equal(QuoteFailureCode.RequiredPcrNotQuoted, failure.Code);
            Assert.Contains("PCR 11", failure.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Verify_SoftwareQuote_IsValid()
    {
        using var q = new SoftwareTpm.Quote();

        Assert.True(q.Verify().IsValid, q.Verify().ToString());
    }

    [Fact]
    public void Verify_ClockNotSafe_ClockNotSafeReported()
    {
        using var q = new SoftwareTpm.Quote();
        byte[] attest = q.Make(new TpmClockInfo(5, 1, 0, Safe: false));

        QuoteVerdict verdict = QuoteVerifier.Verify(attest, SoftwareTpm.SignEcdsa(q.Key, attest), q.Ak, q.Nonce, q.Pcrs);

        Assert.Equal(QuoteFailureCode.ClockNotSafe, Assert.Single(verdict.Failures).Code);
    }

    [Fact]
    public void Verify_EcdsaSWithGroupOrder_SignatureInvalid()
    {
        using var q = new SoftwareTpm.Quote();
        byte[] order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
        TpmSignature sig = TpmSignature.Parse(q.Signature);
        byte[] forged = TpmSignature.EncodeEcdsa(TpmAlgorithm.Sha256, sig.SignatureR.Span, order);

        QuoteVerdict verdict = QuoteVerifier.Verify(q.Attest, forged, q.Ak, q.Nonce, q.Pcrs);

        Assert.Contains("group order", Assert.Single(verdict.Failures).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Sha1Signature_UnsupportedScheme()
    {
        using var q = new SoftwareTpm.Quote();
        byte[] sig = q.Signature;
        sig[3] = 0x04;

        QuoteVerdict verdict = QuoteVerifier.Verify(q.Attest, sig, q.Ak, q.Nonce, q.Pcrs);

        Assert.Equal(QuoteFailureCode.UnsupportedSignatureScheme, Assert.Single(verdict.Failures).Code);
    }

    [Theory]
    [InlineData(TpmAlgorithm.EcSchnorr)]
    [InlineData(TpmAlgorithm.Sm2)]
    [InlineData(TpmAlgorithm.EcDaa)]
    public void Verify_OtherEccSignatureScheme_UnsupportedSchemeNotMalformed(TpmAlgorithm scheme)
    {
        using var q = new SoftwareTpm.Quote();
        byte[] sig = q.Signature;
        sig[1] = (byte)scheme;

        QuoteVerdict verdict = QuoteVerifier.Verify(q.Attest, sig, q.Ak, q.Nonce, q.Pcrs);

        Assert.Equal(QuoteFailureCode.UnsupportedSignatureScheme, Assert.Single(verdict.Failures).Code);
        Assert.Equal(scheme, verdict.Signature!.SigAlg);
    }

    [Fact]
    public void Verify_GarbageEverywhere_ReportsBothParseFailures()
    {
        using var q = new SoftwareTpm.Quote();

        QuoteVerdict verdict = QuoteVerifier.Verify([1, 2, 3], [4, 5], q.Ak, q.Nonce, q.Pcrs);

        Assert.True(verdict.Has(QuoteFailureCode.MalformedAttest));
        Assert.True(verdict.Has(QuoteFailureCode.MalformedSignature));
        Assert.False(verdict.IsValid);
    }

    [Fact]
    public void Verify_RsaSignatureTruncated_SignatureInvalid()
    {
        (AttestationKey ak, byte[] msg, byte[] sig, PcrValueSet pcrs) = Tpm2Tools("rsa");
        using (ak)
        {
            TpmSignature parsed = TpmSignature.Parse(sig);
            byte[] shorter = TpmSignature.EncodeRsaSsa(TpmAlgorithm.Sha256, parsed.RsaSignature.Span[1..]);

            QuoteVerdict verdict = QuoteVerifier.Verify(msg, shorter, ak, TpmVectors.Nonce, pcrs);

            Assert.Equal(QuoteFailureCode.SignatureInvalid, Assert.Single(verdict.Failures).Code);
        }
    }

    [Fact]
    public void Verify_RandomNonceAndKeys_NeverValid()
    {
        using var q = new SoftwareTpm.Quote();
        byte[] nonce = RandomNumberGenerator.GetBytes(32);

        Assert.False(QuoteVerifier.Verify(q.Attest, q.Signature, q.Ak, nonce, q.Pcrs).IsValid);
    }
}
