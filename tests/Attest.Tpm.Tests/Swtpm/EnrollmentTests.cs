using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Quotes;
using VerifiedKey = Attest.Tpm.Verification.Quotes.AttestationKey;

namespace Attest.Tpm.Tests.Swtpm;

/// <summary>The agent's side (this library, on swtpm) against the registrar and verifier (Attest.Tpm.Verification).</summary>
public sealed class EnrollmentTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Theory]
    [InlineData(EndorsementKeyKind.Rsa2048, 0x8101_0040u)]
    [InlineData(EndorsementKeyKind.EccP256, 0x8101_0043u)]
    public async Task ActivateCredential_SoftwareMakeCredentialForTheAk_RecoversTheSecretAndFlushesTheSession(EndorsementKeyKind kind, uint akHandle)
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(kind, null, Ct);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, akHandle, Ct);
        Assert.Empty(KeyRequirements.CheckEndorsementKey(ek.PublicArea));
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        MadeCredential made = CredentialMaker.Make(ek.PublicArea, ak.Name.Span, secret);

        byte[] recovered = await attestor.ActivateCredentialAsync(ak, ek, made.CredentialBlob, made.Secret, Ct);

        Assert.Equal(secret, recovered);
        Assert.Empty(await tpm.GetHandlesAsync(0x0200_0000, Ct));
        Assert.Equal([ek.Handle], tpm.TrackedHandles);
    }

    [Fact]
    public async Task ActivateCredential_CredentialMadeForAnotherName_FailsAndLeavesNoSession()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, TpmHandles.PersistentEkRsa, Ct);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0041, Ct);
        byte[] otherName = ak.Name.ToArray();
        otherName[^1] ^= 1;
        MadeCredential made = CredentialMaker.Make(TpmPublic.ParseSized(ek.Public.Span), otherName, RandomNumberGenerator.GetBytes(32));

        TpmException ex = await Assert.ThrowsAsync<TpmException>(() => attestor.ActivateCredentialAsync(ak, ek, made.CredentialBlob, made.Secret, Ct));

        Assert.Equal(TpmCommandCode.ActivateCredential, ex.Command);
        Assert.Equal("TPM_RC_INTEGRITY", ex.ResponseCode.Name);
        Assert.Empty(await tpm.GetHandlesAsync(0x0200_0000, Ct));
        Assert.Empty(tpm.TrackedHandles);
    }

    [Fact]
    public async Task ActivateCredential_MalformedBlob_ThrowsArgumentException()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        await Assert.ThrowsAsync<ArgumentException>(() => tpm.ActivateCredentialAsync(0x8100_0000, TpmHandles.PersistentEkRsa, TpmAuth.EmptyPassword,
            TpmAuth.EmptyPassword, new byte[] { 0x00, 0x05, 1, 2 }, new byte[] { 0x00, 0x01, 1 }, Ct));
    }

    [Fact]
    public async Task EnrollThenQuote_RegistrarAndVerifier_BindTheAkAndAcceptItsQuote()
    {
        string ca = await SwtpmInstance.CaDirectoryAsync();
        using X509Certificate2 root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(ca, "swtpm-localca-rootca-cert.pem"));
        using X509Certificate2 issuer = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(ca, "issuercert.pem"));
        var registrar = new Registrar(new EkCertificateValidator([root], [issuer]), new InMemoryEnrollmentStore());
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, null, Ct);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0042, Ct);

        EnrollmentMaterial material = await attestor.GetEnrollmentMaterialAsync(ek, ak, Ct);
        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(material.EkCertificate!.Value, material.EkPublic, material.AkPublic, "builder-1"), Ct);
        Assert.True(begin.Succeeded, string.Join("; ", begin.Failures));
        byte[] secret = await attestor.ActivateCredentialAsync(ak, ek, begin.Challenge!.CredentialBlob, begin.Challenge.EncryptedSecret, Ct);
        EnrollmentCompleteResult complete = await registrar.CompleteAsync(begin.Challenge.EnrollmentId, secret, Ct);
        Assert.True(complete.Succeeded, string.Join("; ", complete.Failures));

        byte[] statementDigest = SHA256.HashData("DSSEv1 28 application/vnd.in-toto+json 2 {}"u8);
        TpmQuote quote = await attestor.QuoteAsync(ak, statementDigest, null, Ct);
        using VerifiedKey verifiedKey = complete.Binding!.CreateAttestationKey();
        var pcrs = new PcrValueSet(quote.PcrValues);
        QuoteVerdict verdict = QuoteVerifier.Verify(quote.Attest.Span, quote.Signature.Span, verifiedKey, statementDigest, pcrs);
        QuoteVerdict wrongStatement = QuoteVerifier.Verify(quote.Attest.Span, quote.Signature.Span, verifiedKey, SHA256.HashData("other"u8), pcrs);

        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.False(wrongStatement.IsValid);
        Assert.Equal(ak.Name.ToArray(), complete.Binding.AkName.ToArray());
    }
}
