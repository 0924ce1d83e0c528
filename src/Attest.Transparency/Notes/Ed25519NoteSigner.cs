using System.Diagnostics.CodeAnalysis;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Transparency.Notes;

/// <summary>An Ed25519 note signer (signature type 0x01), byte-compatible with Go's note.NewSigner.</summary>
public sealed class Ed25519NoteSigner : NoteSigner
{
    private readonly Ed25519PrivateKeyParameters _key;

    internal Ed25519NoteSigner(string name, Ed25519PrivateKeyParameters key)
        : base(new Ed25519NoteVerifier(name, key.GeneratePublicKey()))
    {
        _key = key;
    }

    /// <summary>The matching Ed25519 verifier key.</summary>
    public new Ed25519NoteVerifier Verifier => (Ed25519NoteVerifier)base.Verifier;

    /// <summary>Generates a new random Ed25519 note key with the given name.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains white space or '+'.</exception>
    public static Ed25519NoteSigner Generate(string name) => new(name, Ed25519Core.GeneratePrivateKey());

    /// <summary>Creates a signer from a key name and a 32-byte Ed25519 seed (RFC 8032 private key).</summary>
    public static Ed25519NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed) =>
        seed.Length == Ed25519Core.SeedSize
            ? new(name, Ed25519Core.PrivateKeyFromSeed(seed))
            : throw NoteError.Argument($"an Ed25519 seed is {Ed25519Core.SeedSize} bytes", nameof(seed));

    /// <summary>Reads a private key <c>PRIVATE+KEY+name+hash+base64(0x01||seed)</c>.</summary>
    /// <exception cref="FormatException">The key is malformed or not an Ed25519 note key.</exception>
    public static Ed25519NoteSigner Import(string privateKey) =>
        TryImport(privateKey, out var signer, out string? error) ? signer : throw NoteError.Format(error);

    /// <summary>Reads a private key of type 0x01, reporting what is wrong on failure.</summary>
    public static bool TryImport(string? privateKey, [NotNullWhen(true)] out Ed25519NoteSigner? signer, [NotNullWhen(false)] out string? error)
    {
        signer = null;
        if (!NoteSigner.TryImport(privateKey, out var any, out error))
        {
            return false;
        }

        signer = any as Ed25519NoteSigner;
        if (signer is null)
        {
            error = NoteError.Key($"expected an Ed25519 note key (type 0x01), got type 0x{(byte)any.Verifier.SignatureType:x2}");
            return false;
        }

        return true;
    }

    /// <inheritdoc/>
    public override byte[] Sign(ReadOnlySpan<byte> text)
    {
        var signature = new byte[Ed25519Core.SignatureSize];
        Ed25519Core.Sign(_key, text, signature);
        return signature;
    }

    /// <inheritdoc/>
    public override string ExportPrivateKey() => ExportSeed(Name, KeyId, NoteSignatureType.Ed25519, _key);
}
