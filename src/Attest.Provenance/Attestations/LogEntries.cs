using System.Text.Json;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Statements;

namespace Attest.Provenance.Attestations;

/// <summary>The kinds of document the log holds, told apart by the DSSE payload type.</summary>
public enum LogEntryKind
{
    /// <summary>Not a document of a known kind (or not JSON at all).</summary>
    Unknown = 0,

    /// <summary>An attestation: payload type <see cref="NixProvenance.PayloadType"/>; read it with <see cref="AttestationDocument"/>.</summary>
    Attestation,

    /// <summary>A builder-registry change: payload type <see cref="RegistryChange.PayloadType"/>; read it with <see cref="RegistryChange"/>.</summary>
    RegistryChange,
}

/// <summary>Helpers for readers of log entries (verifiers, mirrors, search) that meet both kinds of document.</summary>
public static class LogEntries
{
    /// <summary>
    /// Classifies an entry by its <c>dsse.payloadType</c> without validating it; parse it with the matching type to
    /// validate and verify.
    /// </summary>
    /// <param name="entry">The entry bytes.</param>
    /// <returns>The entry's kind, or <see cref="LogEntryKind.Unknown"/>.</returns>
    public static LogEntryKind Classify(ReadOnlySpan<byte> entry)
    {
        if (entry.Length > JsonCanonicalizationOptions.LogEntryLimit)
        {
            return LogEntryKind.Unknown;
        }

        try
        {
            var reader = new Utf8JsonReader(entry, new JsonReaderOptions { MaxDepth = JsonCanonicalizationOptions.Default.MaxDepth });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("dsse", out var dsse) ||
                dsse.ValueKind != JsonValueKind.Object ||
                !dsse.TryGetProperty("payloadType", out var type) ||
                type.ValueKind != JsonValueKind.String)
            {
                return LogEntryKind.Unknown;
            }

            return type.ValueEquals(NixProvenance.PayloadType) ? LogEntryKind.Attestation
                : type.ValueEquals(Registry.RegistryChange.PayloadType) ? LogEntryKind.RegistryChange
                : LogEntryKind.Unknown;
        }
        catch (JsonException)
        {
            return LogEntryKind.Unknown;
        }
    }
}
