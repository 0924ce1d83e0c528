using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Enrollment;

public sealed class EnrollmentTests
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static X509Certificate2 Pem(string path) => X509Certificate2.CreateFromPem(TpmVectors.Text(path));

    private static EkCertificateValidator SwtpmValidator(TimeProvider? time = null) =>
        new([Pem("ek/swtpm-localca-rootca-cert.pem")], [Pem("ek/issuercert.pem")], time ?? new FixedTime(Now));

    [Fact]
    public void Validate_SwtpmRsaEkCertificate_ChainsToLocalCaAndCertifiesEk()
    {
        TpmPublic ek = TpmPublic.ParseSized(TpmVectors.Bytes("ek/ek_rsa.pub"));

        EkCertificateResult result = SwtpmValidator().Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), ek);

        Assert.True(result.IsValid, string.Join("; ", result.Failures));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TpmVectors.Bytes("ek/ek_rsa_cert.der"))), result.Sha256Fingerprint);
    }

    [Fact]
    public void Validate_SwtpmEccP384EkCertificate_ChainsToLocalCa()
    {
        Assert.True(SwtpmValidator().Validate(TpmVectors.Bytes("ek/ek_ecc384_cert.der"), null).IsValid);
    }

    [Fact]
    public void Validate_OtherRoot_Fails()
    {
        using var ek = new SoftwareEk();
        var validator = new EkCertificateValidator([ek.Root], [Pem("ek/issuercert.pem")], new FixedTime(Now));

        EkCertificateResult result = validator.Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), null);

        Assert.False(result.IsValid);
        Assert.Contains(result.Failures, f => f.Contains("chain", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingIntermediate_Fails()
    {
        var validator = new EkCertificateValidator([Pem("ek/swtpm-localca-rootca-cert.pem")], null, new FixedTime(Now));

        Assert.False(validator.Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), null).IsValid);
    }

    [Fact]
    public void Validate_IntermediateSuppliedWithRequest_Passes()
    {
        var validator = new EkCertificateValidator([Pem("ek/swtpm-localca-rootca-cert.pem")], null, new FixedTime(Now));

        Assert.True(validator.Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), null, [Pem("ek/issuercert.pem")]).IsValid);
    }

    [Fact]
    public void Validate_BeforeNotBefore_Fails()
    {
        EkCertificateResult result = SwtpmValidator(new FixedTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)))
            .Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), null);

        Assert.Contains(result.Failures, f => f.Contains("NotTimeValid", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CertificateOfOtherKey_KeyMismatch()
    {
        TpmPublic ak = TpmPublic.ParseSized(TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"));

        EkCertificateResult result = SwtpmValidator().Validate(TpmVectors.Bytes("ek/ek_rsa_cert.der"), ak);

        Assert.Equal("EK certificate does not certify the EK public key", Assert.Single(result.Failures));
    }

    [Fact]
    public void Validate_Garbage_FailsWithoutThrowing()
    {
        Assert.False(SwtpmValidator().Validate([0x30, 0x03, 0x01, 0x02, 0x03], null).IsValid);
    }

    [Fact]
    public void Validate_SoftwareEkWithCriticalTcgSan_Passes()
    {
        using var ek = new SoftwareEk();
        var validator = new EkCertificateValidator([ek.Root], null, new FixedTime(Now));

        EkCertificateResult result = validator.Validate(ek.Certificate, ek.Public);

        Assert.True(result.IsValid, string.Join("; ", result.Failures));
    }

    [Fact]
    public void CheckAttestationKey_Tpm2ToolsAks_Acceptable()
    {
        Assert.Empty(KeyRequirements.CheckAttestationKey(TpmPublic.ParseSized(TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"))));
        Assert.Empty(KeyRequirements.CheckAttestationKey(TpmPublic.ParseSized(TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"))));
    }

    [Fact]
    public void CheckAttestationKey_DecryptingUnrestrictedKey_ReportsEachProblem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const TpmObjectAttributes attributes = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent | TpmObjectAttributes.SensitiveDataOrigin
            | TpmObjectAttributes.Sign | TpmObjectAttributes.Decrypt;

        IReadOnlyList<string> problems = KeyRequirements.CheckAttestationKey(TpmPublic.Parse(SoftwareTpm.EccPublic(key, attributes)));

        Assert.Equal(["AK attribute Restricted is not set", "AK attribute Decrypt is set"], problems);
    }

    [Fact]
    public void CheckEndorsementKey_SwtpmEk_Acceptable()
    {
        Assert.Empty(KeyRequirements.CheckEndorsementKey(TpmPublic.ParseSized(TpmVectors.Bytes("ek/ek_rsa.pub"))));
    }

    [Fact]
    public async Task Registrar_FullFlowWithSoftwareEk_BindsAk()
    {
        using var ek = new SoftwareEk();
        var store = new InMemoryEnrollmentStore();
        var time = new FixedTime(Now);
        var registrar = new Registrar(new EkCertificateValidator([ek.Root], null, time), store, null, time);
        byte[] akPublic = TpmVectors.Bytes("tpm2-tools/ak_ecc.pub");
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");

        EnrollmentBeginResult begin = await registrar.BeginAsync(new EnrollmentRequest(ek.Certificate, ek.Public.ToSized(), akPublic, "builder-1"), CancellationToken.None);
        Assert.True(begin.Succeeded, string.Join("; ", begin.Failures));
        byte[] secret = ek.Activate(begin.Challenge!.CredentialBlob.Span, begin.Challenge.EncryptedSecret.Span, akName);
        EnrollmentCompleteResult complete = await registrar.CompleteAsync(begin.Challenge.EnrollmentId, secret, CancellationToken.None);

        Assert.True(complete.Succeeded, string.Join("; ", complete.Failures));
        AkBinding binding = complete.Binding!;
        Assert.Equal(akName, binding.AkName.ToArray());
        Assert.Equal("builder-1", binding.BuilderKeyId);
        Assert.Equal(binding, await store.GetBindingAsync(akName, CancellationToken.None));
        using AttestationKey key = binding.CreateAttestationKey();
        Assert.Equal(akName, key.Name.ToArray());
    }

    [Fact]
    public async Task Registrar_WrongSecret_SecretMismatchAndConsumed()
    {
        using var ek = new SoftwareEk();
        var time = new FixedTime(Now);
        var registrar = new Registrar(new EkCertificateValidator([ek.Root], null, time), new InMemoryEnrollmentStore(), null, time);
        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(ek.Certificate, ek.Public.ToSized(), TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"), "builder-1"), CancellationToken.None);

        EnrollmentCompleteResult wrong = await registrar.CompleteAsync(begin.Challenge!.EnrollmentId, new byte[32], CancellationToken.None);
        EnrollmentCompleteResult again = await registrar.CompleteAsync(begin.Challenge.EnrollmentId, new byte[32], CancellationToken.None);

        Assert.Equal(EnrollmentFailureCode.SecretMismatch, Assert.Single(wrong.Failures).Code);
        Assert.Equal(EnrollmentFailureCode.UnknownEnrollment, Assert.Single(again.Failures).Code);
    }

    [Fact]
    public async Task Registrar_ActivatedForOtherAk_CannotComplete()
    {
        using var ek = new SoftwareEk();
        var time = new FixedTime(Now);
        var registrar = new Registrar(new EkCertificateValidator([ek.Root], null, time), new InMemoryEnrollmentStore(), null, time);
        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(ek.Certificate, ek.Public.ToSized(), TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"), "builder-1"), CancellationToken.None);

        // A TPM would refuse ActivateCredential for an object of another name (integrity check).
        Assert.Throws<CryptographicException>(() =>
            ek.Activate(begin.Challenge!.CredentialBlob.Span, begin.Challenge.EncryptedSecret.Span, TpmVectors.Bytes("tpm2-tools/ak_ecc.name")));
    }

    [Fact]
    public async Task Registrar_Expired_Expired()
    {
        using var ek = new SoftwareEk();
        var time = new FixedTime(Now);
        var registrar = new Registrar(new EkCertificateValidator([ek.Root], null, time), new InMemoryEnrollmentStore(), null, time);
        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(ek.Certificate, ek.Public.ToSized(), TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"), "b"), CancellationToken.None);
        byte[] secret = ek.Activate(begin.Challenge!.CredentialBlob.Span, begin.Challenge.EncryptedSecret.Span, TpmVectors.Bytes("tpm2-tools/ak_ecc.name"));
        time.Now = Now.AddMinutes(6);

        EnrollmentCompleteResult complete = await registrar.CompleteAsync(begin.Challenge.EnrollmentId, secret, CancellationToken.None);

        Assert.Equal(EnrollmentFailureCode.Expired, Assert.Single(complete.Failures).Code);
    }

    [Fact]
    public async Task Registrar_SwtpmEkWithTpm2ToolsAk_IssuesChallengeOfWireShape()
    {
        var registrar = new Registrar(SwtpmValidator(), new InMemoryEnrollmentStore(), null, new FixedTime(Now));

        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(TpmVectors.Bytes("ek/ek_rsa_cert.der"), TpmVectors.Bytes("ek/ek_rsa.pub"), TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"), "builder-1"),
            CancellationToken.None);

        Assert.True(begin.Succeeded, string.Join("; ", begin.Failures));
        Assert.Equal(2 + 2 + 32 + 34, begin.Challenge!.CredentialBlob.Length);
        Assert.Equal(2 + 256, begin.Challenge.EncryptedSecret.Length);
        Assert.Equal(Now.AddMinutes(5), begin.Challenge.ExpiresAt);
    }

    [Fact]
    public async Task Registrar_BadRequest_ReportsEveryProblem()
    {
        var registrar = new Registrar(SwtpmValidator(), new InMemoryEnrollmentStore(), null, new FixedTime(Now));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] decryptingAk = new Attest.Tpm.Marshalling.TpmWriter().Sized(SoftwareTpm.EccPublic(key, TpmTemplates.AkAttributes | TpmObjectAttributes.Decrypt)).ToArray();

        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(TpmVectors.Bytes("ek/ek_rsa_cert.der"), TpmVectors.Bytes("tpm2-tools/ak_rsa.pub"), decryptingAk, ""), CancellationToken.None);

        Assert.False(begin.Succeeded);
        EnrollmentFailureCode[] codes = [.. begin.Failures.Select(f => f.Code).Distinct()];
        Assert.Contains(EnrollmentFailureCode.MalformedRequest, codes);
        Assert.Contains(EnrollmentFailureCode.EkInvalid, codes);
        Assert.Contains(EnrollmentFailureCode.AkInvalid, codes);
        Assert.Contains(EnrollmentFailureCode.EkCertificateInvalid, codes);
    }

    [Fact]
    public async Task Registrar_AkBoundToOtherBuilder_AkBoundElsewhere()
    {
        using var ek = new SoftwareEk();
        var time = new FixedTime(Now);
        var store = new InMemoryEnrollmentStore();
        var registrar = new Registrar(new EkCertificateValidator([ek.Root], null, time), store, null, time);
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");
        await store.SaveBindingAsync(new AkBinding(akName, TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"), ek.Public.ComputeName(), "x", "builder-1", Now), CancellationToken.None);

        EnrollmentBeginResult begin = await registrar.BeginAsync(
            new EnrollmentRequest(ek.Certificate, ek.Public.ToSized(), TpmVectors.Bytes("tpm2-tools/ak_ecc.pub"), "builder-2"), CancellationToken.None);

        Assert.Equal(EnrollmentFailureCode.AkBoundElsewhere, Assert.Single(begin.Failures).Code);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
