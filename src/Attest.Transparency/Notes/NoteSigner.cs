using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Cosignatures;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Transparency.Notes;

/// <summary>
/// A private key that signs notes. The set of implementations is closed: <see cref="Ed25519NoteSigner"/>
/// (type 0x01, for a log's checkpoints) and <see cref="CosignatureSigner"/> (type 0x04, for witnesses).
/// </summary>
public abstract class NoteSigner
{
    private protected NoteSigner(NoteVerifier verifier)
    {
        Verifier = verifier;
    }

    /// <summary>The key name.</summary>
    public string Name => Verifier.Name;

    /// <summary>The key ID.</summary>
    public NoteKeyId KeyId => Verifier.KeyId;

    /// <summary>The matching verifier (public) key.</summary>
    public NoteVerifier Verifier { get; }

    /// <summary>Signs a note text (UTF-8, ending in a newline) and returns the signature bytes after the key ID.</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> text);

    /// <summary>
    /// The private key in Go's note format, <c>PRIVATE+KEY+name+hash+base64(type||seed)</c>. This is secret material:
    /// never log it.
    /// </summary>
    public abstract string ExportPrivateKey();

    /// <summary>Reads a private key <c>PRIVATE+KEY+name+hash+base64(type||seed)</c> of type 0x01 or 0x04.</summary>
    /// <exception cref="FormatException">The key is malformed, its type unsupported, or its hash does not match.</exception>
    public static NoteSigner Import(string privateKey, TimeProvider? timeProvider = null) =>
        TryImport(privateKey, out var signer, out string? error, timeProvider) ? signer : throw NoteError.Format(error);

    /// <summary>Reads a private key of type 0x01 or 0x04, reporting what is wrong on failure.</summary>
    /// <param name="privateKey">The encoded private key.</param>
    /// <param name="signer">The signer on success.</param>
    /// <param name="error">What is wrong on failure (never contains key material).</param>
    /// <param name="timeProvider">The clock of a cosignature signer; the system clock when null.</param>
    public static bool TryImport(
        string? privateKey,
        [NotNullWhen(true)] out NoteSigner? signer,
        [NotNullWhen(false)] out string? error,
        TimeProvider? timeProvider = null)
    {
        signer = null;
        if (!NoteKeyText.TryParse(privateKey, isPrivate: true, PublicKeyOfSeed, out string? name, out byte type, out byte[]? seed, out error))
        {
            return false;
        }

        try
        {
            var key = Ed25519Core.PrivateKeyFromSeed(seed);
            signer = type == (byte)NoteSignatureType.Ed25519
                ? new Ed25519NoteSigner(name, key)
                : new CosignatureSigner(name, key, timeProvider ?? TimeProvider.System);
            return true;
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    private static byte[]? PublicKeyOfSeed(byte type, byte[] seed) =>
        type is (byte)NoteSignatureType.Ed25519 or (byte)NoteSignatureType.CosignatureEd25519 && seed.Length == Ed25519Core.SeedSize
            ? Ed25519Core.PrivateKeyFromSeed(seed).GeneratePublicKey().GetEncoded()
            : null;

    internal static string ExportSeed(string name, NoteKeyId keyId, NoteSignatureType type, Ed25519PrivateKeyParameters key)
    {
        byte[] seed = key.GetEncoded();
        try
        {
            return NoteKeyText.PrivateKeyPrefix + NoteKeyText.Encode(name, keyId, (byte)type, seed);
        }
        finally
        {
            Array.Clear(seed);
        }
    }
}
