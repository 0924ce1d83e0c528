using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Provenance.Internal;
using Attest.Provenance.Json;

namespace Attest.Provenance.Signing;

/// <summary>One DSSE signature: the key id hint and the signature bytes.</summary>
/// <param name="KeyId">The unauthenticated key hint; empty when unset (DSSE envelope.md, "Parsing rules").</param>
/// <param name="Signature">The signature bytes.</param>
public readonly record struct DsseSignature(string KeyId, ReadOnlyMemory<byte> Signature);

/// <summary>
/// A DSSE JSON envelope: <c>{"payload": base64, "payloadType": string, "signatures": [{"keyid", "sig"}]}</c>.
/// </summary>
/// <remarks>
/// Parsing is stricter than DSSE's envelope.md requires, because envelopes end up byte-for-byte in a public log:
/// base64 must be the canonical standard alphabet with padding (URL-safe is refused), unknown members are refused
/// rather than ignored, and sizes and counts are capped (<see cref="MaxSignatures"/>,
/// <see cref="MaxPayloadTypeLength"/>, <see cref="MaxSignatureLength"/>).
/// </remarks>
public sealed class DsseEnvelope
{
    /// <summary>Most signatures one envelope may carry.</summary>
    public const int MaxSignatures = 8;

    /// <summary>Longest accepted payload type, in characters.</summary>
    public const int MaxPayloadTypeLength = 256;

    /// <summary>Longest accepted key id, in characters.</summary>
    public const int MaxKeyIdLength = 256;

    /// <summary>Longest accepted signature, in bytes (RSA-4096 signatures are 512).</summary>
    public const int MaxSignatureLength = 1024;

    private readonly byte[] _payload;
    private readonly DsseSignature[] _signatures;

    /// <summary>Initializes an envelope from its parts.</summary>
    /// <param name="payloadType">The payload type.</param>
    /// <param name="payload">The serialized body; copied.</param>
    /// <param name="signatures">The signatures; copied.</param>
    public DsseEnvelope(string payloadType, ReadOnlySpan<byte> payload, IEnumerable<DsseSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        ArgumentNullException.ThrowIfNull(signatures);
        PayloadType = payloadType;
        _payload = payload.ToArray();
        _signatures = [.. signatures];
    }

    private DsseEnvelope(string payloadType, byte[] payload, DsseSignature[] signatures)
    {
        PayloadType = payloadType;
        _payload = payload;
        _signatures = signatures;
    }

    /// <summary>Gets the payload type, such as <c>application/vnd.in-toto+json</c>.</summary>
    public string PayloadType { get; }

    /// <summary>Gets the serialized body (decoded from base64).</summary>
    public ReadOnlyMemory<byte> Payload => _payload;

    /// <summary>Gets the signatures, in envelope order.</summary>
    public IReadOnlyList<DsseSignature> Signatures => _signatures;

    /// <summary>Signs a payload with one key; the signature's key id is the key's id.</summary>
    /// <param name="payloadType">The payload type.</param>
    /// <param name="payload">The serialized body.</param>
    /// <param name="key">The signing key.</param>
    /// <returns>The signed envelope.</returns>
    public static DsseEnvelope Sign(string payloadType, ReadOnlySpan<byte> payload, IdentityKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var pae = DssePae.Encode(payloadType, payload);
        var signature = new DsseSignature(key.KeyId, key.Sign(pae));
        return new DsseEnvelope(payloadType, payload.ToArray(), [signature]);
    }

    /// <summary>Returns the pre-authentication encoding of this envelope's type and payload (the signed bytes).</summary>
    /// <returns>The PAE bytes.</returns>
    public byte[] GetPreAuthenticationEncoding() => DssePae.Encode(PayloadType, _payload);

    /// <summary>
    /// Finds a signature made by <paramref name="key"/>: the first whose key id equals the key's id (or is empty)
    /// and that verifies over the PAE.
    /// </summary>
    /// <param name="key">The candidate signer.</param>
    /// <returns>Whether such a signature exists.</returns>
    public bool IsSignedBy(IdentityPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var length = DssePae.GetLength(PayloadType, _payload.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var pae = rented.AsSpan(0, DssePae.Encode(PayloadType, _payload, rented));
            foreach (var signature in _signatures)
            {
                if ((signature.KeyId.Length == 0 || string.Equals(signature.KeyId, key.KeyId, StringComparison.Ordinal)) &&
                    key.Verify(pae, signature.Signature.Span))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Serializes the envelope as RFC 8785 canonical JSON.</summary>
    /// <returns>The canonical UTF-8 bytes.</returns>
    public byte[] ToCanonicalJson()
    {
        var buffer = new ArrayBufferWriter<byte>(_payload.Length * 4 / 3 + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return JsonCanonicalizer.Canonicalize(buffer.WrittenSpan, Unlimited);
    }

    /// <summary>Parses a DSSE JSON envelope strictly.</summary>
    /// <param name="utf8Json">The envelope JSON.</param>
    /// <param name="options">Caps; <see cref="JsonCanonicalizationOptions.Default"/> when null.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="DocumentException">The text is not an acceptable envelope; the error names the field.</exception>
    public static DsseEnvelope Parse(ReadOnlySpan<byte> utf8Json, JsonCanonicalizationOptions? options = null)
    {
        if (!TryParse(utf8Json, out var envelope, out var error, options))
        {
            throw new DocumentException(error);
        }

        return envelope;
    }

    /// <summary>Parses a DSSE JSON envelope strictly.</summary>
    /// <param name="utf8Json">The envelope JSON.</param>
    /// <param name="envelope">The envelope on success.</param>
    /// <param name="error">What was wrong and where, on failure.</param>
    /// <param name="options">Caps; <see cref="JsonCanonicalizationOptions.Default"/> when null.</param>
    /// <returns>Whether the text is an acceptable envelope.</returns>
    public static bool TryParse(
        ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out DsseEnvelope? envelope,
        [NotNullWhen(false)] out DocumentError? error,
        JsonCanonicalizationOptions? options = null)
    {
        try
        {
            using var document = StrictJson.ParseCanonical(utf8Json, options ?? JsonCanonicalizationOptions.Default, "$", out _);
            envelope = FromElement(document.RootElement, "$");
            error = null;
            return true;
        }
        catch (DocumentFailure failure)
        {
            envelope = null;
            error = failure.Error;
            return false;
        }
    }

    internal static JsonCanonicalizationOptions Unlimited { get; } = new()
    {
        MaxInputBytes = int.MaxValue / 4,
        MaxOutputBytes = int.MaxValue / 4,
    };

    internal static DsseEnvelope FromElement(JsonElement element, string path)
    {
        const DocumentErrorCode code = DocumentErrorCode.NotDsseEnvelope;
        StrictJson.RequireObject(element, path, code);
        StrictJson.OnlyMembers(element, path, code, "payload", "payloadType", "signatures");
        var payload = StrictJson.RequiredBase64(element, "payload", path, code, int.MaxValue, allowEmpty: true);
        var payloadType = StrictJson.RequiredString(element, "payloadType", path, code, MaxPayloadTypeLength, allowEmpty: true);
        var signaturesElement = StrictJson.RequiredArray(element, "signatures", path, code, 1, MaxSignatures);
        var signaturesPath = StrictJson.Member(path, "signatures");
        var signatures = new DsseSignature[signaturesElement.GetArrayLength()];
        var i = 0;
        foreach (var item in signaturesElement.EnumerateArray())
        {
            var itemPath = StrictJson.Index(signaturesPath, i);
            StrictJson.RequireObject(item, itemPath, code);
            StrictJson.OnlyMembers(item, itemPath, code, "keyid", "sig");
            var keyId = StrictJson.OptionalString(item, "keyid", itemPath, code, MaxKeyIdLength, allowEmpty: true) ?? string.Empty;
            var sig = StrictJson.RequiredBase64(item, "sig", itemPath, code, (MaxSignatureLength + 2) / 3 * 4, allowEmpty: false);
            signatures[i++] = new DsseSignature(keyId, sig);
        }

        return new DsseEnvelope(payloadType, payload, signatures);
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteBase64String("payload", _payload);
        writer.WriteString("payloadType", PayloadType);
        writer.WriteStartArray("signatures");
        foreach (var signature in _signatures)
        {
            writer.WriteStartObject();
            writer.WriteString("keyid", signature.KeyId);
            writer.WriteBase64String("sig", signature.Signature.Span);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
