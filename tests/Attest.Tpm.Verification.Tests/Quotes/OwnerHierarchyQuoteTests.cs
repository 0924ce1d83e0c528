using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Tests.Quotes;

/// <summary>
/// The swtpm wire transcript's quote (wire/quote2.*) is signed by an RSA AK that is a primary key in the owner
/// hierarchy: its signature and PCR digest are genuine, but its qualified name is H(TPM_RH_OWNER || Name) and its
/// counters are obfuscated, so the endorsement-hierarchy policy must refuse it with exactly that reason.
/// </summary>
public sealed class OwnerHierarchyQuoteTests
{
    private static PcrValueSet Pcrs => PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, WireVectors.Bin("quote2.pcrs_sha256_0-7.bin"));

    [Fact]
    public void Verify_OwnerHierarchyAk_OnlyQualifiedSignerMismatch()
    {
        TpmPublic pub = TpmPublic.Parse(WireVectors.Bin("ak_rsa_primary.tpmt_public.bin"));
        using var ak = AttestationKey.Create(pub);

        QuoteVerdict verdict = QuoteVerifier.Verify(WireVectors.Bin("quote2.attest.bin"), WireVectors.Bin("quote2.tpmt_signature.bin"), ak, WireVectors.Bin("quote2.nonce.bin"), Pcrs);

        Assert.Equal(QuoteFailureCode.QualifiedSignerMismatch, Assert.Single(verdict.Failures).Code);
    }

    [Fact]
    public void Verify_OwnerQualifiedNameExplicitlyAccepted_Valid()
    {
        TpmPublic pub = TpmPublic.Parse(WireVectors.Bin("ak_rsa_primary.tpmt_public.bin"));
        byte[] ownerQualified = TpmName.Qualify(TpmName.OfHandle(TpmHandles.Owner), pub.ComputeName());
        using var ak = AttestationKey.Create(pub, default, [ownerQualified]);

        QuoteVerdict verdict = QuoteVerifier.Verify(WireVectors.Bin("quote2.attest.bin"), WireVectors.Bin("quote2.tpmt_signature.bin"), ak, WireVectors.Bin("quote2.nonce.bin"), Pcrs);

        Assert.True(verdict.IsValid, verdict.ToString());
    }

    [Fact]
    public void CreateRsa_WirePrimaryAk_EqualsPem()
    {
        TpmPublic pub = TpmPublic.Parse(WireVectors.Bin("ak_rsa_primary.tpmt_public.bin"));
        using var pem = System.Security.Cryptography.RSA.Create();
        pem.ImportFromPem(WireVectors.Text("ak_rsa_primary.pem"));

        Assert.True(pub.PublicKeyEquals(pem));
    }
}
