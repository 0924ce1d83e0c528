using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Tpm.Attestation;
using Attest.Tpm.Keys;
using Attest.Tpm.Tests.Swtpm;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;

namespace Attest.LogServer.Tests.Enrollment;

/// <summary>Admission of documents carrying a <c>tpm</c> member, with quotes from a real swtpm.</summary>
public sealed class EvidenceAdmissionTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task Submit_EvidenceFromTheBoundAk_Accepted_OtherAkOrStatementOrMalformedRefused()
    {
        await using var server = await TestServer.StartAsync(null, "--Log:Tpm:EkRootsDirectory", await EnrollmentApiTests.SwtpmRootsAsync());
        using var builder = Samples.Builder("tpm-builder");
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = "/nonexistent/attest-event-log" });
        var ek = await attestor.GetEndorsementKeyAsync(EndorsementKeyKind.Rsa2048, null, Ct);
        var bound = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0070, Ct);
        // A primary AK is derived from the endorsement seed and its template: a second ECDSA AK would be the same key.
        var unbound = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0071, Ct);
        await EnrollAsync(server.Client, builder, attestor, ek, bound);

        var envelope = Samples.Statement("hello-2.12", builder.Name).Sign(builder);
        var good = await EvidenceAsync(attestor, bound, AttestationDocument.ComputeTpmQualifyingData(envelope));
        var fromUnbound = await EvidenceAsync(attestor, unbound, AttestationDocument.ComputeTpmQualifyingData(envelope));
        var otherEnvelope = Samples.Statement("hello-2.13", builder.Name).Sign(builder);
        var forOtherStatement = await EvidenceAsync(attestor, bound, AttestationDocument.ComputeTpmQualifyingData(otherEnvelope));

        using var accepted = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(envelope, good.ToJson()));
        using var unboundRefused = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(otherEnvelope, fromUnbound.ToJson()));
        using var mismatch = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(otherEnvelope, good.ToJson()));
        using var malformed = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(otherEnvelope, """{"version":1}"""u8));
        using var rightOne = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(otherEnvelope, forOtherStatement.ToJson()));

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        await AssertProblemAsync(unboundRefused, HttpStatusCode.Forbidden, "$.tpm.akName");
        await AssertProblemAsync(mismatch, HttpStatusCode.BadRequest, "$.tpm.attest");
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "$.tpm");
        Assert.Equal(HttpStatusCode.Created, rightOne.StatusCode);
    }

    [Fact]
    public async Task Submit_EvidenceWithoutRegistrar_OnlyFormatChecked()
    {
        await using var server = await TestServer.StartAsync();
        using var builder = Samples.Builder("tpm-builder");
        await Samples.RegisterAsync(server.Client, builder);
        await using var tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = "/nonexistent/attest-event-log" });
        var ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0072, Ct);
        var envelope = Samples.Statement("hello-2.12", builder.Name).Sign(builder);
        var evidence = await EvidenceAsync(attestor, ak, AttestationDocument.ComputeTpmQualifyingData(envelope));
        var other = Samples.Statement("hello-2.14", builder.Name).Sign(builder);

        using var accepted = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(envelope, evidence.ToJson()));
        using var malformed = await Samples.PostAsync(server.Client, AttestationDocument.Serialize(other, Encoding.UTF8.GetBytes("""{"version":2}""")));

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "$.tpm");
    }

    private static async Task<TpmEvidence> EvidenceAsync(TpmAttestor attestor, LoadedAttestationKey ak, byte[] qualifyingData)
    {
        var quote = await attestor.QuoteAsync(ak, qualifyingData, null, Ct);
        var pcrs = new PcrValueSet(quote.PcrValues);
        return new TpmEvidence(quote.Attest.Span, quote.Signature.Span, pcrs, quote.AkName.Span, quote.AkPublic.Span);
    }

    private static async Task EnrollAsync(HttpClient client, IdentityKey builder, TpmAttestor attestor, EndorsementKey ek, LoadedAttestationKey ak)
    {
        var material = await attestor.GetEnrollmentMaterialAsync(ek, ak, Ct);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            builderKeyId = builder.KeyId,
            ekPublic = Convert.ToBase64String(material.EkPublic.Span),
            ekCertificate = Convert.ToBase64String(material.EkCertificate!.Value.Span),
            akPublic = Convert.ToBase64String(material.AkPublic.Span),
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/tpm/enroll") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Attest-Signature", Convert.ToBase64String(builder.Sign(body)));
        using var enroll = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, enroll.StatusCode);
        var challenge = await enroll.Content.ReadFromJsonAsync<JsonElement>(Ct);
        byte[] secret = await attestor.ActivateCredentialAsync(ak, ek,
            Convert.FromBase64String(challenge.GetProperty("credentialBlob").GetString()!),
            Convert.FromBase64String(challenge.GetProperty("encryptedSecret").GetString()!), Ct);
        using var activate = await client.PostAsJsonAsync("v1/tpm/activate",
            new { enrollmentId = challenge.GetProperty("enrollmentId").GetString(), secret = Convert.ToBase64String(secret) }, Ct);
        Assert.Equal(HttpStatusCode.Created, activate.StatusCode);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
    }
}
