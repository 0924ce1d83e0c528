using System.Security.Cryptography;

namespace Attest.Tpm;

/// <summary>
/// The hash algorithms a TPM names, PCR banks and event logs use (TCG Algorithm Registry): their digest sizes, the
/// bank names of the JSON formats, and hashing with the ones .NET computes (SHA-1 and SHA-2).
/// </summary>
public static class TpmHash
{
    /// <summary>The largest digest any known hash produces (sizeof(TPMU_HA) with SHA-512).</summary>
    public const int MaxDigestSize = 64;

    /// <summary>The digest size of <paramref name="algorithm"/> in bytes, or 0 when it is not a hash algorithm.</summary>
    public static int DigestSize(TpmAlgorithm algorithm) => algorithm switch
    {
        TpmAlgorithm.Sha1 => 20,
        TpmAlgorithm.Sha256 or TpmAlgorithm.Sm3_256 or TpmAlgorithm.Sha3_256 => 32,
        TpmAlgorithm.Sha384 or TpmAlgorithm.Sha3_384 => 48,
        TpmAlgorithm.Sha512 or TpmAlgorithm.Sha3_512 => 64,
        _ => 0,
    };

    /// <summary>Whether this library can compute <paramref name="algorithm"/> (SHA-1 and SHA-2).</summary>
    public static bool IsComputable(TpmAlgorithm algorithm) =>
        algorithm is TpmAlgorithm.Sha1 or TpmAlgorithm.Sha256 or TpmAlgorithm.Sha384 or TpmAlgorithm.Sha512;

    /// <summary>The .NET name of a computable hash.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not computable here.</exception>
    public static HashAlgorithmName ToHashAlgorithmName(TpmAlgorithm algorithm) => algorithm switch
    {
        TpmAlgorithm.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => throw NotComputable(algorithm),
    };

    /// <summary>The bank name of the JSON formats ("sha1", "sha256", "sha384", "sha512"), or null for other algorithms.</summary>
    public static string? BankName(TpmAlgorithm algorithm) => algorithm switch
    {
        TpmAlgorithm.Sha1 => "sha1",
        TpmAlgorithm.Sha256 => "sha256",
        TpmAlgorithm.Sha384 => "sha384",
        TpmAlgorithm.Sha512 => "sha512",
        _ => null,
    };

    /// <summary>Parses a bank name exactly as <see cref="BankName"/> writes it (lowercase).</summary>
    public static bool TryParseBankName(string? name, out TpmAlgorithm algorithm)
    {
        algorithm = name switch
        {
            "sha1" => TpmAlgorithm.Sha1,
            "sha256" => TpmAlgorithm.Sha256,
            "sha384" => TpmAlgorithm.Sha384,
            "sha512" => TpmAlgorithm.Sha512,
            _ => TpmAlgorithm.Error,
        };
        return algorithm != TpmAlgorithm.Error;
    }

    /// <summary>Hashes <paramref name="data"/> with a computable hash into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not computable here.</exception>
    public static int Hash(TpmAlgorithm algorithm, ReadOnlySpan<byte> data, Span<byte> destination) => algorithm switch
    {
        TpmAlgorithm.Sha1 => SHA1.HashData(data, destination),
        TpmAlgorithm.Sha256 => SHA256.HashData(data, destination),
        TpmAlgorithm.Sha384 => SHA384.HashData(data, destination),
        TpmAlgorithm.Sha512 => SHA512.HashData(data, destination),
        _ => throw NotComputable(algorithm),
    };

    /// <summary>Hashes <paramref name="data"/> with a computable hash.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not computable here.</exception>
    public static byte[] Hash(TpmAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        var digest = new byte[DigestSize(algorithm)];
        Hash(algorithm, data, digest);
        return digest;
    }

    private static ArgumentOutOfRangeException NotComputable(TpmAlgorithm algorithm) =>
        new(nameof(algorithm), $"Hash algorithm 0x{(ushort)algorithm:X4} is not supported.");
}
