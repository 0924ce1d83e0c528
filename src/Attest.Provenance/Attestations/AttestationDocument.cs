using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Nix;
using Attest.Provenance.Internal;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.Provenance.Attestations;

/// <summary>
/// The log's main kind of entry: <c>{"dsse": &lt;DSSE envelope&gt;, "tpm": &lt;optional TPM evidence object&gt;}</c> as
/// RFC 8785 canonical JSON, whose DSSE payload is a <see cref="NixProvenance"/> statement.
/// </summary>
/// <remarks>
/// <para>A parsed document has passed every structural rule (size, JSON, envelope, payload type, statement,
/// predicate type, subjects, predicate schema): failures are 413 or 400 with the field's path. Signature checks are
/// separate (<see cref="TryVerify"/>, or <see cref="AttestationAdmission"/> for both).</para>
/// <para>The envelope must carry exactly one signature, with the builder's 64-character key id.</para>
/// <para>The <c>tpm</c> member is opaque here (any JSON object); src/Attest.Tpm.Verification defines it. Its quote's
/// qualifying data is <see cref="ComputeTpmQualifyingData(DsseEnvelope)"/>: SHA-256 of the envelope's PAE.</para>
/// </remarks>
public sealed class AttestationDocument
{
    private readonly byte[] _canonical;
    private readonly byte[]? _tpm;

    private AttestationDocument(byte[] canonical, DsseEnvelope envelope, NixProvenance statement, byte[]? tpm)
    {
        _canonical = canonical;
        Envelope = envelope;
        Statement = statement;
        _tpm = tpm;
    }

    /// <summary>Gets the document's canonical bytes: what the log stores as the leaf and deduplicates on.</summary>
    public ReadOnlyMemory<byte> CanonicalBytes => _canonical;

    /// <summary>Gets the DSSE envelope.</summary>
    public DsseEnvelope Envelope { get; }

    /// <summary>Gets the signed statement.</summary>
    public NixProvenance Statement { get; }

    /// <summary>Gets the canonical JSON of the <c>tpm</c> object, or null when the document has none.</summary>
    public ReadOnlyMemory<byte>? TpmEvidence => _tpm is null ? (ReadOnlyMemory<byte>?)null : _tpm;

    /// <summary>Gets the key id of the envelope's single signature.</summary>
    public string SignerKeyId => Envelope.Signatures[0].KeyId;

    /// <summary>Gets the derivation that was built (indexed by the log as <c>drvPath</c>).</summary>
    public StorePath DerivationPath => Statement.Derivation;

    /// <summary>Gets the output store paths (indexed as <c>storePath</c>), in subject order.</summary>
    public IEnumerable<StorePath> StorePaths => Statement.Outputs.Select(o => o.Path);

    /// <summary>Gets the outputs' NAR hashes (indexed as <c>narHash</c>), in subject order.</summary>
    public IEnumerable<NixHash> NarHashes => Statement.Outputs.Select(o => o.NarHash);

    /// <summary>
    /// Builds a document's canonical bytes from a signed envelope and optional TPM evidence.
    /// </summary>
    /// <param name="envelope">The signed statement envelope.</param>
    /// <param name="tpmEvidenceJson">The TPM evidence as a UTF-8 JSON object, or empty for none.</param>
    /// <returns>The canonical document bytes, ready to submit.</returns>
    /// <exception cref="DocumentException">The result would not be an acceptable document (for example too large).</exception>
    public static byte[] Serialize(DsseEnvelope envelope, ReadOnlySpan<byte> tpmEvidenceJson = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var buffer = new ArrayBufferWriter<byte>(envelope.Payload.Length * 4 / 3 + 512 + tpmEvidenceJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("dsse");
            envelope.WriteTo(writer);
            if (!tpmEvidenceJson.IsEmpty)
            {
                writer.WritePropertyName("tpm");
                writer.WriteRawValue(tpmEvidenceJson, skipInputValidation: false);
            }

            writer.WriteEndObject();
        }

        var document = Parse(buffer.WrittenSpan);
        return document._canonical;
    }

    /// <summary>Parses and validates a document's structure (no signature check).</summary>
    /// <param name="utf8Json">The submitted bytes.</param>
    /// <param name="options">Limits; <see cref="AttestationOptions.Default"/> when null.</param>
    /// <returns>The document.</returns>
    /// <exception cref="DocumentException">The document is refused; the error has the code, status and field.</exception>
    public static AttestationDocument Parse(ReadOnlySpan<byte> utf8Json, AttestationOptions? options = null)
    {
        if (!TryParse(utf8Json, out var document, out var error, options))
        {
            throw new DocumentException(error);
        }

        return document;
    }

    /// <summary>Parses and validates a document's structure (no signature check).</summary>
    /// <param name="utf8Json">The submitted bytes.</param>
    /// <param name="document">The document on success.</param>
    /// <param name="error">Why it was refused (413 or 400, with the field), on failure.</param>
    /// <param name="options">Limits; <see cref="AttestationOptions.Default"/> when null.</param>
    /// <returns>Whether the document is structurally acceptable.</returns>
    public static bool TryParse(
        ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out AttestationDocument? document,
        [NotNullWhen(false)] out DocumentError? error,
        AttestationOptions? options = null)
    {
        options ??= AttestationOptions.Default;
        try
        {
            document = ParseCore(utf8Json, options);
            error = null;
            return true;
        }
        catch (DocumentFailure failure)
        {
            document = null;
            error = failure.Error;
            return false;
        }
    }

    /// <summary>
    /// Checks the signature: the key id must name a registered (403 <c>unknown-key</c>), unrevoked (403
    /// <c>revoked-key</c>) builder whose key verifies the signature over the DSSE PAE (401 <c>bad-signature</c>).
    /// </summary>
    /// <param name="keys">The registry.</param>
    /// <param name="builder">The signing builder on success.</param>
    /// <param name="error">Why the signature was refused, on failure.</param>
    /// <returns>Whether the document is signed by an active registered builder.</returns>
    public bool TryVerify(
        IBuilderKeyResolver keys,
        [NotNullWhen(true)] out RegisteredBuilder? builder,
        [NotNullWhen(false)] out DocumentError? error)
    {
        ArgumentNullException.ThrowIfNull(keys);
        const string keyIdPath = "$.dsse.signatures[0].keyid";
        var signature = Envelope.Signatures[0];
        if (!keys.TryResolve(signature.KeyId, out builder))
        {
            error = new DocumentError(DocumentErrorCode.UnknownKey, keyIdPath, $"No builder is registered with key id {signature.KeyId}.");
            return false;
        }

        if (builder.IsRevoked)
        {
            error = new DocumentError(DocumentErrorCode.RevokedKey, keyIdPath, $"The key of builder \"{builder.Name}\" ({signature.KeyId}) is revoked.");
            builder = null;
            return false;
        }

        if (!Envelope.IsSignedBy(builder.Key))
        {
            error = new DocumentError(
                DocumentErrorCode.BadSignature, "$.dsse.signatures[0].sig", $"The signature does not verify over the DSSE PAE with the key of builder \"{builder.Name}\".");
            builder = null;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Returns the TPM quote's expected qualifying data: SHA-256 of the envelope's PAE.</summary>
    /// <returns>32 bytes.</returns>
    public byte[] ComputeTpmQualifyingData() => ComputeTpmQualifyingData(Envelope);

    /// <summary>Returns the TPM quote's qualifying data for an envelope: SHA-256 of its PAE (TPM issue, "Quote per build").</summary>
    /// <param name="envelope">The signed statement envelope.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] ComputeTpmQualifyingData(DsseEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return SHA256.HashData(envelope.GetPreAuthenticationEncoding());
    }

    private static AttestationDocument ParseCore(ReadOnlySpan<byte> utf8Json, AttestationOptions options)
    {
        using var document = StrictJson.ParseCanonical(utf8Json, options.Json, "$", out var canonical);
        var root = document.RootElement;
        const DocumentErrorCode code = DocumentErrorCode.NotAttestationDocument;
        StrictJson.RequireObject(root, "$", code);
        StrictJson.OnlyMembers(root, "$", code, "dsse", "tpm");
        var envelope = DsseEnvelope.FromElement(StrictJson.Required(root, "dsse", "$", code), "$.dsse");
        byte[]? tpm = null;
        if (root.TryGetProperty("tpm", out var tpmElement))
        {
            StrictJson.RequireObject(tpmElement, "$.tpm", code);
            tpm = JsonMarshal.GetRawUtf8Value(tpmElement).ToArray();
        }

        if (envelope.Signatures.Count != 1)
        {
            StrictJson.Throw(DocumentErrorCode.NotDsseEnvelope, "$.dsse.signatures", "An attestation carries exactly one signature, the builder's.");
        }

        var keyId = envelope.Signatures[0].KeyId;
        if (keyId.Length != IdentityPublicKey.KeyIdLength)
        {
            StrictJson.Throw(DocumentErrorCode.NotDsseEnvelope, "$.dsse.signatures[0].keyid", "The key id must be the builder's 64-character key id.");
        }

        if (!string.Equals(envelope.PayloadType, NixProvenance.PayloadType, StringComparison.Ordinal))
        {
            StrictJson.Throw(
                DocumentErrorCode.UnsupportedPayloadType,
                "$.dsse.payloadType",
                $"Expected \"{NixProvenance.PayloadType}\", found \"{envelope.PayloadType}\".");
        }

        var statement = NixProvenance.Parse(envelope.Payload.Span, "$.dsse.payload", options.StoreDir, options.Json);
        return new AttestationDocument(canonical, envelope, statement, tpm);
    }
}
