using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Attest.Tpm.Verification.Enrollment;

/// <summary>The TPM key derivation functions (TPM 2.0 Part 1 §11.4.10).</summary>
public static class TpmKdf
{
    /// <summary>
    /// KDFa (SP 800-108 counter mode with HMAC, Part 1 §11.4.10.2): K(i) = HMAC(key, [i]32 || label || 0x00 ||
    /// contextU || contextV || [bits]32), concatenated and truncated to <paramref name="bits"/>. A label that already
    /// ends in a zero octet is not given a second one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The hash is not SHA-1/SHA-2 or <paramref name="bits"/> is not in 1..65536.</exception>
    public static byte[] KdfA(TpmAlgorithm hashAlg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> contextU, ReadOnlySpan<byte> contextV, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 65536);
        HashAlgorithmName name = TpmHash.ToHashAlgorithmName(hashAlg);
        bool addZero = label.IsEmpty || label[^1] != 0;
        var output = new byte[(bits + 7) / 8];
        using var hmac = IncrementalHash.CreateHMAC(name, key);
        Span<byte> block = stackalloc byte[TpmHash.MaxDigestSize];
        Span<byte> u32 = stackalloc byte[4];
        int written = 0;
        for (uint counter = 1; written < output.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(u32, counter);
            hmac.AppendData(u32);
            hmac.AppendData(label);
            if (addZero)
            {
                hmac.AppendData([0]);
            }

            hmac.AppendData(contextU);
            hmac.AppendData(contextV);
            BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)bits);
            hmac.AppendData(u32);
            int n = hmac.GetHashAndReset(block);
            int take = Math.Min(n, output.Length - written);
            block[..take].CopyTo(output.AsSpan(written));
            written += take;
        }

        if (bits % 8 != 0)
        {
            output[0] &= (byte)((1 << (bits % 8)) - 1); // Part 1 §11.4.10.2: excess high-order bits of the first octet are cleared.
        }

        return output;
    }

    /// <summary>
    /// KDFe (SP 800-56A concatenation KDF, Part 1 §11.4.10.3): K(i) = H([i]32 || Z || label || 0x00 || partyUInfo ||
    /// partyVInfo), concatenated and truncated to <paramref name="bits"/>. Used to turn an ECDH shared x-coordinate
    /// into a seed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The hash is not SHA-1/SHA-2 or <paramref name="bits"/> is not in 1..65536.</exception>
    public static byte[] KdfE(TpmAlgorithm hashAlg, ReadOnlySpan<byte> z, ReadOnlySpan<byte> label, ReadOnlySpan<byte> partyUInfo, ReadOnlySpan<byte> partyVInfo, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 65536);
        HashAlgorithmName name = TpmHash.ToHashAlgorithmName(hashAlg);
        bool addZero = label.IsEmpty || label[^1] != 0;
        var output = new byte[(bits + 7) / 8];
        using var hash = IncrementalHash.CreateHash(name);
        Span<byte> block = stackalloc byte[TpmHash.MaxDigestSize];
        Span<byte> u32 = stackalloc byte[4];
        int written = 0;
        for (uint counter = 1; written < output.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(u32, counter);
            hash.AppendData(u32);
            hash.AppendData(z);
            hash.AppendData(label);
            if (addZero)
            {
                hash.AppendData([0]);
            }

            hash.AppendData(partyUInfo);
            hash.AppendData(partyVInfo);
            int n = hash.GetHashAndReset(block);
            int take = Math.Min(n, output.Length - written);
            block[..take].CopyTo(output.AsSpan(written));
            written += take;
        }

        if (bits % 8 != 0)
        {
            output[0] &= (byte)((1 << (bits % 8)) - 1);
        }

        return output;
    }
}
