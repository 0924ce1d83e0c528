using System.Diagnostics.CodeAnalysis;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Structures;

/// <summary>
/// A TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4) made by an asymmetric key: RSASSA and RSAPSS carry
/// TPMS_SIGNATURE_RSA (hash, TPM2B signature); ECDSA, ECDAA, SM2 and ECSCHNORR carry TPMS_SIGNATURE_ECC (hash,
/// TPM2B r, TPM2B s). HMAC and NULL signatures are rejected. Which of these a verifier accepts is its own
/// decision (quotes: RSASSA or ECDSA).
/// </summary>
public sealed class TpmSignature
{
    /// <summary>The largest RSA signature (4096-bit keys).</summary>
    public const int MaxRsaSignatureSize = 512;

    /// <summary>The largest ECC signature part r or s (P-521).</summary>
    public const int MaxEccParameterSize = 66;

    /// <summary>The largest TPMT_SIGNATURE accepted: sigAlg, hash and the largest RSA signature.</summary>
    public const int MaxSize = 2 + 2 + 2 + MaxRsaSignatureSize;

    private readonly byte[] _rsaSignature;
    private readonly byte[] _r;
    private readonly byte[] _s;

    private TpmSignature(TpmAlgorithm sigAlg, TpmAlgorithm hashAlg, byte[] rsaSignature, byte[] r, byte[] s)
    {
        SigAlg = sigAlg;
        HashAlg = hashAlg;
        _rsaSignature = rsaSignature;
        _r = r;
        _s = s;
    }

    /// <summary>The signature scheme, e.g. <see cref="TpmAlgorithm.RsaSsa"/> or <see cref="TpmAlgorithm.EcDsa"/>.</summary>
    public TpmAlgorithm SigAlg { get; }

    /// <summary>The hash the signature was made over.</summary>
    public TpmAlgorithm HashAlg { get; }

    /// <summary>Whether the signature is an RSA one (TPMS_SIGNATURE_RSA); otherwise it is an ECC one.</summary>
    public bool IsRsa => SigAlg is TpmAlgorithm.RsaSsa or TpmAlgorithm.RsaPss;

    /// <summary>RSA schemes only: the signature.</summary>
    public ReadOnlyMemory<byte> RsaSignature => _rsaSignature;

    /// <summary>ECC schemes only: r, big-endian as the TPM wrote it (may be shorter than the curve size).</summary>
    public ReadOnlyMemory<byte> SignatureR => _r;

    /// <summary>ECC schemes only: s, big-endian as the TPM wrote it.</summary>
    public ReadOnlyMemory<byte> SignatureS => _s;

    /// <summary>Reads a TPMT_SIGNATURE at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">Malformed, or not an asymmetric signature.</exception>
    public static TpmSignature Read(ReadOnlySpan<byte> source, out int bytesConsumed) => TpmStructure.Read(source, MaxSize, Read, out bytesConsumed);

    /// <summary>Tries <see cref="Read(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out TpmSignature? result, out int bytesConsumed) =>
        TpmStructure.TryRead(source, MaxSize, Read, out result, out bytesConsumed);

    /// <summary>Parses a TPMT_SIGNATURE that must fill <paramref name="source"/> exactly.</summary>
    /// <exception cref="TpmFormatException">Malformed, not an asymmetric signature, too large, or trailing bytes.</exception>
    public static TpmSignature Parse(ReadOnlySpan<byte> source) => TpmStructure.Parse(source, MaxSize, Read, "TPMT_SIGNATURE");

    /// <summary>Encodes an RSASSA TPMT_SIGNATURE.</summary>
    public static byte[] EncodeRsaSsa(TpmAlgorithm hashAlg, ReadOnlySpan<byte> signature) =>
        new TpmWriter(signature.Length + 6).UInt16((ushort)TpmAlgorithm.RsaSsa).UInt16((ushort)hashAlg).Sized(signature).ToArray();

    /// <summary>Encodes an ECDSA TPMT_SIGNATURE.</summary>
    public static byte[] EncodeEcdsa(TpmAlgorithm hashAlg, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s) =>
        new TpmWriter(r.Length + s.Length + 8).UInt16((ushort)TpmAlgorithm.EcDsa).UInt16((ushort)hashAlg).Sized(r).Sized(s).ToArray();

    internal static TpmSignature Read(ref TpmReader reader)
    {
        int at = reader.Position;
        var sigAlg = (TpmAlgorithm)reader.ReadUInt16("TPMT_SIGNATURE.sigAlg");
        bool rsa = sigAlg is TpmAlgorithm.RsaSsa or TpmAlgorithm.RsaPss;
        if (!rsa && sigAlg is not (TpmAlgorithm.EcDsa or TpmAlgorithm.EcDaa or TpmAlgorithm.Sm2 or TpmAlgorithm.EcSchnorr))
        {
            TpmFormatException.Throw("TPMT_SIGNATURE.sigAlg", at, $"0x{(ushort)sigAlg:X4} is not an RSA or ECC signature scheme");
        }

        at = reader.Position;
        var hash = (TpmAlgorithm)reader.ReadUInt16("TPMT_SIGNATURE.hash");
        if (TpmHash.DigestSize(hash) == 0)
        {
            TpmFormatException.Throw("TPMT_SIGNATURE.hash", at, $"0x{(ushort)hash:X4} is not a hash algorithm");
        }

        if (rsa)
        {
            at = reader.Position;
            ReadOnlySpan<byte> sig = reader.ReadSized("TPMS_SIGNATURE_RSA.sig", MaxRsaSignatureSize);
            if (sig.IsEmpty)
            {
                TpmFormatException.Throw("TPMS_SIGNATURE_RSA.sig", at, "is empty");
            }

            return new TpmSignature(sigAlg, hash, sig.ToArray(), [], []);
        }

        at = reader.Position;
        ReadOnlySpan<byte> r = reader.ReadSized("TPMS_SIGNATURE_ECC.signatureR", MaxEccParameterSize);
        if (r.IsEmpty)
        {
            TpmFormatException.Throw("TPMS_SIGNATURE_ECC.signatureR", at, "is empty");
        }

        at = reader.Position;
        ReadOnlySpan<byte> s = reader.ReadSized("TPMS_SIGNATURE_ECC.signatureS", MaxEccParameterSize);
        if (s.IsEmpty)
        {
            TpmFormatException.Throw("TPMS_SIGNATURE_ECC.signatureS", at, "is empty");
        }

        return new TpmSignature(sigAlg, hash, [], r.ToArray(), s.ToArray());
    }
}
