using System.Text.Json;
using Attest.Log.Admission;
using Attest.Log.Enrollment;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.LogServer.Apis;

/// <summary>
/// The TPM registrar (Keylime's registrar, go-attestation's enrollment): <c>POST /v1/tpm/enroll</c> checks the EK
/// certificate and the AK and answers with a MakeCredential challenge; <c>POST /v1/tpm/activate</c> takes the
/// credential the agent recovered with TPM2_ActivateCredential and appends the AK binding to the log as an
/// admin-signed <c>ak-binding</c> registry change. <c>GET /v1/tpm/bindings</c> lists the bindings. See docs/log-api.md.
/// </summary>
internal static class EnrollmentApi
{
    /// <summary>The header carrying the builder key's Ed25519 signature (standard base64) over the exact request body.</summary>
    public const string SignatureHeader = "Attest-Signature";

    /// <summary>Largest enroll or activate body.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapEnrollmentApi(this IEndpointRouteBuilder routes)
    {
        var tpm = routes.MapGroup("/v1/tpm");
        tpm.MapPost("/enroll", EnrollAsync);
        tpm.MapPost("/activate", ActivateAsync);
        tpm.MapGet("/bindings", ListBindings);
        return routes;
    }

    internal sealed record ChallengeResponse(string EnrollmentId, string CredentialBlob, string EncryptedSecret, DateTimeOffset ExpiresAt);

    internal sealed record BindingResponse(long? Index, string BuilderKeyId, string AkName, string AkPublic, string EkName, string EkCertificateSha256, DateTimeOffset EnrolledAt);

    private static async Task<IResult> EnrollAsync(HttpContext context, TpmRegistrarHost host, BuilderAdministration builders, ILogger<TpmRegistrarHost> logger)
    {
        if (host.Registrar is not { } registrar)
        {
            return NotConfigured(context);
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            return Problems.Create(context, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is over {MaxBodyBytes} bytes.");
        }

        EnrollmentRequest request;
        try
        {
            request = ParseEnrollRequest(body);
        }
        catch (RequestFieldException ex)
        {
            return Problems.BadParameter(context, ex.Field, ex.Message);
        }

        if (!builders.Registry.TryResolve(request.BuilderKeyId, out var builder) || builder.IsRevoked)
        {
            return Problems.Create(context, StatusCodes.Status403Forbidden, "Builder key not active",
                $"The builder key {request.BuilderKeyId} is not registered or is revoked.", "builderKeyId");
        }

        var signature = context.Request.Headers[SignatureHeader].ToString();
        var signatureBytes = new byte[64];
        if (!Convert.TryFromBase64String(signature, signatureBytes, out var written) || written != signatureBytes.Length
            || !builder.Key.Verify(body, signatureBytes))
        {
            context.Response.Headers.WWWAuthenticate = SignatureHeader;
            return Problems.Create(context, StatusCodes.Status401Unauthorized, "Request not signed by the builder",
                $"Send {SignatureHeader}: base64 of the builder key's Ed25519 signature over the exact request body.", SignatureHeader);
        }

        EnrollmentBeginResult result;
        try
        {
            result = await registrar.BeginAsync(request, context.RequestAborted);
        }
        catch (InvalidOperationException ex)
        {
            return Problems.Create(context, StatusCodes.Status503ServiceUnavailable, "Registrar busy", ex.Message, retryAfter: TimeSpan.FromSeconds(30));
        }

        if (!result.Succeeded)
        {
            LogMessages.EnrollmentRefused(logger, request.BuilderKeyId, string.Join("; ", result.Failures));
            return Refused(context, result.Failures);
        }

        var challenge = result.Challenge!;
        LogMessages.EnrollmentChallenged(logger, request.BuilderKeyId, challenge.EnrollmentId);
        return Results.Created($"/v1/tpm/enrollments/{challenge.EnrollmentId}", new ChallengeResponse(
            challenge.EnrollmentId, Convert.ToBase64String(challenge.CredentialBlob.Span), Convert.ToBase64String(challenge.EncryptedSecret.Span), challenge.ExpiresAt));
    }

    private static async Task<IResult> ActivateAsync(HttpContext context, TpmRegistrarHost host, ILogger<TpmRegistrarHost> logger)
    {
        if (host.Registrar is not { } registrar)
        {
            return NotConfigured(context);
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            return Problems.Create(context, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is over {MaxBodyBytes} bytes.");
        }

        string enrollmentId;
        byte[] secret;
        try
        {
            using var document = ParseObject(body, "enrollmentId", "secret");
            enrollmentId = RequiredString(document.RootElement, "enrollmentId", 64);
            secret = RequiredBase64(document.RootElement, "secret", 128);
        }
        catch (RequestFieldException ex)
        {
            return Problems.BadParameter(context, ex.Field, ex.Message);
        }

        EnrollmentCompleteResult result;
        try
        {
            result = await registrar.CompleteAsync(enrollmentId, secret, context.RequestAborted);
        }
        catch (InvalidOperationException ex)
        {
            LogMessages.EnrollmentRefused(logger, enrollmentId, ex.Message);
            return Problems.Create(context, StatusCodes.Status409Conflict, "Binding refused", ex.Message, "enrollmentId");
        }

        if (!result.Succeeded)
        {
            LogMessages.EnrollmentRefused(logger, enrollmentId, string.Join("; ", result.Failures));
            return Refused(context, result.Failures);
        }

        var binding = result.Binding!;
        host.Store!.TryGetBindingIndex(binding.AkName.Span, out var index);
        LogMessages.AkBound(logger, binding.BuilderKeyId, Convert.ToHexStringLower(binding.AkName.Span), index);
        return Results.Created($"/v1/entries/{index}", ToResponse(binding, index));
    }

    private static IResult ListBindings(HttpContext context, TpmRegistrarHost host, string? builder, string? akName)
    {
        if (host.Store is not { } store)
        {
            return NotConfigured(context);
        }

        var bindings = store.Bindings
            .Where(b => (builder is null || b.Value.BuilderKeyId == builder) && (akName is null || b.Key == akName))
            .OrderBy(b => store.TryGetBindingIndex(b.Value.AkName.Span, out var i) ? i : long.MaxValue)
            .Select(b => ToResponse(b.Value, store.TryGetBindingIndex(b.Value.AkName.Span, out var i) ? i : null));
        return Results.Ok(bindings);
    }

    private static BindingResponse ToResponse(AkBinding binding, long? index) => new(
        index, binding.BuilderKeyId, Convert.ToHexStringLower(binding.AkName.Span), Convert.ToBase64String(binding.AkPublic.Span),
        Convert.ToHexStringLower(binding.EkName.Span), binding.EkCertificateSha256, binding.EnrolledAt);

    private static IResult NotConfigured(HttpContext context) =>
        Problems.Create(context, StatusCodes.Status404NotFound, "TPM enrollment not configured", "This log has no EK roots configured (Log:Tpm:EkRootsDirectory).");

    private static IResult Refused(HttpContext context, IReadOnlyList<EnrollmentFailure> failures)
    {
        var first = failures[0].Code;
        var (status, title, field) = first switch
        {
            EnrollmentFailureCode.MalformedRequest => (StatusCodes.Status400BadRequest, "Malformed enrollment", (string?)null),
            EnrollmentFailureCode.EkCertificateInvalid => (StatusCodes.Status422UnprocessableEntity, "EK certificate refused", "ekCertificate"),
            EnrollmentFailureCode.EkInvalid => (StatusCodes.Status422UnprocessableEntity, "EK refused", "ekPublic"),
            EnrollmentFailureCode.AkInvalid => (StatusCodes.Status422UnprocessableEntity, "AK refused", "akPublic"),
            EnrollmentFailureCode.AkBoundElsewhere => (StatusCodes.Status409Conflict, "AK bound to another builder", "akPublic"),
            EnrollmentFailureCode.UnknownEnrollment => (StatusCodes.Status404NotFound, "Unknown enrollment", "enrollmentId"),
            EnrollmentFailureCode.Expired => (StatusCodes.Status410Gone, "Enrollment expired", "enrollmentId"),
            _ => (StatusCodes.Status403Forbidden, "Credential not activated", "secret"),
        };

        // Expiry outranks a wrong secret: the agent should start over either way, and the reason is then the clearer one.
        if (failures.Any(f => f.Code == EnrollmentFailureCode.Expired))
        {
            (status, title, field) = (StatusCodes.Status410Gone, "Enrollment expired", "enrollmentId");
        }

        return Problems.Create(context, status, title, string.Join("; ", failures), field,
            extensions: new Dictionary<string, object?> { ["reasons"] = failures.Select(f => f.Code.ToString()).ToArray() });
    }

    private static EnrollmentRequest ParseEnrollRequest(byte[] body)
    {
        using var document = ParseObject(body, "builderKeyId", "ekPublic", "ekCertificate", "akPublic", "ekIntermediates");
        var root = document.RootElement;
        var builderKeyId = RequiredString(root, "builderKeyId", 64);
        var ekPublic = RequiredBase64(root, "ekPublic", 2048);
        var ekCertificate = RequiredBase64(root, "ekCertificate", EkCertificateValidator.MaxCertificateSize);
        var akPublic = RequiredBase64(root, "akPublic", 2048);
        List<ReadOnlyMemory<byte>> intermediates = [];
        if (root.TryGetProperty("ekIntermediates", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > 8)
            {
                throw new RequestFieldException("ekIntermediates", "ekIntermediates must be an array of at most 8 base64 DER certificates.");
            }

            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                intermediates.Add(DecodeBase64(item, $"ekIntermediates[{i++}]", EkCertificateValidator.MaxCertificateSize));
            }
        }

        return new EnrollmentRequest(ekCertificate, ekPublic, akPublic, builderKeyId, intermediates);
    }

    private static JsonDocument ParseObject(byte[] body, params string[] allowed)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException ex)
        {
            throw new RequestFieldException("$", $"The body is not JSON: {ex.Message}");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new RequestFieldException("$", "The body must be a JSON object.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            if (!allowed.Contains(member.Name, StringComparer.Ordinal) || !seen.Add(member.Name))
            {
                document.Dispose();
                throw new RequestFieldException(member.Name, $"Unknown or duplicate member \"{member.Name}\".");
            }
        }

        return document;
    }

    private static string RequiredString(JsonElement root, string name, int maxLength)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new RequestFieldException(name, $"{name} (a string) is required.");
        }

        var text = value.GetString()!;
        if (text.Length == 0 || text.Length > maxLength || text.Any(char.IsControl))
        {
            throw new RequestFieldException(name, $"{name} must be 1 to {maxLength} characters without control characters.");
        }

        return text;
    }

    private static byte[] RequiredBase64(JsonElement root, string name, int maxBytes)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            throw new RequestFieldException(name, $"{name} (base64) is required.");
        }

        return DecodeBase64(value, name, maxBytes);
    }

    private static byte[] DecodeBase64(JsonElement value, string name, int maxBytes)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new RequestFieldException(name, $"{name} must be a base64 string.");
        }

        var text = value.GetString()!;
        if (text.Length == 0 || text.Length > (maxBytes + 2) / 3 * 4)
        {
            throw new RequestFieldException(name, $"{name} must be 1 to {maxBytes} bytes.");
        }

        var bytes = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            throw new RequestFieldException(name, $"{name} is not standard padded base64.");
        }

        return bytes.AsSpan(0, written).ToArray();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }

        return buffer.ToArray();
    }

    private sealed class RequestFieldException(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }
}

/// <summary>The registrar of a running log: null members when no EK roots are configured.</summary>
/// <param name="Registrar">The registrar over the log's enrollment store.</param>
/// <param name="Store">The enrollment store (AK bindings replayed from the log).</param>
internal sealed record TpmRegistrarHost(Registrar? Registrar, LogEnrollmentStore? Store);
