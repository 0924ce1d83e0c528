using System.Diagnostics.CodeAnalysis;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Verification.Structures;

/// <summary>
/// A TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4) of the two kinds a quote verifier accepts: RSASSA (0x0014:
/// hash, TPM2B signature) and ECDSA (0x0018: hash, TPM2B r, TPM2B s). Other signature algorithms are rejected
/// by the parser.
/// </summary>
public sealed class TpmSignature
{
    /// <summary>The largest RSA signature (4096-bit keys).</summary>
    public const int MaxRsaSignatureSize = 512;

    /// <summary>The largest ECDSA r or s (P-521).</summary>
    public const int MaxEccParameterSize = 66;

    private readonly byte[] _rsaSignature;
    private readonly byte[] _r;
    private readonly byte[] _s;

    private TpmSignature(ushort sigAlg, ushort hashAlg, byte[] rsaSignature, byte[] r, byte[] s)
    {
        SigAlg = sigAlg;
        HashAlg = hashAlg;
        _rsaSignature = rsaSignature;
        _r = r;
        _s = s;
    }

    /// <summary><see cref="TpmAlgorithmId.RsaSsa"/> or <see cref="TpmAlgorithmId.EcDsa"/>.</summary>
    public ushort SigAlg { get; }

    /// <summary>The hash the signature was made over.</summary>
    public ushort HashAlg { get; }

    /// <summary>RSASSA only: the PKCS#1 v1.5 signature.</summary>
    public ReadOnlyMemory<byte> RsaSignature => _rsaSignature;

    /// <summary>ECDSA only: r, big-endian as the TPM wrote it (may be shorter than the curve size).</summary>
    public ReadOnlyMemory<byte> EcdsaR => _r;

    /// <summary>ECDSA only: s, big-endian as the TPM wrote it.</summary>
    public ReadOnlyMemory<byte> EcdsaS => _s;

    /// <summary>Parses a TPMT_SIGNATURE that must fill <paramref name="source"/> exactly.</summary>
    /// <exception cref="TpmFormatException">Malformed, unsupported algorithm, or trailing bytes.</exception>
    public static TpmSignature Parse(ReadOnlySpan<byte> source)
    {
        TpmSignature result = Parse(source, out int consumed);
        if (consumed != source.Length)
        {
            TpmPublic.Fail("TPMT_SIGNATURE", consumed, $"{source.Length - consumed} trailing bytes");
        }

        return result;
    }

    /// <summary>Parses a TPMT_SIGNATURE at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">Malformed or unsupported algorithm.</exception>
    public static TpmSignature Parse(ReadOnlySpan<byte> source, out int bytesConsumed)
    {
        var reader = new TpmReader(source);
        ushort sigAlg = reader.ReadUInt16("TPMT_SIGNATURE.sigAlg");
        if (sigAlg is not (TpmAlgorithmId.RsaSsa or TpmAlgorithmId.EcDsa))
        {
            TpmPublic.Fail("TPMT_SIGNATURE.sigAlg", 0, $"0x{sigAlg:X4} is not RSASSA (0x0014) or ECDSA (0x0018)");
        }

        ushort hash = reader.ReadUInt16("TPMT_SIGNATURE.hash");
        if (TpmHashAlgorithms.DigestSize(hash) == 0)
        {
            TpmPublic.Fail("TPMT_SIGNATURE.hash", 2, $"0x{hash:X4} is not a hash algorithm");
        }

        TpmSignature result;
        if (sigAlg == TpmAlgorithmId.RsaSsa)
        {
            int at = reader.Position;
            ReadOnlySpan<byte> sig = reader.ReadSized("TPMS_SIGNATURE_RSA.sig", MaxRsaSignatureSize);
            if (sig.IsEmpty)
            {
                TpmPublic.Fail("TPMS_SIGNATURE_RSA.sig", at, "is empty");
            }

            result = new TpmSignature(sigAlg, hash, sig.ToArray(), [], []);
        }
        else
        {
            int at = reader.Position;
            ReadOnlySpan<byte> r = reader.ReadSized("TPMS_SIGNATURE_ECC.signatureR", MaxEccParameterSize);
            int atS = reader.Position;
            ReadOnlySpan<byte> s = reader.ReadSized("TPMS_SIGNATURE_ECC.signatureS", MaxEccParameterSize);
            if (r.IsEmpty)
            {
                TpmPublic.Fail("TPMS_SIGNATURE_ECC.signatureR", at, "is empty");
            }

            if (s.IsEmpty)
            {
                TpmPublic.Fail("TPMS_SIGNATURE_ECC.signatureS", atS, "is empty");
            }

            result = new TpmSignature(sigAlg, hash, [], r.ToArray(), s.ToArray());
        }

        bytesConsumed = reader.Position;
        return result;
    }

    /// <summary>Tries to parse a TPMT_SIGNATURE that fills <paramref name="source"/> exactly.</summary>
    public static bool TryParse(ReadOnlySpan<byte> source, [NotNullWhen(true)] out TpmSignature? result, [NotNullWhen(false)] out string? error)
    {
        try
        {
            result = Parse(source);
            error = null;
            return true;
        }
        catch (TpmFormatException e)
        {
            result = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Encodes an RSASSA TPMT_SIGNATURE.</summary>
    public static byte[] EncodeRsaSsa(ushort hashAlg, ReadOnlySpan<byte> signature) =>
        new TpmWriter(signature.Length + 6).UInt16(TpmAlgorithmId.RsaSsa).UInt16(hashAlg).Sized(signature).ToArray();

    /// <summary>Encodes an ECDSA TPMT_SIGNATURE.</summary>
    public static byte[] EncodeEcdsa(ushort hashAlg, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s) =>
        new TpmWriter(r.Length + s.Length + 8).UInt16(TpmAlgorithmId.EcDsa).UInt16(hashAlg).Sized(r).Sized(s).ToArray();
}
