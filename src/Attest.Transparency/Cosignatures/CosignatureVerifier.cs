using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Notes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Transparency.Cosignatures;

/// <summary>
/// A witness's Ed25519 cosignature verifier (signature type 0x04, c2sp.org/tlog-cosignature): the signature line
/// carries an 8-byte big-endian timestamp and an Ed25519 signature over
/// <c>cosignature/v1\ntime &lt;timestamp&gt;\n</c> followed by the checkpoint text.
/// </summary>
public sealed class CosignatureVerifier : NoteVerifier
{
    private readonly Ed25519PublicKeyParameters _key;

    internal CosignatureVerifier(string name, Ed25519PublicKeyParameters key)
        : base(name, NoteSignatureType.CosignatureEd25519, key.GetEncoded())
    {
        _key = key;
    }

    /// <summary>Creates a verifier from the cosigner name and its 32-byte Ed25519 public key.</summary>
    /// <exception cref="ArgumentException">The name is invalid or the key is not a valid Ed25519 public key.</exception>
    public static CosignatureVerifier Create(string name, ReadOnlySpan<byte> publicKey) =>
        new(name, Ed25519Core.TryDecodePublicKey(publicKey)
            ?? throw CosignatureError.BadPublicKey(nameof(publicKey)));

    /// <summary>Reads a verifier key <c>name+hash+base64(0x04||public key)</c>.</summary>
    /// <exception cref="FormatException">The key is malformed or not a cosignature key.</exception>
    public static new CosignatureVerifier Import(string encoded) =>
        TryImport(encoded, out var verifier, out string? error) ? verifier : throw CosignatureError.Format(error);

    /// <summary>Reads a verifier key of type 0x04, reporting what is wrong on failure.</summary>
    public static bool TryImport(string? encoded, [NotNullWhen(true)] out CosignatureVerifier? verifier, [NotNullWhen(false)] out string? error)
    {
        verifier = null;
        if (!NoteVerifier.TryImport(encoded, out var any, out error))
        {
            return false;
        }

        verifier = any as CosignatureVerifier;
        if (verifier is null)
        {
            error = CosignatureError.NotCosignatureKey((byte)any.SignatureType);
            return false;
        }

        return true;
    }

    internal override NoteSignatureFailure Check(ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != CosignatureMessage.PayloadSize)
        {
            return NoteSignatureFailure.WrongLength;
        }

        ulong timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        if (timestamp > CosignatureMessage.MaxTimestamp)
        {
            return NoteSignatureFailure.TimestampOutOfRange;
        }

        byte[] message = CosignatureMessage.Build(timestamp, text);
        return Ed25519Core.Verify(_key, message, signature[8..]) ? NoteSignatureFailure.None : NoteSignatureFailure.InvalidSignature;
    }
}
