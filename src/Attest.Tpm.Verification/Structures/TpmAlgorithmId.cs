using System.Security.Cryptography;

namespace Attest.Tpm.Verification.Structures;

/// <summary>TPM_ALG_ID values used by the verifier (TPM 2.0 Part 2 §6.3, TCG Algorithm Registry).</summary>
public static class TpmAlgorithmId
{
    /// <summary>TPM_ALG_RSA.</summary>
    public const ushort Rsa = 0x0001;

    /// <summary>TPM_ALG_SHA1.</summary>
    public const ushort Sha1 = 0x0004;

    /// <summary>TPM_ALG_HMAC.</summary>
    public const ushort Hmac = 0x0005;

    /// <summary>TPM_ALG_AES.</summary>
    public const ushort Aes = 0x0006;

    /// <summary>TPM_ALG_KEYEDHASH.</summary>
    public const ushort KeyedHash = 0x0008;

    /// <summary>TPM_ALG_XOR.</summary>
    public const ushort Xor = 0x000A;

    /// <summary>TPM_ALG_SHA256.</summary>
    public const ushort Sha256 = 0x000B;

    /// <summary>TPM_ALG_SHA384.</summary>
    public const ushort Sha384 = 0x000C;

    /// <summary>TPM_ALG_SHA512.</summary>
    public const ushort Sha512 = 0x000D;

    /// <summary>TPM_ALG_NULL.</summary>
    public const ushort Null = 0x0010;

    /// <summary>TPM_ALG_SM3_256.</summary>
    public const ushort Sm3_256 = 0x0012;

    /// <summary>TPM_ALG_SM4.</summary>
    public const ushort Sm4 = 0x0013;

    /// <summary>TPM_ALG_RSASSA (PKCS#1 v1.5 signatures).</summary>
    public const ushort RsaSsa = 0x0014;

    /// <summary>TPM_ALG_RSAES (PKCS#1 v1.5 encryption).</summary>
    public const ushort RsaEs = 0x0015;

    /// <summary>TPM_ALG_RSAPSS.</summary>
    public const ushort RsaPss = 0x0016;

    /// <summary>TPM_ALG_OAEP.</summary>
    public const ushort Oaep = 0x0017;

    /// <summary>TPM_ALG_ECDSA.</summary>
    public const ushort EcDsa = 0x0018;

    /// <summary>TPM_ALG_ECDH.</summary>
    public const ushort EcDh = 0x0019;

    /// <summary>TPM_ALG_ECDAA.</summary>
    public const ushort EcDaa = 0x001A;

    /// <summary>TPM_ALG_SM2.</summary>
    public const ushort Sm2 = 0x001B;

    /// <summary>TPM_ALG_ECSCHNORR.</summary>
    public const ushort EcSchnorr = 0x001C;

    /// <summary>TPM_ALG_ECMQV.</summary>
    public const ushort EcMqv = 0x001D;

    /// <summary>TPM_ALG_KDF1_SP800_56A.</summary>
    public const ushort Kdf1Sp800_56A = 0x0020;

    /// <summary>TPM_ALG_KDF2.</summary>
    public const ushort Kdf2 = 0x0021;

    /// <summary>TPM_ALG_KDF1_SP800_108.</summary>
    public const ushort Kdf1Sp800_108 = 0x0022;

    /// <summary>TPM_ALG_ECC.</summary>
    public const ushort Ecc = 0x0023;

    /// <summary>TPM_ALG_SYMCIPHER.</summary>
    public const ushort SymCipher = 0x0025;

    /// <summary>TPM_ALG_CAMELLIA.</summary>
    public const ushort Camellia = 0x0026;

    /// <summary>TPM_ALG_SHA3_256.</summary>
    public const ushort Sha3_256 = 0x0027;

    /// <summary>TPM_ALG_SHA3_384.</summary>
    public const ushort Sha3_384 = 0x0028;

    /// <summary>TPM_ALG_SHA3_512.</summary>
    public const ushort Sha3_512 = 0x0029;

    /// <summary>TPM_ALG_CFB (symmetric mode).</summary>
    public const ushort Cfb = 0x0043;

    /// <summary>TPM_ECC_NIST_P256 (TPM_ECC_CURVE, Part 2 §6.4).</summary>
    public const ushort CurveNistP256 = 0x0003;

    /// <summary>TPM_ECC_NIST_P384.</summary>
    public const ushort CurveNistP384 = 0x0004;

    /// <summary>TPM_ECC_NIST_P521.</summary>
    public const ushort CurveNistP521 = 0x0005;
}

/// <summary>The hash algorithms a TPM PCR bank or name may use, with their sizes and names.</summary>
public static class TpmHashAlgorithms
{
    /// <summary>The largest digest any supported hash produces (sizeof(TPMU_HA) for SHA-512).</summary>
    public const int MaxDigestSize = 64;

    /// <summary>The digest size of <paramref name="hashAlg"/>, or 0 when the algorithm is not a known hash.</summary>
    public static int DigestSize(ushort hashAlg) => hashAlg switch
    {
        TpmAlgorithmId.Sha1 => 20,
        TpmAlgorithmId.Sha256 or TpmAlgorithmId.Sm3_256 or TpmAlgorithmId.Sha3_256 => 32,
        TpmAlgorithmId.Sha384 or TpmAlgorithmId.Sha3_384 => 48,
        TpmAlgorithmId.Sha512 or TpmAlgorithmId.Sha3_512 => 64,
        _ => 0,
    };

    /// <summary>Whether this library can compute <paramref name="hashAlg"/> (SHA-1 and SHA-2).</summary>
    public static bool IsComputable(ushort hashAlg) =>
        hashAlg is TpmAlgorithmId.Sha1 or TpmAlgorithmId.Sha256 or TpmAlgorithmId.Sha384 or TpmAlgorithmId.Sha512;

    /// <summary>The .NET name of a computable hash.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not computable here.</exception>
    public static HashAlgorithmName ToHashAlgorithmName(ushort hashAlg) => hashAlg switch
    {
        TpmAlgorithmId.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgorithmId.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgorithmId.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgorithmId.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hashAlg), $"Hash algorithm 0x{hashAlg:X4} is not supported."),
    };

    /// <summary>The bank name used in JSON ("sha1", "sha256", "sha384", "sha512"), or null for other algorithms.</summary>
    public static string? BankName(ushort hashAlg) => hashAlg switch
    {
        TpmAlgorithmId.Sha1 => "sha1",
        TpmAlgorithmId.Sha256 => "sha256",
        TpmAlgorithmId.Sha384 => "sha384",
        TpmAlgorithmId.Sha512 => "sha512",
        _ => null,
    };

    /// <summary>Parses a bank name written by <see cref="BankName"/>.</summary>
    public static bool TryParseBankName(string? name, out ushort hashAlg)
    {
        hashAlg = name switch
        {
            "sha1" => TpmAlgorithmId.Sha1,
            "sha256" => TpmAlgorithmId.Sha256,
            "sha384" => TpmAlgorithmId.Sha384,
            "sha512" => TpmAlgorithmId.Sha512,
            _ => (ushort)0,
        };
        return hashAlg != 0;
    }

    /// <summary>Hashes <paramref name="data"/> with a computable hash into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    public static int Hash(ushort hashAlg, ReadOnlySpan<byte> data, Span<byte> destination) => hashAlg switch
    {
        TpmAlgorithmId.Sha1 => SHA1.HashData(data, destination),
        TpmAlgorithmId.Sha256 => SHA256.HashData(data, destination),
        TpmAlgorithmId.Sha384 => SHA384.HashData(data, destination),
        TpmAlgorithmId.Sha512 => SHA512.HashData(data, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(hashAlg), $"Hash algorithm 0x{hashAlg:X4} is not supported."),
    };

    /// <summary>Hashes <paramref name="data"/> with a computable hash.</summary>
    public static byte[] Hash(ushort hashAlg, ReadOnlySpan<byte> data)
    {
        var digest = new byte[DigestSize(hashAlg)];
        Hash(hashAlg, data, digest);
        return digest;
    }
}
