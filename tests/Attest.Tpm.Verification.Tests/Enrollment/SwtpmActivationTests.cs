using System.Security.Cryptography;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Swtpm;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.Tpm.Verification.Tests.Enrollment;

/// <summary>The software MakeCredential against a real TPM2_ActivateCredential (swtpm), for RSA and ECC EKs.</summary>
public sealed class SwtpmActivationTests
{
    [Theory]
    [InlineData(EndorsementKeyKind.Rsa2048)]
    [InlineData(EndorsementKeyKind.EccP256)]
    public async Task Make_ActivatedBySwtpm_RecoversCredential(EndorsementKeyKind kind)
    {
        await using SwtpmInstance swtpm = await SwtpmInstance.StartAsync();
        await using TpmDevice tpm = TpmDevice.Open(swtpm.Tcti);
        await tpm.EnsureStartedAsync(CancellationToken.None);
        var attestor = new TpmAttestor(tpm);
        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(kind, null, CancellationToken.None);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0050, CancellationToken.None);
        TpmPublic ekPublic = TpmPublic.ParseSized(ek.Public.Span);
        Assert.Empty(KeyRequirements.CheckEndorsementKey(ekPublic));
        byte[] credential = RandomNumberGenerator.GetBytes(32);

        MadeCredential made = CredentialMaker.Make(ekPublic, ak.Name.Span, credential);
        byte[] recovered = await attestor.ActivateCredentialAsync(ak, ek, made.CredentialBlob, made.Secret, CancellationToken.None);

        Assert.Equal(credential, recovered);
    }
}
