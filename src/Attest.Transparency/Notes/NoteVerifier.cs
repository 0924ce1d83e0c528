using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Cosignatures;

namespace Attest.Transparency.Notes;

/// <summary>
/// A public key that verifies note signatures, identified by key name and key ID. The set of implementations is
/// closed: <see cref="Ed25519NoteVerifier"/> (type 0x01) and <see cref="CosignatureVerifier"/> (type 0x04).
/// </summary>
public abstract class NoteVerifier
{
    private readonly byte[] _publicKey;
    private string? _encoded;

    private protected NoteVerifier(string name, NoteSignatureType signatureType, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NoteEncoding.IsValidKeyName(name))
        {
            throw NoteError.Argument(NoteError.InvalidKeyName(name), nameof(name));
        }

        Name = name;
        SignatureType = signatureType;
        _publicKey = publicKey.ToArray();
        KeyId = NoteKeyId.Compute(name, (byte)signatureType, publicKey);
    }

    /// <summary>The key name.</summary>
    public string Name { get; }

    /// <summary>The key ID: SHA-256(name || 0x0A || type || public key)[:4].</summary>
    public NoteKeyId KeyId { get; }

    /// <summary>The signature type byte.</summary>
    public NoteSignatureType SignatureType { get; }

    /// <summary>The encoded public key (32 bytes for Ed25519).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Checks <paramref name="signature"/> (the bytes after the key ID) over the note text.</summary>
    /// <param name="text">The note text in UTF-8, including its final newline.</param>
    /// <param name="signature">The signature bytes after the 4-byte key ID.</param>
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature) => Check(text, signature) == NoteSignatureFailure.None;

    /// <summary>Checks a signature and says why it failed.</summary>
    internal abstract NoteSignatureFailure Check(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature);

    /// <summary>The verifier key in Go's note format, <c>name+hash+base64(type||public key)</c>.</summary>
    public string Encode() => _encoded ??= NoteKeyText.Encode(Name, KeyId, (byte)SignatureType, _publicKey);

    /// <summary>The verifier key in Go's note format.</summary>
    public override string ToString() => Encode();

    /// <summary>Reads a verifier key <c>name+hash+base64(type||public key)</c> of a supported signature type.</summary>
    /// <exception cref="FormatException">The key is malformed, its type unsupported, or its hash does not match.</exception>
    public static NoteVerifier Import(string encoded) =>
        TryImport(encoded, out var verifier, out string? error) ? verifier : throw NoteError.Format(error);

    /// <summary>Reads a verifier key, reporting what is wrong on failure.</summary>
    public static bool TryImport(string? encoded, [NotNullWhen(true)] out NoteVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (!NoteKeyText.TryParse(encoded, isPrivate: false, publicKeyOf: null, out string? name, out byte type, out byte[]? key, out error))
        {
            return false;
        }

        if (type is not ((byte)NoteSignatureType.Ed25519 or (byte)NoteSignatureType.CosignatureEd25519))
        {
            error = NoteError.Key($"unsupported signature type 0x{type:x2}");
            return false;
        }

        var publicKey = Ed25519Core.TryDecodePublicKey(key);
        if (publicKey is null)
        {
            error = NoteError.Key($"an Ed25519 public key must be {Ed25519Core.PublicKeySize} bytes of a valid point, got {key.Length} bytes");
            return false;
        }

        verifier = type == (byte)NoteSignatureType.Ed25519
            ? new Ed25519NoteVerifier(name, publicKey)
            : new CosignatureVerifier(name, publicKey);
        return true;
    }
}
