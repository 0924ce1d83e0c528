using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Provenance.Internal;
using Attest.Provenance.Json;
using Attest.Provenance.Signing;

namespace Attest.Provenance.Registry;

/// <summary>What a registry change does to a builder key.</summary>
public enum RegistryAction
{
    /// <summary>Registers the key (or re-activates a revoked one); written as <c>"add"</c>.</summary>
    Add = 1,

    /// <summary>Revokes the key; written as <c>"revoke"</c>.</summary>
    Revoke,

    /// <summary>
    /// Binds a TPM attestation key to the (active) builder key; written as <c>"ak-binding"</c>, with the member
    /// <c>tpm</c> (<see cref="RegistryChange.AkBinding"/>). It does not change which keys may write.
    /// </summary>
    AkBinding,
}

/// <summary>
/// A builder-registry change, appended to the log so the history of who could write is public. It is a DSSE envelope
/// with payload type <see cref="PayloadType"/>, signed by the log's admin key, stored as the entry
/// <c>{"dsse": &lt;envelope&gt;}</c> in RFC 8785 canonical form (the same outer shape as attestations, told apart by
/// the payload type). See docs/formats.md.
/// </summary>
/// <param name="Action">Add or revoke.</param>
/// <param name="Builder">The builder's public key with its registered name.</param>
/// <param name="Operator">Who made the change (an operator account name), 1 to 128 characters.</param>
/// <param name="Group">The operator group the builder belongs to, or null.</param>
/// <param name="Time">When the change was made (written to whole seconds, UTC).</param>
/// <param name="Reason">Why, up to 1,024 characters; may be empty.</param>
public sealed record RegistryChange(
    RegistryAction Action,
    IdentityPublicKey Builder,
    string Operator,
    string? Group,
    DateTimeOffset Time,
    string Reason)
{
    /// <summary>The TPM attestation key bound by an <see cref="RegistryAction.AkBinding"/> change; null for the other actions.</summary>
    public TpmAkBinding? AkBinding { get; init; }

    /// <summary>The DSSE payload type of registry changes.</summary>
    public const string PayloadType = "application/vnd.attest.registry-change.v1+json";

    /// <summary>The payload's <c>_type</c>.</summary>
    public const string ChangeType = "urn:attest:registry-change:v1";

    /// <summary>Longest operator or group name.</summary>
    public const int MaxOperatorLength = 128;

    /// <summary>Longest reason.</summary>
    public const int MaxReasonLength = 1024;

    private const DocumentErrorCode Code = DocumentErrorCode.InvalidRegistryChange;

    /// <summary>Serializes the change as canonical JSON (the DSSE payload).</summary>
    /// <returns>The canonical UTF-8 bytes.</returns>
    /// <exception cref="DocumentException">A field breaks the format's rules.</exception>
    public byte[] ToPayloadJson()
    {
        ArgumentNullException.ThrowIfNull(Builder);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", ChangeType);
            writer.WriteString("action", Action switch
            {
                RegistryAction.Add => "add",
                RegistryAction.Revoke => "revoke",
                RegistryAction.AkBinding => "ak-binding",
                _ => throw new DocumentException(new DocumentError(Code, "$.action", $"Unknown action {Action}.")),
            });
            writer.WriteString("builder", Builder.ToString());
            if (Group is not null)
            {
                writer.WriteString("group", Group);
            }

            writer.WriteString("operator", Operator);
            writer.WriteString("reason", Reason);
            writer.WriteString("time", Timestamps.Format(Time));
            if (AkBinding is { } binding)
            {
                writer.WriteStartObject("tpm");
                writer.WriteString("akName", Convert.ToHexStringLower(binding.AkName.Span));
                writer.WriteBase64String("akPublic", binding.AkPublic.Span);
                writer.WriteString("ekCertificateSha256", binding.EkCertificateSha256);
                writer.WriteString("ekName", Convert.ToHexStringLower(binding.EkName.Span));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        var canonical = JsonCanonicalizer.Canonicalize(buffer.WrittenSpan, DsseEnvelope.Unlimited);
        if (!TryParsePayload(canonical, out _, out var error))
        {
            throw new DocumentException(error);
        }

        return canonical;
    }

    /// <summary>Signs the change with the log's admin key and returns the log entry's canonical bytes.</summary>
    /// <param name="adminKey">The log's registry-admin key.</param>
    /// <returns>The entry <c>{"dsse": ...}</c> in canonical form.</returns>
    public byte[] ToLogEntry(IdentityKey adminKey)
    {
        var envelope = DsseEnvelope.Sign(PayloadType, ToPayloadJson(), adminKey);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("dsse");
            envelope.WriteTo(writer);
            writer.WriteEndObject();
        }

        return JsonCanonicalizer.Canonicalize(buffer.WrittenSpan, DsseEnvelope.Unlimited);
    }

    /// <summary>Parses a registry-change log entry and verifies the admin signature.</summary>
    /// <param name="entry">The entry bytes.</param>
    /// <param name="adminKey">The log's registry-admin public key.</param>
    /// <param name="change">The change on success.</param>
    /// <param name="error">Why the entry was refused: 400 for format errors, 401 when not signed by the admin key.</param>
    /// <returns>Whether the entry is a valid, admin-signed registry change.</returns>
    public static bool TryParseLogEntry(
        ReadOnlySpan<byte> entry,
        IdentityPublicKey adminKey,
        [NotNullWhen(true)] out RegistryChange? change,
        [NotNullWhen(false)] out DocumentError? error)
    {
        ArgumentNullException.ThrowIfNull(adminKey);
        change = null;
        DsseEnvelope envelope;
        try
        {
            using var document = StrictJson.ParseCanonical(entry, JsonCanonicalizationOptions.Default, "$", out _);
            var root = document.RootElement;
            StrictJson.RequireObject(root, "$", Code);
            StrictJson.OnlyMembers(root, "$", Code, "dsse");
            envelope = DsseEnvelope.FromElement(StrictJson.Required(root, "dsse", "$", Code), "$.dsse");
        }
        catch (DocumentFailure failure)
        {
            error = failure.Error;
            return false;
        }

        if (!string.Equals(envelope.PayloadType, PayloadType, StringComparison.Ordinal))
        {
            error = new DocumentError(
                DocumentErrorCode.UnsupportedPayloadType, "$.dsse.payloadType", $"Expected \"{PayloadType}\", found \"{envelope.PayloadType}\".");
            return false;
        }

        if (!envelope.IsSignedBy(adminKey))
        {
            error = new DocumentError(DocumentErrorCode.BadSignature, "$.dsse.signatures", "No signature by the log's admin key verifies over the DSSE PAE.");
            return false;
        }

        return TryParsePayload(envelope.Payload.Span, out change, out error, "$.dsse.payload");
    }

    /// <summary>Parses a registry change payload (no signature check).</summary>
    /// <param name="payload">The payload JSON.</param>
    /// <param name="change">The change on success.</param>
    /// <param name="error">What was wrong and where, on failure.</param>
    /// <param name="basePath">The path prefix for errors.</param>
    /// <returns>Whether the payload is a valid registry change.</returns>
    public static bool TryParsePayload(
        ReadOnlySpan<byte> payload,
        [NotNullWhen(true)] out RegistryChange? change,
        [NotNullWhen(false)] out DocumentError? error,
        string basePath = "$")
    {
        try
        {
            using var document = StrictJson.ParseCanonical(payload, JsonCanonicalizationOptions.Default, basePath, out _);
            change = FromElement(document.RootElement, basePath);
            error = null;
            return true;
        }
        catch (DocumentFailure failure)
        {
            change = null;
            error = failure.Error;
            return false;
        }
    }

    private static RegistryChange FromElement(JsonElement root, string path)
    {
        StrictJson.RequireObject(root, path, Code);
        StrictJson.OnlyMembers(root, path, Code, "_type", "action", "builder", "group", "operator", "reason", "time", "tpm");
        var type = StrictJson.RequiredString(root, "_type", path, Code, 256);
        if (!string.Equals(type, ChangeType, StringComparison.Ordinal))
        {
            StrictJson.Throw(Code, StrictJson.Member(path, "_type"), $"Expected \"{ChangeType}\", found \"{type}\".");
        }

        var action = StrictJson.RequiredString(root, "action", path, Code, 16) switch
        {
            "add" => RegistryAction.Add,
            "revoke" => RegistryAction.Revoke,
            "ak-binding" => RegistryAction.AkBinding,
            _ => throw StrictJson.Fail(Code, StrictJson.Member(path, "action"), "Expected \"add\", \"revoke\" or \"ak-binding\"."),
        };
        var builderText = StrictJson.RequiredString(root, "builder", path, Code, 512);
        if (!IdentityPublicKey.TryParse(builderText, out var builder, out var keyError))
        {
            throw StrictJson.Fail(Code, StrictJson.Member(path, "builder"), keyError);
        }

        var group = StrictJson.OptionalString(root, "group", path, Code, MaxOperatorLength);
        var operatorName = StrictJson.RequiredString(root, "operator", path, Code, MaxOperatorLength);
        var reason = StrictJson.RequiredString(root, "reason", path, Code, MaxReasonLength, allowEmpty: true);
        var time = StrictJson.ReadTimestamp(StrictJson.Required(root, "time", path, Code), StrictJson.Member(path, "time"), Code);
        TpmAkBinding? binding = null;
        if (root.TryGetProperty("tpm", out var tpm))
        {
            if (action != RegistryAction.AkBinding)
            {
                StrictJson.Throw(Code, StrictJson.Member(path, "tpm"), "Only an \"ak-binding\" change carries \"tpm\".");
            }

            binding = ReadAkBinding(tpm, StrictJson.Member(path, "tpm"));
        }
        else if (action == RegistryAction.AkBinding)
        {
            StrictJson.Throw(Code, StrictJson.Member(path, "tpm"), "An \"ak-binding\" change needs \"tpm\".");
        }

        return new RegistryChange(action, builder, operatorName, group, time, reason) { AkBinding = binding };
    }

    private static TpmAkBinding ReadAkBinding(JsonElement tpm, string path)
    {
        StrictJson.RequireObject(tpm, path, Code);
        StrictJson.OnlyMembers(tpm, path, Code, "akName", "akPublic", "ekCertificateSha256", "ekName");
        var akName = ReadHex(tpm, "akName", path, TpmAkBinding.MaxNameSize);
        var akPublic = StrictJson.RequiredBase64(tpm, "akPublic", path, Code, (TpmAkBinding.MaxPublicSize + 2) / 3 * 4, allowEmpty: false);
        if (akPublic.Length > TpmAkBinding.MaxPublicSize)
        {
            StrictJson.Throw(Code, StrictJson.Member(path, "akPublic"), $"The public area is {akPublic.Length} bytes; the limit is {TpmAkBinding.MaxPublicSize}.");
        }

        var ekCertificate = ReadHex(tpm, "ekCertificateSha256", path, 32);
        if (ekCertificate.Length != 32)
        {
            StrictJson.Throw(Code, StrictJson.Member(path, "ekCertificateSha256"), "Expected 64 lowercase hex digits (SHA-256).");
        }

        var ekName = ReadHex(tpm, "ekName", path, TpmAkBinding.MaxNameSize);
        return new TpmAkBinding(akName, akPublic, ekName, Convert.ToHexStringLower(ekCertificate));
    }

    private static byte[] ReadHex(JsonElement obj, string name, string path, int maxBytes)
    {
        var text = StrictJson.RequiredString(obj, name, path, Code, maxBytes * 2);
        if (text.Length % 2 != 0 || !text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            StrictJson.Throw(Code, StrictJson.Member(path, name), "Expected lowercase hex digits, two per byte.");
        }

        return Convert.FromHexString(text);
    }
}
