using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Attest.Provenance.Signing;
using Attest.Tpm;
using Attest.Tpm.Attestation;

namespace Attest.Agent.Core.Tpm;

/// <summary>An AK bound to the builder key by a log's registrar.</summary>
/// <param name="AkName">The AK's Name, lowercase hex.</param>
/// <param name="BuilderKeyId">The builder key it is bound to.</param>
/// <param name="LogIndex">The index of the log's <c>ak-binding</c> registry entry.</param>
public sealed record TpmEnrollmentResult(string AkName, string BuilderKeyId, long LogIndex);

/// <summary>Enrollment failed; the message says at which step and why (the registrar's problem detail when it refused).</summary>
public sealed class TpmEnrollmentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TpmEnrollmentException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmEnrollmentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmEnrollmentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The agent's side of enrollment (<c>attest-agent tpm enroll</c>): sends the EK certificate, EK and AK public areas
/// to the log's registrar in a request signed by the builder key, answers its MakeCredential challenge with
/// TPM2_ActivateCredential, and returns the binding the log appended. See docs/log-api.md (<c>/v1/tpm/*</c>).
/// </summary>
public static partial class TpmEnrollmentClient
{
    /// <summary>The request header with the builder key's signature over the request body.</summary>
    public const string SignatureHeader = "Attest-Signature";

    /// <summary>Enrolls the configured AK (creating and persisting it if absent) with the log at <paramref name="logUrl"/>.</summary>
    /// <exception cref="TpmEnrollmentException">The TPM or the registrar failed; the message says why.</exception>
    public static async Task<TpmEnrollmentResult> EnrollAsync(
        HttpClient http, Uri logUrl, IdentityKey builder, AgentTpmOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(logUrl);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var baseUrl = logUrl.AbsoluteUri.EndsWith('/') ? logUrl : new Uri(logUrl.AbsoluteUri + "/");
        try
        {
            await using var tpm = TpmDevice.Open(options.Tcti);
            await tpm.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = options.EventLogPath });
            var ek = await attestor.GetEndorsementKeyAsync(options.EkKind, options.EkHandle, cancellationToken).ConfigureAwait(false);
            var ak = await attestor.EnsureAttestationKeyAsync(options.AkAlgorithm, options.AkHandle, cancellationToken).ConfigureAwait(false);
            var material = await attestor.GetEnrollmentMaterialAsync(ek, ak, cancellationToken).ConfigureAwait(false);
            if (material.EkCertificate is not { } certificate)
            {
                throw new TpmEnrollmentException($"The TPM holds no certificate for its {options.EkKind} EK; the registrar cannot check it.");
            }

            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new EnrollBody(
                builder.KeyId, Convert.ToBase64String(material.EkPublic.Span), Convert.ToBase64String(certificate.Span),
                Convert.ToBase64String(material.AkPublic.Span)), EnrollmentJsonContext.Default.EnrollBody);
            using var enroll = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/tpm/enroll")) { Content = new ByteArrayContent(body) };
            enroll.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            enroll.Headers.Add(SignatureHeader, Convert.ToBase64String(builder.Sign(body)));
            var challenge = await SendAsync(http, enroll, EnrollmentJsonContext.Default.ChallengeBody, "enroll", cancellationToken).ConfigureAwait(false);

            byte[] secret = await attestor.ActivateCredentialAsync(ak, ek,
                Decode(challenge.CredentialBlob, "credentialBlob"), Decode(challenge.EncryptedSecret, "encryptedSecret"), cancellationToken).ConfigureAwait(false);
            using var activate = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/tpm/activate"))
            {
                Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new ActivateBody(challenge.EnrollmentId, Convert.ToBase64String(secret)), EnrollmentJsonContext.Default.ActivateBody)),
            };
            activate.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var bound = await SendAsync(http, activate, EnrollmentJsonContext.Default.BindingBody, "activate", cancellationToken).ConfigureAwait(false);
            return new TpmEnrollmentResult(bound.AkName, bound.BuilderKeyId, bound.Index);
        }
        catch (Exception e) when (e is TpmException or TpmQuoteException or IOException or HttpRequestException
            or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new TpmEnrollmentException(e.Message, e);
        }
    }

    private static byte[] Decode(string? base64, string field) =>
        base64 is not null && base64.Length <= 4096 ? Convert.FromBase64String(base64)
            : throw new TpmEnrollmentException($"The registrar's challenge has no valid {field}.");

    private static async Task<T> SendAsync<T>(HttpClient http, HttpRequestMessage request, JsonTypeInfo<T> answerType, string step, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            string detail = text;
            try
            {
                using var problem = JsonDocument.Parse(text);
                if (problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    detail = d.GetString()!;
                }
            }
            catch (JsonException)
            {
                // Not problem+json (a proxy's page): the raw text is the best explanation there is.
            }

            throw new TpmEnrollmentException($"The registrar refused {step}: {(int)response.StatusCode} {detail}");
        }

        try
        {
            return JsonSerializer.Deserialize(text, answerType) ?? throw new TpmEnrollmentException($"The registrar's {step} answer is empty.");
        }
        catch (JsonException e)
        {
            throw new TpmEnrollmentException($"The registrar's {step} answer is not what was expected: {e.Message}", e);
        }
    }

    private sealed record EnrollBody(string BuilderKeyId, string EkPublic, string EkCertificate, string AkPublic);

    private sealed record ActivateBody(string EnrollmentId, string Secret);

    private sealed record ChallengeBody(string EnrollmentId, string CredentialBlob, string EncryptedSecret, DateTimeOffset ExpiresAt);

    private sealed record BindingBody(long Index, string BuilderKeyId, string AkName);

    // The registrar's JSON (camelCase, as ASP.NET Core's web defaults), source-generated for Native AOT.
    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
    [JsonSerializable(typeof(EnrollBody))]
    [JsonSerializable(typeof(ActivateBody))]
    [JsonSerializable(typeof(ChallengeBody))]
    [JsonSerializable(typeof(BindingBody))]
    private sealed partial class EnrollmentJsonContext : JsonSerializerContext;
}
