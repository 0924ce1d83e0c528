using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Structures;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Quotes;

/// <summary>
/// The swtpm wire transcript's quote (wire/quote2.*) is signed by an RSA AK that is a primary key in the owner
/// hierarchy: its signature and PCR digest are genuine, but its qualified name is H(TPM_RH_OWNER || Name) and its
/// counters are obfuscated, so the endorsement-hierarchy policy must refuse it with exactly that reason.
/// </summary>
public sealed class OwnerHierarchyQuoteTests
{
    private static PcrValueSet Pcrs => PcrValueSet.FromConcatenated(TpmAlgorithmId.Sha256, 0, Vectors.Bytes("wire/quote2.pcrs_sha256_0-7.bin"));

    [Fact]
    public void Verify_OwnerHierarchyAk_OnlyQualifiedSignerMismatch()
    {
        TpmPublic pub = TpmPublic.Parse(Vectors.Bytes("wire/ak_rsa_primary.tpmt_public.bin"));
        using var ak = AttestationKey.Create(pub);

        QuoteVerdict verdict = QuoteVerifier.Verify(Vectors.Bytes("wire/quote2.attest.bin"), Vectors.Bytes("wire/quote2.tpmt_signature.bin"), ak, Vectors.Bytes("wire/quote2.nonce.bin"), Pcrs);

        Assert.Equal(QuoteFailureCode.QualifiedSignerMismatch, Assert.Single(verdict.Failures).Code);
    }

    [Fact]
    public void Verify_OwnerQualifiedNameExplicitlyAccepted_Valid()
    {
        TpmPublic pub = TpmPublic.Parse(Vectors.Bytes("wire/ak_rsa_primary.tpmt_public.bin"));
        byte[] ownerQualified = TpmName.Qualify(TpmName.OfHandle(TpmName.OwnerHierarchy), pub.ComputeName());
        using var ak = AttestationKey.Create(pub, default, [ownerQualified]);

        QuoteVerdict verdict = QuoteVerifier.Verify(Vectors.Bytes("wire/quote2.attest.bin"), Vectors.Bytes("wire/quote2.tpmt_signature.bin"), ak, Vectors.Bytes("wire/quote2.nonce.bin"), Pcrs);

        Assert.True(verdict.IsValid, verdict.ToString());
    }

    [Fact]
    public void CreateRsa_WirePrimaryAk_EqualsPem()
    {
        TpmPublic pub = TpmPublic.Parse(Vectors.Bytes("wire/ak_rsa_primary.tpmt_public.bin"));
        using var pem = System.Security.Cryptography.RSA.Create();
        pem.ImportFromPem(Vectors.Text("wire/ak_rsa_primary.pem"));

        Assert.True(pub.PublicKeyEquals(pem));
    }
}
