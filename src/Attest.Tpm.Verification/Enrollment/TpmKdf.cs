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
        CheckBits(bits);
        using var hmac = IncrementalHash.CreateHMAC(TpmHash.ToHashAlgorithmName(hashAlg), key);
        Span<byte> bitsField = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bitsField, (uint)bits);
        return CounterMode(hmac, default, label, contextU, contextV, bitsField, bits);
    }

    /// <summary>
    /// KDFe (SP 800-56A concatenation KDF, Part 1 §11.4.10.3): K(i) = H([i]32 || Z || label || 0x00 || partyUInfo ||
    /// partyVInfo), concatenated and truncated to <paramref name="bits"/>. Used to turn an ECDH shared x-coordinate
    /// into a seed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The hash is not SHA-1/SHA-2 or <paramref name="bits"/> is not in 1..65536.</exception>
    public static byte[] KdfE(TpmAlgorithm hashAlg, ReadOnlySpan<byte> z, ReadOnlySpan<byte> label, ReadOnlySpan<byte> partyUInfo, ReadOnlySpan<byte> partyVInfo, int bits)
    {
        CheckBits(bits);
        using var hash = IncrementalHash.CreateHash(TpmHash.ToHashAlgorithmName(hashAlg));
        return CounterMode(hash, z, label, partyUInfo, partyVInfo, default, bits);
    }

    private static void CheckBits(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 65536);
    }

    /// <summary>K(i) = PRF([i]32 || prefix || label || 0x00 || u || v || suffix) for i = 1, 2, ... until <paramref name="bits"/> are made.</summary>
    private static byte[] CounterMode(
        IncrementalHash prf, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> label, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, ReadOnlySpan<byte> suffix, int bits)
    {
        bool addZero = label.IsEmpty || label[^1] != 0;
        var output = new byte[(bits + 7) / 8];
        Span<byte> block = stackalloc byte[TpmHash.MaxDigestSize];
        Span<byte> counterField = stackalloc byte[4];
        int written = 0;
        for (uint counter = 1; written < output.Length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counterField, counter);
            prf.AppendData(counterField);
            prf.AppendData(prefix);
            prf.AppendData(label);
            if (addZero)
            {
                prf.AppendData([0]);
            }

            prf.AppendData(u);
            prf.AppendData(v);
            prf.AppendData(suffix);
            int n = prf.GetHashAndReset(block);
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
}
