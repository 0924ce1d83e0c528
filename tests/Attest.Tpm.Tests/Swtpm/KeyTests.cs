using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Tests.Swtpm;

public sealed class KeyTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task GetEndorsementKey_RsaTemplate_MatchesPersistentEkAndCertificateKey()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);

        EndorsementKey fromTemplate = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, null, Ct);
        EndorsementKey persistent = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, TpmHandles.PersistentEkRsa, Ct);
        byte[]? der = await attestor.ReadEkCertificateAsync(fromTemplate.CertificateIndex, Ct);

        Assert.True(fromTemplate.IsTransient);
        Assert.False(persistent.IsTransient);
        Assert.Equal(persistent.Name.ToArray(), fromTemplate.Name.ToArray());
        Assert.Equal(TpmHandles.EkCertificateRsa2048, fromTemplate.CertificateIndex);
        Assert.NotNull(der);
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal(cert.PublicKey.ExportSubjectPublicKeyInfo(), fromTemplate.PublicArea.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task ReadEkCertificate_WithIndexAuthInsteadOfOwner_ReadsTheSameCertificate()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        byte[]? asOwner = await new TpmAttestor(tpm).ReadEkCertificateAsync(TpmHandles.EkCertificateRsa2048, Ct);
        byte[]? asIndex = await new TpmAttestor(tpm, new TpmAttestorOptions { ReadEkCertificateAsOwner = false })
            .ReadEkCertificateAsync(TpmHandles.EkCertificateRsa2048, Ct);

        Assert.NotNull(asOwner);
        Assert.Equal(asOwner, asIndex);
    }

    [Fact]
    public async Task ReadEkCertificate_WrongOwnerPassword_ThrowsAuthFailureOnSession1()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { OwnerAuth = TpmAuth.Password("wrong"u8) });

        TpmException ex = await Assert.ThrowsAsync<TpmException>(() => attestor.ReadEkCertificateAsync(TpmHandles.EkCertificateRsa2048, Ct));

        Assert.Equal(TpmCommandCode.NvRead, ex.Command);
        Assert.Equal(1, ex.ResponseCode.SessionNumber);
    }

    [Fact]
    public async Task GetEndorsementKey_EccTemplate_IsP256WithTemplateAttributesAndNoCertificateOnSwtpm()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);

        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.EccP256, null, Ct);

        Assert.Equal(TpmAlgorithm.Ecc, ek.PublicArea.Type);
        Assert.Equal(TpmEccCurve.NistP256, ek.PublicArea.EccCurve);
        Assert.Equal(TpmTemplates.EkAttributes, ek.PublicArea.Attributes);
        Assert.Equal(32, ek.PublicArea.EccX.Length);
        Assert.Equal(32, ek.PublicArea.EccY.Length);
        Assert.Equal(TpmHandles.EkCertificateEccP256, ek.CertificateIndex);

        // swtpm 0.7.1 certifies a P-384 EK instead, so the P-256 index is not defined.
        Assert.Null(await attestor.ReadEkCertificateAsync(ek.CertificateIndex, Ct));
    }

    [Fact]
    public async Task GetEndorsementKey_PersistentEccEk_MatchesP384CertificateKey()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);

        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.EccP256, 0x8101_0016, Ct);
        byte[]? der = await attestor.ReadEkCertificateAsync(ek.CertificateIndex, Ct);

        Assert.Equal(TpmEccCurve.NistP384, ek.PublicArea.EccCurve);
        Assert.Equal(TpmHandles.EkCertificateEccP384, ek.CertificateIndex);
        Assert.NotNull(der);
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal(cert.PublicKey.ExportSubjectPublicKeyInfo(), ek.PublicArea.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task GetEndorsementKey_PersistentHandleHoldsSigningKey_Throws()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0030, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, 0x8101_0030, Ct));
    }

    [Fact]
    public async Task NvReadAll_IndexLargerThanNvBufferMax_ReadsInChunks()
    {
        // An index of 2000 bytes defined and written by tpm2-tools, so it spans two 1024-byte NV_Read chunks.
        const uint index = 0x0150_0016;
        byte[] data = new byte[2000];
        new Random(7).NextBytes(data);
        string file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, data);
        try
        {
            string tcti = $"--tcti={fixture.Instance.Tcti}";
            Assert.Equal(0, (await SwtpmInstance.RunAsync("tpm2_nvdefine", tcti, "-C", "o", "-s", "2000", "-a", "ownerread|ownerwrite|authread|authwrite", $"0x{index:x}")).ExitCode);
            Assert.Equal(0, (await SwtpmInstance.RunAsync("tpm2_nvwrite", tcti, "-C", "o", "-i", file, $"0x{index:x}")).ExitCode);

            await using TpmDevice tpm = fixture.Instance.OpenDevice();
            byte[] read = await tpm.NvReadAllAsync(index, null, null, Ct);

            Assert.Equal(1024, await tpm.GetNvBufferMaxAsync(Ct));
            Assert.Equal(data, read);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task NvReadAll_EkCertificateIndex_EqualsTpm2ToolsRead()
    {
        string file = Path.GetTempFileName();
        try
        {
            (int exit, string output) = await SwtpmInstance.RunAsync("tpm2_nvread", $"--tcti={fixture.Instance.Tcti}", "-C", "o", "-o", file, "0x1c00002");
            Assert.True(exit == 0, output);
            await using TpmDevice tpm = fixture.Instance.OpenDevice();

            byte[] ours = await tpm.NvReadAllAsync(TpmHandles.EkCertificateRsa2048, null, null, Ct);

            Assert.Equal(await File.ReadAllBytesAsync(file), ours);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0010u)]
    [InlineData(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0011u)]
    public async Task EnsureAttestationKey_Absent_CreatesPersistsAndReloadsTheSameKey(AttestationKeyAlgorithm algorithm, uint handle)
    {
        LoadedAttestationKey created;
        await using (TpmDevice tpm = fixture.Instance.OpenDevice())
        {
            created = await new TpmAttestor(tpm).EnsureAttestationKeyAsync(algorithm, handle, Ct);
            Assert.Empty(tpm.TrackedHandles);
            Assert.Empty(await tpm.GetHandlesAsync(0x8000_0000, Ct));
            Assert.Contains(handle, await tpm.GetHandlesAsync(0x8100_0000, Ct));
        }

        await using TpmDevice again = fixture.Instance.OpenDevice();
        LoadedAttestationKey reloaded = await new TpmAttestor(again).EnsureAttestationKeyAsync(algorithm, handle, Ct);

        Assert.Equal(handle, created.Handle);
        Assert.Equal(created.Name.ToArray(), reloaded.Name.ToArray());
        Assert.Equal(TpmTemplates.AkAttributes, reloaded.PublicArea.Attributes);
        Assert.Equal(algorithm == AttestationKeyAlgorithm.EcdsaP256 ? TpmAlgorithm.EcDsa : TpmAlgorithm.RsaSsa, reloaded.PublicArea.Scheme.Scheme);
        Assert.Equal(reloaded.PublicArea.ComputeName(), reloaded.Name.ToArray());
    }

    [Fact]
    public async Task EnsureAttestationKey_HandleHoldsOtherAlgorithm_ThrowsWithoutOverwriting()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ecc = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0012, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0012, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, TpmHandles.PersistentEkRsa, Ct));

        Assert.Equal(ecc.Name.ToArray(), (await tpm.ReadPublicAsync(0x8101_0012, Ct)).Name.ToArray());
    }

    [Fact]
    public async Task DeleteAttestationKey_Persistent_RemovesHandle()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0013, Ct);

        await attestor.DeleteAttestationKeyAsync(0x8101_0013, Ct);

        Assert.DoesNotContain(0x8101_0013u, await tpm.GetHandlesAsync(0x8100_0000, Ct));
    }

    [Fact]
    public async Task GetEnrollmentMaterial_RsaEk_HasCertificateAndAkName()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        EndorsementKey ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, TpmHandles.PersistentEkRsa, Ct);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0014, Ct);

        EnrollmentMaterial material = await attestor.GetEnrollmentMaterialAsync(ek, ak, Ct);

        Assert.NotNull(material.EkCertificate);
        Assert.Equal(ek.Public.ToArray(), material.EkPublic.ToArray());
        Assert.Equal(ak.Name.ToArray(), material.AkName.ToArray());
        Assert.Equal(TpmPublic.ParseSized(material.AkPublic.Span).ComputeName(), material.AkName.ToArray());
    }
}
