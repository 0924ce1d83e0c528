using System.Security.Cryptography;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Attest.Tpm.Verification.Enrollment;

/// <summary>The two TPM2_ActivateCredential parameters MakeCredential produces, each as its full TPM2B encoding.</summary>
/// <param name="CredentialBlob">TPM2B_ID_OBJECT: size || TPM2B_DIGEST integrityHMAC || encIdentity.</param>
/// <param name="Secret">TPM2B_ENCRYPTED_SECRET: size || the seed encrypted to the EK.</param>
public sealed record MadeCredential(ReadOnlyMemory<byte> CredentialBlob, ReadOnlyMemory<byte> Secret);

/// <summary>
/// TPM2_MakeCredential in software (TPM 2.0 Part 1 §24 "Credential Protection", Part 3 §12.6): protects a credential
/// so that only the TPM holding the EK, and only for an object with the given Name, can recover it with
/// TPM2_ActivateCredential. RSA EKs: the seed is encrypted with RSA-OAEP, label "IDENTITY\0" (Part 1 §B.10.3);
/// ECC EKs: the seed is KDFe(nameAlg, Z, "IDENTITY", Qe.x, Qek.x) of an ephemeral ECDH with the EK, and the secret
/// is the ephemeral public point (Part 1 §C.6.4, as the reference code's CryptSecretEncrypt does).
/// </summary>
public static class CredentialMaker
{
    private static readonly byte[] IdentityLabel = "IDENTITY\0"u8.ToArray();

    /// <summary>Protects <paramref name="credential"/> for the object named <paramref name="objectName"/> under <paramref name="ek"/>.</summary>
    /// <param name="ek">The EK: an RSA or ECC (NIST P-256/384/521) restricted decryption key with an AES-CFB symmetric definition.</param>
    /// <param name="objectName">The Name of the key to be activated (the AK).</param>
    /// <param name="credential">The secret, at most the EK nameAlg's digest size.</param>
    /// <param name="seed">For tests only: a fixed seed; null draws a random one.</param>
    /// <exception cref="ArgumentException">The EK cannot protect credentials, or the credential is too long.</exception>
    public static MadeCredential Make(TpmPublic ek, ReadOnlySpan<byte> objectName, ReadOnlySpan<byte> credential, ReadOnlySpan<byte> seed = default)
    {
        ArgumentNullException.ThrowIfNull(ek);
        int digestSize = TpmHash.DigestSize(ek.NameAlg);
        if (!TpmHash.IsComputable(ek.NameAlg) || ek.Symmetric.Algorithm != TpmAlgorithm.Aes || ek.Symmetric.Mode != TpmAlgorithm.Cfb
            || ek.Symmetric.KeyBits is not (128 or 192 or 256))
        {
            throw new ArgumentException("The EK must use a SHA-1/SHA-2 nameAlg and AES-CFB as its symmetric algorithm.", nameof(ek));
        }

        if (credential.IsEmpty || credential.Length > digestSize)
        {
            throw new ArgumentException($"The credential must be 1..{digestSize} bytes.", nameof(credential));
        }

        if (objectName.Length < 2)
        {
            throw new ArgumentException("The object name is empty.", nameof(objectName));
        }

        // Part 1 §B.10.3 / §C.6.4: the seed is as large as the digest of the EK's nameAlg.
        byte[] seedBytes;
        byte[] encryptedSeed;
        if (ek.Type == TpmAlgorithm.Rsa)
        {
            seedBytes = seed.IsEmpty ? RandomNumberGenerator.GetBytes(digestSize) : seed.ToArray();
            encryptedSeed = EncryptSeed(ek, seedBytes);
        }
        else
        {
            if (!seed.IsEmpty)
            {
                throw new ArgumentException("An ECC EK derives its seed; a fixed seed cannot be given.", nameof(seed));
            }

            (seedBytes, encryptedSeed) = EccSeed(ek, digestSize);
        }

        try
        {
            byte[] symKey = TpmKdf.KdfA(ek.NameAlg, seedBytes, "STORAGE"u8, objectName, default, ek.Symmetric.KeyBits);
            byte[] hmacKey = TpmKdf.KdfA(ek.NameAlg, seedBytes, "INTEGRITY"u8, default, default, digestSize * 8);

            // Part 1 §24.4: encIdentity = CFB(symKey, IV = 0, TPM2B_DIGEST(credential)).
            byte[] plain = new TpmWriter(credential.Length + 2).Sized(credential).ToArray();
            byte[] encIdentity = AesCfbEncrypt(symKey, plain);

            // Part 1 §24.5: outerHMAC = HMAC(hmacKey, encIdentity || Name).
            byte[] integrity = HashHmac(ek.NameAlg, hmacKey, [.. encIdentity, .. objectName]);
            CryptographicOperations.ZeroMemory(symKey);
            CryptographicOperations.ZeroMemory(hmacKey);

            var blob = new TpmWriter(encIdentity.Length + digestSize + 4);
            int size = blob.BeginSized();
            blob.Sized(integrity).Bytes(encIdentity);
            blob.EndSized(size);
            return new MadeCredential(blob.ToArray(), new TpmWriter(encryptedSeed.Length + 2).Sized(encryptedSeed).ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seedBytes);
        }
    }

    /// <summary>AES in CFB mode with full-block feedback and a zero IV, on any length (Part 1 §11.4.6.3).</summary>
    internal static byte[] AesCfbEncrypt(byte[] key, ReadOnlySpan<byte> plain) => AesCfb(key, plain, encrypt: true);

    /// <summary>The inverse of <see cref="AesCfbEncrypt"/>.</summary>
    internal static byte[] AesCfbDecrypt(byte[] key, ReadOnlySpan<byte> cipher) => AesCfb(key, cipher, encrypt: false);

    internal static byte[] HashHmac(TpmAlgorithm hashAlg, byte[] key, ReadOnlySpan<byte> data)
    {
        using var hmac = IncrementalHash.CreateHMAC(TpmHash.ToHashAlgorithmName(hashAlg), key);
        hmac.AppendData(data);
        return hmac.GetHashAndReset();
    }

    private static byte[] AesCfb(byte[] key, ReadOnlySpan<byte> input, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var output = new byte[input.Length];
        Span<byte> feedback = stackalloc byte[16];
        Span<byte> stream = stackalloc byte[16];
        feedback.Clear();
        for (int at = 0; at < input.Length; at += 16)
        {
            aes.EncryptEcb(feedback, stream, PaddingMode.None);
            int n = Math.Min(16, input.Length - at);
            for (int i = 0; i < n; i++)
            {
                output[at + i] = (byte)(input[at + i] ^ stream[i]);
            }

            if (n == 16)
            {
                (encrypt ? output.AsSpan(at, 16) : input.Slice(at, 16)).CopyTo(feedback);
            }
        }

        return output;
    }

    private static (byte[] Seed, byte[] EncryptedSeed) EccSeed(TpmPublic ek, int digestSize)
    {
        ECParameters ekParameters;
        try
        {
            ekParameters = ek.ToEcParameters();
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, nameof(ek), e);
        }

        using var ekKey = ECDiffieHellman.Create(ekParameters);
        using var ephemeral = ECDiffieHellman.Create(ekParameters.Curve);
        ECParameters qe = ephemeral.ExportParameters(false);

        // Z is the x-coordinate of d_e * Q_ek (SP 800-56A shared secret); PartyUInfo = Qe.x, PartyVInfo = Qek.x.
        byte[] z = ephemeral.DeriveRawSecretAgreement(ekKey.PublicKey);
        byte[] seed = TpmKdf.KdfE(ek.NameAlg, z, IdentityLabel, qe.Q.X, ekParameters.Q.X, digestSize * 8);
        CryptographicOperations.ZeroMemory(z);

        // TPMS_ECC_POINT of the ephemeral key, the contents of TPM2B_ENCRYPTED_SECRET.
        return (seed, new TpmWriter(qe.Q.X!.Length + qe.Q.Y!.Length + 4).Sized(qe.Q.X).Sized(qe.Q.Y).ToArray());
    }

    private static byte[] EncryptSeed(TpmPublic ek, byte[] seed)
    {
        // RSA-OAEP with the EK's nameAlg for both hashes and the label "IDENTITY\0" (Part 1 §B.10.3, §B.4).
        // System.Security.Cryptography offers no OAEP label, hence BouncyCastle for this one operation.
        var pub = new RsaKeyParameters(false, new BigInteger(1, ek.RsaModulus.ToArray()), BigInteger.ValueOf(ek.RsaExponent));
        Org.BouncyCastle.Crypto.IDigest Digest() => ek.NameAlg switch
        {
            TpmAlgorithm.Sha1 => new Sha1Digest(),
            TpmAlgorithm.Sha384 => new Sha384Digest(),
            TpmAlgorithm.Sha512 => new Sha512Digest(),
            _ => new Sha256Digest(),
        };
        var oaep = new OaepEncoding(new RsaEngine(), Digest(), Digest(), IdentityLabel);
        oaep.Init(true, new ParametersWithRandom(pub, new SecureRandom()));
        return oaep.ProcessBlock(seed, 0, seed.Length);
    }
}
