using System.Diagnostics.CodeAnalysis;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Transparency.Notes;

/// <summary>An Ed25519 note verifier (signature type 0x01): the signature is Ed25519 over the note text.</summary>
public sealed class Ed25519NoteVerifier : NoteVerifier
{
    private readonly Ed25519PublicKeyParameters _key;

    internal Ed25519NoteVerifier(string name, Ed25519PublicKeyParameters key)
        : base(name, NoteSignatureType.Ed25519, key.GetEncoded())
    {
        _key = key;
    }

    /// <summary>Creates a verifier from a key name and a 32-byte Ed25519 public key.</summary>
    /// <exception cref="ArgumentException">The name is invalid or the key is not a valid Ed25519 public key.</exception>
    public static Ed25519NoteVerifier Create(string name, ReadOnlySpan<byte> publicKey) =>
        new(name, Ed25519Core.TryDecodePublicKey(publicKey)
            ?? throw NoteError.Argument("not a 32-byte Ed25519 public key", nameof(publicKey)));

    /// <summary>Reads a verifier key <c>name+hash+base64(0x01||public key)</c>.</summary>
    /// <exception cref="FormatException">The key is malformed or not an Ed25519 note key.</exception>
    public static new Ed25519NoteVerifier Import(string encoded) =>
        TryImport(encoded, out var verifier, out string? error) ? verifier : throw NoteError.Format(error);

    /// <summary>Reads a verifier key of type 0x01, reporting what is wrong on failure.</summary>
    public static bool TryImport(string? encoded, [NotNullWhen(true)] out Ed25519NoteVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (!NoteVerifier.TryImport(encoded, out var any, out error))
        {
            return false;
        }

        verifier = any as Ed25519NoteVerifier;
        if (verifier is null)
        {
            error = NoteError.Key($"expected an Ed25519 note key (type 0x01), got type 0x{(byte)any.SignatureType:x2}");
            return false;
        }

        return true;
    }

    internal override NoteSignatureFailure Check(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519Core.SignatureSize)
        {
            return NoteSignatureFailure.WrongLength;
        }

        return Ed25519Core.Verify(_key, text, signature) ? NoteSignatureFailure.None : NoteSignatureFailure.InvalidSignature;
    }
}
