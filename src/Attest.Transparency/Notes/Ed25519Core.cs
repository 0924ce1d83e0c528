using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Org.BouncyCastle.Security;

namespace Attest.Transparency.Notes;

/// <summary>Ed25519 (RFC 8032, pure) through BouncyCastle, the only place this library touches it.</summary>
internal static class Ed25519Core
{
    public const int SeedSize = 32;
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    public static Ed25519PrivateKeyParameters PrivateKeyFromSeed(ReadOnlySpan<byte> seed) => new(seed);

    public static Ed25519PrivateKeyParameters GeneratePrivateKey() => new(new SecureRandom());

    /// <summary>Decodes a public key; null when the 32 bytes are not a point encoding BouncyCastle accepts.</summary>
    public static Ed25519PublicKeyParameters? TryDecodePublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
        {
            return null;
        }

        try
        {
            return new Ed25519PublicKeyParameters(publicKey);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static void Sign(Ed25519PrivateKeyParameters key, ReadOnlySpan<byte> message, Span<byte> signature) =>
        key.Sign(Ed25519.Algorithm.Ed25519, null, message, signature);

    public static bool Verify(Ed25519PublicKeyParameters key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && key.Verify(Ed25519.Algorithm.Ed25519, null, message, signature);
}
