using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Log.Storage;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Tests.Swtpm;
using Microsoft.Extensions.DependencyInjection;

namespace Attest.LogServer.Tests.Enrollment;

/// <summary>The registrar endpoints of a real log server (Kestrel on loopback, RocksDB) driven by a real swtpm.</summary>
public sealed class EnrollmentApiTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task EnrollAndActivate_RealSwtpm_AppendsAdminSignedBindingThatSurvivesRestart()
    {
        string roots = await SwtpmRootsAsync();
        string data = Path.Combine(Path.GetTempPath(), "attest-enroll-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var builder = Samples.Builder("tpm-builder");
            string akName;
            long index;
            await using (var server = await TestServer.StartAsync(data, "--Log:Tpm:EkRootsDirectory", roots))
            {
                await Samples.RegisterAsync(server.Client, builder);
                await using var tpm = fixture.Instance.OpenDevice();
                var (attestor, ek, ak, material) = await MaterialAsync(tpm, 0x8101_0050);

                using var enroll = await EnrollAsync(server.Client, builder, material);
                Assert.Equal(HttpStatusCode.Created, enroll.StatusCode);
                var challenge = await enroll.Content.ReadFromJsonAsync<JsonElement>(Ct);
                byte[] secret = await attestor.ActivateCredentialAsync(ak, ek,
                    Convert.FromBase64String(challenge.GetProperty("credentialBlob").GetString()!),
                    Convert.FromBase64String(challenge.GetProperty("encryptedSecret").GetString()!), Ct);
                using var activate = await ActivateAsync(server.Client, challenge.GetProperty("enrollmentId").GetString()!, secret);

                Assert.Equal(HttpStatusCode.Created, activate.StatusCode);
                var bound = await activate.Content.ReadFromJsonAsync<JsonElement>(Ct);
                akName = bound.GetProperty("akName").GetString()!;
                index = bound.GetProperty("index").GetInt64();
                Assert.Equal(Convert.ToHexStringLower(ak.Name.Span), akName);
                Assert.Equal(builder.KeyId, bound.GetProperty("builderKeyId").GetString());

                await server.Services.GetRequiredService<Log.Engine.LogEngine>().WaitForCheckpointAsync(index + 1, Ct);
                var entry = server.Services.GetRequiredService<LogStore>().GetEntry(index)!;
                var adminKey = server.Services.GetRequiredService<ServerKeys>().AdminKey.PublicKey;
                Assert.True(RegistryChange.TryParseLogEntry(entry, adminKey, out var change, out var error), error?.ToString());
                Assert.Equal(RegistryAction.AkBinding, change.Action);
                Assert.Equal(builder.KeyId, change.Builder.KeyId);
                Assert.Equal(ak.Name.ToArray(), change.AkBinding!.AkName.ToArray());
                Assert.Equal(ak.Public.ToArray(), change.AkBinding.AkPublic.ToArray());
                Assert.Equal(ek.Name.ToArray(), change.AkBinding.EkName.ToArray());
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(material.EkCertificate!.Value.Span)), change.AkBinding.EkCertificateSha256);
            }

            await using (var restarted = await TestServer.StartAsync(data, "--Log:Tpm:EkRootsDirectory", roots))
            {
                var list = await restarted.Client.GetFromJsonAsync<JsonElement>($"v1/tpm/bindings?builder={builder.KeyId}", Ct);
                var binding = Assert.Single(list.EnumerateArray());
                Assert.Equal(akName, binding.GetProperty("akName").GetString());
                Assert.Equal(index, binding.GetProperty("index").GetInt64());
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Activate_WrongSecret_Returns403AndConsumesTheEnrollment()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync());
        using var builder = Samples.Builder();
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var (attestor, ek, ak, material) = await MaterialAsync(tpm, 0x8101_0051);
        using var enroll = await EnrollAsync(server.Client, builder, material);
        var challenge = await enroll.Content.ReadFromJsonAsync<JsonElement>(Ct);
        string id = challenge.GetProperty("enrollmentId").GetString()!;
        byte[] secret = await attestor.ActivateCredentialAsync(ak, ek,
            Convert.FromBase64String(challenge.GetProperty("credentialBlob").GetString()!),
            Convert.FromBase64String(challenge.GetProperty("encryptedSecret").GetString()!), Ct);
        byte[] wrong = (byte[])secret.Clone();
        wrong[0] ^= 1;

        using var refused = await ActivateAsync(server.Client, id, wrong);
        using var again = await ActivateAsync(server.Client, id, secret);

        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "secret");
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "enrollmentId");
        var list = await server.Client.GetFromJsonAsync<JsonElement>("v1/tpm/bindings", Ct);
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task Activate_AfterTheChallengeExpired_Returns410()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync(),
            "--Log:Tpm:ChallengeLifetime", "00:00:00.200");
        using var builder = Samples.Builder();
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var (attestor, ek, ak, material) = await MaterialAsync(tpm, 0x8101_0052);
        using var enroll = await EnrollAsync(server.Client, builder, material);
        var challenge = await enroll.Content.ReadFromJsonAsync<JsonElement>(Ct);
        byte[] secret = await attestor.ActivateCredentialAsync(ak, ek,
            Convert.FromBase64String(challenge.GetProperty("credentialBlob").GetString()!),
            Convert.FromBase64String(challenge.GetProperty("encryptedSecret").GetString()!), Ct);
        var expiresAt = challenge.GetProperty("expiresAt").GetDateTimeOffset();
        while (DateTimeOffset.UtcNow <= expiresAt)
        {
            await Task.Delay(100, Ct);
        }

        using var late = await ActivateAsync(server.Client, challenge.GetProperty("enrollmentId").GetString()!, secret);

        await AssertProblemAsync(late, HttpStatusCode.Gone, "enrollmentId");
    }

    [Fact]
    public async Task Enroll_EkCertificateFromAnotherCa_Returns422()
    {
        string otherCa = Directory.CreateTempSubdirectory("attest-other-ca-").FullName;
        try
        {
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var request = new CertificateRequest("CN=Some Other TPM Vendor Root", key, HashAlgorithmName.SHA256);
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
                using var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
                await File.WriteAllTextAsync(Path.Combine(otherCa, "root.pem"), root.ExportCertificatePem(), Ct);
            }

            await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", otherCa);
            using var builder = Samples.Builder();
            await Samples.RegisterAsync(server.Client, builder);
            await using var tpm = fixture.Instance.OpenDevice();
            var (_, _, _, material) = await MaterialAsync(tpm, 0x8101_0053);

            using var enroll = await EnrollAsync(server.Client, builder, material);

            await AssertProblemAsync(enroll, HttpStatusCode.UnprocessableEntity, "ekCertificate");
        }
        finally
        {
            Directory.Delete(otherCa, recursive: true);
        }
    }

    [Fact]
    public async Task Enroll_AkWithDecryptAttribute_Returns422()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync());
        using var builder = Samples.Builder();
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var (_, _, _, material) = await MaterialAsync(tpm, 0x8101_0054);
        byte[] akPublic = material.AkPublic.ToArray();

        // TPM2B_PUBLIC: size (2), type (2), nameAlg (2), objectAttributes (4, big-endian); decrypt is bit 17 (Part 2 §8.3).
        akPublic[7] |= 0x02;

        using var enroll = await EnrollAsync(server.Client, builder, material with { AkPublic = akPublic });

        await AssertProblemAsync(enroll, HttpStatusCode.UnprocessableEntity, "akPublic");
    }

    [Fact]
    public async Task Enroll_SignatureByAnotherKey_Returns401()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync());
        using var builder = Samples.Builder();
        using var intruder = Samples.Builder("intruder");
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var (_, _, _, material) = await MaterialAsync(tpm, 0x8101_0055);

        using var enroll = await EnrollAsync(server.Client, builder, material, signer: intruder);

        await AssertProblemAsync(enroll, HttpStatusCode.Unauthorized, "Attest-Signature");
    }

    [Fact]
    public async Task Enroll_UnregisteredBuilder_Returns403()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync());
        using var builder = Samples.Builder();
        await using var tpm = fixture.Instance.OpenDevice();
        var (_, _, _, material) = await MaterialAsync(tpm, 0x8101_0056);

        using var enroll = await EnrollAsync(server.Client, builder, material);

        await AssertProblemAsync(enroll, HttpStatusCode.Forbidden, "builderKeyId");
    }

    [Fact]
    public async Task Enroll_MissingField_Returns400NamingIt()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await SwtpmRootsAsync());
        using var builder = Samples.Builder();
        await Samples.RegisterAsync(server.Client, builder);
        byte[] body = Encoding.UTF8.GetBytes($$"""{"builderKeyId":"{{builder.KeyId}}","ekPublic":"AAAA","akPublic":"AAAA"}""");

        using var response = await PostSignedAsync(server.Client, "v1/tpm/enroll", body, builder);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "ekCertificate");
    }

    [Fact]
    public async Task Enroll_NoEkRootsConfigured_Returns404()
    {
        await using var server = await TestServer.StartAsync();
        using var builder = Samples.Builder();
        await Samples.RegisterAsync(server.Client, builder);

        using var response = await PostSignedAsync(server.Client, "v1/tpm/enroll", "{}"u8.ToArray(), builder);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    // One read-only copy per test run: the same two certificates serve every test.
    private static readonly Lazy<Task<string>> SwtpmRoots = new(CopySwtpmRootsAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static Task<string> SwtpmRootsAsync() => SwtpmRoots.Value;

    private static async Task<string> CopySwtpmRootsAsync()
    {
        // The CA directory also holds the CA's private keys; the log gets only the two certificates.
        string ca = await SwtpmInstance.CaDirectoryAsync();
        string roots = Directory.CreateTempSubdirectory("attest-ek-roots-").FullName;
        File.Copy(Path.Combine(ca, "swtpm-localca-rootca-cert.pem"), Path.Combine(roots, "swtpm-localca-rootca-cert.pem"));
        File.Copy(Path.Combine(ca, "issuercert.pem"), Path.Combine(roots, "issuercert.pem"));

        // One copy serves every test of the run (the servers under test only read it); it goes when the test host exits.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(roots, recursive: true);
            }
            catch (IOException)
            {
                // Best effort at exit.
            }
        };
        return roots;
    }

    private static async Task<(TpmAttestor Attestor, EndorsementKey Ek, LoadedAttestationKey Ak, EnrollmentMaterial Material)> MaterialAsync(Tpm.TpmDevice tpm, uint akHandle)
    {
        var attestor = new TpmAttestor(tpm);
        var ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, null, Ct);
        var ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, akHandle, Ct);
        return (attestor, ek, ak, await attestor.GetEnrollmentMaterialAsync(ek, ak, Ct));
    }

    private static Task<HttpResponseMessage> EnrollAsync(HttpClient client, IdentityKey builder, EnrollmentMaterial material, IdentityKey? signer = null)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            builderKeyId = builder.KeyId,
            ekPublic = Convert.ToBase64String(material.EkPublic.Span),
            ekCertificate = Convert.ToBase64String(material.EkCertificate!.Value.Span),
            akPublic = Convert.ToBase64String(material.AkPublic.Span),
        });
        return PostSignedAsync(client, "v1/tpm/enroll", body, signer ?? builder);
    }

    private static async Task<HttpResponseMessage> PostSignedAsync(HttpClient client, string path, byte[] body, IdentityKey signer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Attest-Signature", Convert.ToBase64String(signer.Sign(body)));
        return await client.SendAsync(request, Ct);
    }

    private static Task<HttpResponseMessage> ActivateAsync(HttpClient client, string enrollmentId, byte[] secret) =>
        client.PostAsJsonAsync("v1/tpm/activate", new { enrollmentId, secret = Convert.ToBase64String(secret) }, Ct);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
    }
}
