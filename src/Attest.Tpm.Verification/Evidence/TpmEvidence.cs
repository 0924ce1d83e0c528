using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Internal;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Evidence;

/// <summary>
/// The TPM evidence carried in an attestation document's "tpm" field (docs/tpm-evidence.md): the quote as the TPM
/// produced it, the PCR values it covers, which AK made it, and the boot event log or its digest. The agent writes
/// it; the log server and the verifier read it with <see cref="Parse(ReadOnlySpan{byte})"/> and check it with
/// <see cref="TpmEvidenceVerifier"/>. Immutable.
/// </summary>
public sealed class TpmEvidence
{
    /// <summary>The format version written and accepted.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The largest JSON document accepted.</summary>
    public const int MaxDocumentSize = 4 * 1024 * 1024;

    /// <summary>The largest event log accepted inside the evidence.</summary>
    public const int MaxEventLogSize = 2 * 1024 * 1024;

    private readonly byte[] _attest;
    private readonly byte[] _signature;
    private readonly byte[] _akName;
    private readonly byte[]? _akPublic;
    private readonly byte[]? _eventLog;
    private readonly byte[]? _eventLogSha256;

    /// <summary>Creates evidence; sizes are checked as the parser checks them.</summary>
    /// <param name="attest">TPMS_ATTEST bytes exactly as TPM2_Quote returned them (without the TPM2B size).</param>
    /// <param name="signature">TPMT_SIGNATURE bytes as TPM2_Quote returned them.</param>
    /// <param name="pcrs">The PCR values the quote covers, exactly its selection.</param>
    /// <param name="akName">The AK's Name.</param>
    /// <param name="akPublic">The AK's TPM2B_PUBLIC, or null when the verifier knows the AK by name from enrollment.</param>
    /// <param name="eventLog">The boot event log (binary_bios_measurements), or null.</param>
    /// <param name="eventLogSha256">SHA-256 of the event log when the log itself is not carried; computed when <paramref name="eventLog"/> is given.</param>
    /// <exception cref="ArgumentException">A field is empty, too large, or the digest disagrees with the log.</exception>
    public TpmEvidence(
        ReadOnlySpan<byte> attest, ReadOnlySpan<byte> signature, PcrValueSet pcrs, ReadOnlySpan<byte> akName,
        ReadOnlySpan<byte> akPublic = default, ReadOnlySpan<byte> eventLog = default, ReadOnlySpan<byte> eventLogSha256 = default)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        Check(attest.Length is > 0 and <= TpmAttest.MaxSize, "attest");
        Check(signature.Length is > 0 and <= 1024, "signature");
        Check(akName.Length is > 2 and <= TpmName.MaxSize, "akName");
        Check(akPublic.Length <= TpmPublic.MaxSize + 2, "akPublic");
        Check(eventLog.Length <= MaxEventLogSize, "eventLog");
        Check(eventLogSha256.IsEmpty || eventLogSha256.Length == 32, "eventLogSha256");
        Check(pcrs.Count > 0, "pcrs");
        _attest = attest.ToArray();
        _signature = signature.ToArray();
        Pcrs = pcrs;
        _akName = akName.ToArray();
        _akPublic = akPublic.IsEmpty ? null : akPublic.ToArray();
        _eventLog = eventLog.IsEmpty ? null : eventLog.ToArray();
        if (_eventLog is not null)
        {
            byte[] digest = SHA256.HashData(_eventLog);
            if (!eventLogSha256.IsEmpty && !eventLogSha256.SequenceEqual(digest))
            {
                throw new ArgumentException("eventLogSha256 is not the SHA-256 of eventLog.", nameof(eventLogSha256));
            }

            _eventLogSha256 = digest;
        }
        else
        {
            _eventLogSha256 = eventLogSha256.IsEmpty ? null : eventLogSha256.ToArray();
        }
    }

    /// <summary>TPMS_ATTEST bytes.</summary>
    public ReadOnlyMemory<byte> Attest => _attest;

    /// <summary>TPMT_SIGNATURE bytes.</summary>
    public ReadOnlyMemory<byte> Signature => _signature;

    /// <summary>The quoted PCR values.</summary>
    public PcrValueSet Pcrs { get; }

    /// <summary>The AK's Name.</summary>
    public ReadOnlyMemory<byte> AkName => _akName;

    /// <summary>The AK's TPM2B_PUBLIC, when carried.</summary>
    public ReadOnlyMemory<byte>? AkPublic => _akPublic is null ? default(ReadOnlyMemory<byte>?) : _akPublic;

    /// <summary>The event log, when carried.</summary>
    public ReadOnlyMemory<byte>? EventLog => _eventLog is null ? default(ReadOnlyMemory<byte>?) : _eventLog;

    /// <summary>SHA-256 of the event log, when a log or its digest is carried.</summary>
    public ReadOnlyMemory<byte>? EventLogSha256 => _eventLogSha256 is null ? default(ReadOnlyMemory<byte>?) : _eventLogSha256;

    /// <summary>Parses the evidence JSON object.</summary>
    /// <exception cref="FormatException">Malformed, unknown or duplicate fields, wrong encodings, or over a limit.</exception>
    public static TpmEvidence Parse(ReadOnlySpan<byte> utf8Json)
    {
        using JsonDocument doc = StrictJson.Parse(utf8Json, MaxDocumentSize, "tpm evidence");
        return Parse(doc.RootElement);
    }

    /// <summary>Parses the evidence from an already-parsed JSON element (the attestation document's "tpm" member).</summary>
    /// <exception cref="FormatException">Malformed, unknown fields, wrong encodings, or over a limit.</exception>
    public static TpmEvidence Parse(JsonElement element)
    {
        const string P = "$";
        StrictJson.RequireObject(element, P, "version", "attest", "signature", "pcrs", "akName", "akPublic", "eventLog", "eventLogSha256");
        if (StrictJson.Int(StrictJson.Required(element, "version", P), "$.version", 0, int.MaxValue) != CurrentVersion)
        {
            StrictJson.Fail("$.version", $"is not {CurrentVersion}");
        }

        byte[] attest = StrictJson.Base64(StrictJson.Required(element, "attest", P), "$.attest", TpmAttest.MaxSize);
        byte[] signature = StrictJson.Base64(StrictJson.Required(element, "signature", P), "$.signature", 1024);
        byte[] akName = StrictJson.Hex(StrictJson.Required(element, "akName", P), "$.akName", TpmName.MaxSize);
        byte[] akPublic = StrictJson.TryOptional(element, "akPublic", out JsonElement ap) ? StrictJson.Base64(ap, "$.akPublic", TpmPublic.MaxSize + 2) : [];
        byte[] log = StrictJson.TryOptional(element, "eventLog", out JsonElement el) ? StrictJson.Base64(el, "$.eventLog", MaxEventLogSize) : [];
        byte[] logDigest = StrictJson.TryOptional(element, "eventLogSha256", out JsonElement ed) ? StrictJson.Hex(ed, "$.eventLogSha256", 32) : [];
        PcrValueSet pcrs = ParsePcrs(StrictJson.Required(element, "pcrs", P));
        try
        {
            return new TpmEvidence(attest, signature, pcrs, akName, akPublic, log, logDigest);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"$: {e.Message}", e);
        }
    }

    /// <summary>Tries to parse the evidence JSON object.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out TpmEvidence? evidence, [NotNullWhen(false)] out string? error)
    {
        try
        {
            evidence = Parse(utf8Json);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            evidence = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Writes the evidence JSON object.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("version", CurrentVersion);
        writer.WriteBase64String("attest", _attest);
        writer.WriteBase64String("signature", _signature);
        StrictJson.WritePcrValues(writer, "pcrs", Pcrs.All);
        writer.WriteString("akName", Convert.ToHexStringLower(_akName));
        if (_akPublic is not null)
        {
            writer.WriteBase64String("akPublic", _akPublic);
        }

        if (_eventLog is not null)
        {
            writer.WriteBase64String("eventLog", _eventLog);
        }

        if (_eventLogSha256 is not null)
        {
            writer.WriteString("eventLogSha256", Convert.ToHexStringLower(_eventLogSha256));
        }

        writer.WriteEndObject();
    }

    /// <summary>The evidence JSON object as UTF-8.</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteTo(writer);
        }

        return stream.ToArray();
    }

    private static PcrValueSet ParsePcrs(JsonElement pcrs) => new(StrictJson.PcrValues(pcrs, "$.pcrs", PcrValueSet.MaxValues));

    private static void Check(bool ok, string field)
    {
        if (!ok)
        {
            throw new ArgumentException($"{field} is empty or outside its size limits.", field);
        }
    }
}
