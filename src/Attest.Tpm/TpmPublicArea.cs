using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm;

/// <summary>
/// The fields this library needs from an RSA or ECC TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4), parsed strictly, with
/// the exact bytes kept for name computation and for verifiers that re-parse them.
/// </summary>
public sealed class TpmPublicArea
{
    /// <summary>Largest TPMT_PUBLIC accepted (an RSA-4096 key is about 600 bytes).</summary>
    public const int MaxSize = 1024;

    private const int MaxRsaModulus = 512;
    private const int MaxEccCoordinate = 66;
    private const int MaxPolicyDigest = 64;

    private readonly byte[] _bytes;
    private readonly byte[] _authPolicy;
    private readonly byte[] _unique1;
    private readonly byte[] _unique2;

    private TpmPublicArea(byte[] bytes, byte[] authPolicy, byte[] unique1, byte[] unique2)
    {
        _bytes = bytes;
        _authPolicy = authPolicy;
        _unique1 = unique1;
        _unique2 = unique2;
    }

    /// <summary>The TPMT_PUBLIC bytes.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>type: <see cref="TpmAlgorithm.Rsa"/> or <see cref="TpmAlgorithm.Ecc"/>.</summary>
    public TpmAlgorithm Type { get; private init; }

    /// <summary>nameAlg.</summary>
    public TpmAlgorithm NameAlg { get; private init; }

    /// <summary>objectAttributes.</summary>
    public TpmObjectAttributes Attributes { get; private init; }

    /// <summary>authPolicy.</summary>
    public ReadOnlyMemory<byte> AuthPolicy => _authPolicy;

    /// <summary>parameters.symmetric.algorithm (TPM_ALG_NULL for signing keys).</summary>
    public TpmAlgorithm Symmetric { get; private init; }

    /// <summary>parameters.scheme.scheme.</summary>
    public TpmAlgorithm Scheme { get; private init; }

    /// <summary>parameters.scheme.details.hashAlg, or TPM_ALG_NULL when the scheme has none.</summary>
    public TpmAlgorithm SchemeHash { get; private init; }

    /// <summary>RSA keyBits (0 for ECC).</summary>
    public int RsaKeyBits { get; private init; }

    /// <summary>RSA exponent as stored (0 means 65537).</summary>
    public uint RsaExponent { get; private init; }

    /// <summary>ECC curveID (<see cref="TpmEccCurve.None"/> for RSA).</summary>
    public TpmEccCurve Curve { get; private init; }

    /// <summary>unique: the RSA modulus, or the ECC point's x coordinate.</summary>
    public ReadOnlyMemory<byte> Unique => _unique1;

    /// <summary>unique: the ECC point's y coordinate (empty for RSA).</summary>
    public ReadOnlyMemory<byte> UniqueY => _unique2;

    /// <summary>The object's name: nameAlg || H_nameAlg(TPMT_PUBLIC) (TPM 2.0 Part 1 §16).</summary>
    public byte[] ComputeName() => ComputeName(_bytes);

    /// <summary>The name of the object whose TPMT_PUBLIC is <paramref name="publicArea"/>.</summary>
    /// <exception cref="TpmFormatException">The bytes are too short or name an unsupported hash.</exception>
    public static byte[] ComputeName(ReadOnlySpan<byte> publicArea)
    {
        if (publicArea.Length < 4)
        {
            throw new TpmFormatException("TPMT_PUBLIC.nameAlg at offset 2: too short to hold a nameAlg.", "TPMT_PUBLIC.nameAlg", 2);
        }

        var nameAlg = (TpmAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(publicArea[2..]);
        HashAlgorithmName hash = TpmHash.ToHashAlgorithmName(nameAlg)
            ?? throw new TpmFormatException($"TPMT_PUBLIC.nameAlg at offset 2: unsupported hash 0x{(ushort)nameAlg:X4}.", "TPMT_PUBLIC.nameAlg", 2);
        byte[] name = new byte[2 + TpmHash.DigestSize(nameAlg)];
        BinaryPrimitives.WriteUInt16BigEndian(name, (ushort)nameAlg);
        CryptographicOperations.HashData(hash, publicArea, name.AsSpan(2));
        return name;
    }

    /// <summary>Parses a TPM2B_PUBLIC (size-prefixed) that must fill <paramref name="data"/> exactly.</summary>
    /// <exception cref="TpmFormatException">The bytes are not a well-formed RSA or ECC public area.</exception>
    public static TpmPublicArea ParseSized(ReadOnlySpan<byte> data)
    {
        TpmPublicArea area = ParseSized(data, out int consumed);
        if (consumed != data.Length)
        {
            throw new TpmFormatException($"TPM2B_PUBLIC at offset {consumed}: {data.Length - consumed} trailing bytes.", "TPM2B_PUBLIC", consumed);
        }

        return area;
    }

    /// <summary>Parses a TPM2B_PUBLIC at the start of <paramref name="data"/>, reporting the bytes it used.</summary>
    /// <exception cref="TpmFormatException">The bytes are not a well-formed RSA or ECC public area.</exception>
    public static TpmPublicArea ParseSized(ReadOnlySpan<byte> data, out int bytesConsumed)
    {
        var r = new TpmReader(data);
        ReadOnlySpan<byte> inner = r.ReadSized("TPM2B_PUBLIC.size", MaxSize);
        TpmPublicArea area = Parse(inner);
        bytesConsumed = r.Position;
        return area;
    }

    /// <summary>Tries <see cref="ParseSized(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryParseSized(ReadOnlySpan<byte> data, [NotNullWhen(true)] out TpmPublicArea? publicArea, out int bytesConsumed)
    {
        try
        {
            publicArea = ParseSized(data, out bytesConsumed);
            return true;
        }
        catch (TpmFormatException)
        {
            publicArea = null;
            bytesConsumed = 0;
            return false;
        }
    }

    /// <summary>Parses a TPMT_PUBLIC that must fill <paramref name="data"/> exactly.</summary>
    /// <exception cref="TpmFormatException">The bytes are not a well-formed RSA or ECC public area.</exception>
    public static TpmPublicArea Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxSize)
        {
            throw new TpmFormatException($"TPMT_PUBLIC at offset 0: {data.Length} bytes exceeds {MaxSize}.", "TPMT_PUBLIC", 0);
        }

        var r = new TpmReader(data);
        var type = (TpmAlgorithm)r.ReadUInt16("TPMT_PUBLIC.type");
        if (type is not TpmAlgorithm.Rsa and not TpmAlgorithm.Ecc)
        {
            throw new TpmFormatException($"TPMT_PUBLIC.type at offset 0: 0x{(ushort)type:X4} is not RSA or ECC.", "TPMT_PUBLIC.type", 0);
        }

        var nameAlg = (TpmAlgorithm)r.ReadUInt16("TPMT_PUBLIC.nameAlg");
        if (TpmHash.ToHashAlgorithmName(nameAlg) is null)
        {
            throw new TpmFormatException($"TPMT_PUBLIC.nameAlg at offset 2: unsupported hash 0x{(ushort)nameAlg:X4}.", "TPMT_PUBLIC.nameAlg", 2);
        }

        var attributes = (TpmObjectAttributes)r.ReadUInt32("TPMT_PUBLIC.objectAttributes");
        byte[] policy = r.ReadSized("TPMT_PUBLIC.authPolicy", MaxPolicyDigest).ToArray();

        // TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): keyBits and mode only when the algorithm is not NULL.
        var symmetric = (TpmAlgorithm)r.ReadUInt16("parameters.symmetric.algorithm");
        if (symmetric != TpmAlgorithm.Null)
        {
            r.ReadUInt16("parameters.symmetric.keyBits");
            r.ReadUInt16("parameters.symmetric.mode");
        }

        var scheme = (TpmAlgorithm)r.ReadUInt16("parameters.scheme.scheme");
        TpmAlgorithm schemeHash = TpmAlgorithm.Null;
        if (scheme is not TpmAlgorithm.Null and not TpmAlgorithm.RsaEs)
        {
            schemeHash = (TpmAlgorithm)r.ReadUInt16("parameters.scheme.details.hashAlg");
            if (scheme == TpmAlgorithm.EcDaa)
            {
                r.ReadUInt16("parameters.scheme.details.count");
            }
        }

        if (type == TpmAlgorithm.Rsa)
        {
            ushort keyBits = r.ReadUInt16("parameters.keyBits");
            uint exponent = r.ReadUInt32("parameters.exponent");
            byte[] modulus = r.ReadSized("unique.rsa", MaxRsaModulus).ToArray();
            r.EnsureEnd("TPMT_PUBLIC");
            return new TpmPublicArea(data.ToArray(), policy, modulus, [])
            {
                Type = type, NameAlg = nameAlg, Attributes = attributes, Symmetric = symmetric, Scheme = scheme,
                SchemeHash = schemeHash, RsaKeyBits = keyBits, RsaExponent = exponent, Curve = TpmEccCurve.None,
            };
        }

        var curve = (TpmEccCurve)r.ReadUInt16("parameters.curveID");
        var kdf = (TpmAlgorithm)r.ReadUInt16("parameters.kdf.scheme");
        if (kdf != TpmAlgorithm.Null)
        {
            r.ReadUInt16("parameters.kdf.details.hashAlg");
        }

        byte[] x = r.ReadSized("unique.ecc.x", MaxEccCoordinate).ToArray();
        byte[] y = r.ReadSized("unique.ecc.y", MaxEccCoordinate).ToArray();
        r.EnsureEnd("TPMT_PUBLIC");
        return new TpmPublicArea(data.ToArray(), policy, x, y)
        {
            Type = type, NameAlg = nameAlg, Attributes = attributes, Symmetric = symmetric, Scheme = scheme,
            SchemeHash = schemeHash, Curve = curve,
        };
    }

    /// <summary>
    /// The public key as DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), e.g. to compare with an EK certificate's key
    /// or to hand to tools that take PEM.
    /// </summary>
    /// <exception cref="NotSupportedException">The curve is not P-256, P-384 or P-521.</exception>
    /// <exception cref="CryptographicException">The key material is not a valid key.</exception>
    public byte[] ExportSubjectPublicKeyInfo()
    {
        if (Type == TpmAlgorithm.Rsa)
        {
            using var rsa = RSA.Create();
            byte[] exponent = RsaExponent == 0 ? [0x01, 0x00, 0x01] : ExponentBytes(RsaExponent);
            rsa.ImportParameters(new RSAParameters { Modulus = _unique1, Exponent = exponent });
            return rsa.ExportSubjectPublicKeyInfo();
        }

        ECCurve curve = Curve switch
        {
            TpmEccCurve.NistP256 => ECCurve.NamedCurves.nistP256,
            TpmEccCurve.NistP384 => ECCurve.NamedCurves.nistP384,
            TpmEccCurve.NistP521 => ECCurve.NamedCurves.nistP521,
            _ => throw new NotSupportedException($"ECC curve 0x{(ushort)Curve:X4} is not supported."),
        };
        using var ecdsa = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = _unique1, Y = _unique2 } });
        return ecdsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The public key as a PEM "PUBLIC KEY" block.</summary>
    public string ExportSubjectPublicKeyInfoPem() => PemEncoding.WriteString("PUBLIC KEY", ExportSubjectPublicKeyInfo());

    private static byte[] ExponentBytes(uint exponent)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, exponent);
        int skip = 0;
        while (skip < 3 && bytes[skip] == 0)
        {
            skip++;
        }

        return bytes[skip..];
    }
}

/// <summary>Maps TPM hash algorithm IDs to .NET hash names and sizes.</summary>
public static class TpmHash
{
    /// <summary>The .NET name of <paramref name="algorithm"/>, or null when it is not a supported hash.</summary>
    public static HashAlgorithmName? ToHashAlgorithmName(TpmAlgorithm algorithm) => algorithm switch
    {
        TpmAlgorithm.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>The digest size of <paramref name="algorithm"/> in bytes.</summary>
    /// <exception cref="ArgumentException">It is not a supported hash.</exception>
    public static int DigestSize(TpmAlgorithm algorithm) => algorithm switch
    {
        TpmAlgorithm.Sha1 => 20,
        TpmAlgorithm.Sha256 => 32,
        TpmAlgorithm.Sha384 => 48,
        TpmAlgorithm.Sha512 => 64,
        _ => throw new ArgumentException($"0x{(ushort)algorithm:X4} is not a supported hash algorithm.", nameof(algorithm)),
    };
}
