using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Structures;

/// <summary>A scheme selector with its details: TPMT_RSA_SCHEME, TPMT_ECC_SCHEME or TPMT_KDF_SCHEME (Part 2 §11.2).</summary>
/// <param name="Scheme">The scheme algorithm, <see cref="TpmAlgorithm.Null"/> when none.</param>
/// <param name="HashAlg">The hash of the scheme's details, <see cref="TpmAlgorithm.Null"/> when it has none.</param>
/// <param name="Count">The ECDAA commit count (TPMS_SCHEME_ECDAA), otherwise 0.</param>
public readonly record struct TpmScheme(TpmAlgorithm Scheme, TpmAlgorithm HashAlg, ushort Count)
{
    /// <summary>No scheme (TPM_ALG_NULL).</summary>
    public static TpmScheme None => new(TpmAlgorithm.Null, TpmAlgorithm.Null, 0);
}

/// <summary>TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): the symmetric algorithm protecting a storage key's children.</summary>
/// <param name="Algorithm">The block cipher, <see cref="TpmAlgorithm.Null"/> when none.</param>
/// <param name="KeyBits">The key size in bits (0 when none).</param>
/// <param name="Mode">The block mode, <see cref="TpmAlgorithm.Null"/> when none.</param>
public readonly record struct TpmSymmetricDefinition(TpmAlgorithm Algorithm, ushort KeyBits, TpmAlgorithm Mode)
{
    /// <summary>No symmetric algorithm (TPM_ALG_NULL), as for signing keys.</summary>
    public static TpmSymmetricDefinition None => new(TpmAlgorithm.Null, 0, TpmAlgorithm.Null);
}

/// <summary>
/// A parsed TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4) of an RSA or ECC key, with the exact bytes it was parsed from,
/// so its Name (Part 1 §16: nameAlg || H_nameAlg(TPMT_PUBLIC)) can be computed without re-marshalling.
/// </summary>
public sealed class TpmPublic
{
    /// <summary>The largest TPMT_PUBLIC accepted: sizeof(TPMT_PUBLIC) for the largest key types (Part 2 §12.2.5).</summary>
    public const int MaxSize = 1024;

    /// <summary>The largest RSA modulus accepted (4096-bit keys; MAX_RSA_KEY_BYTES).</summary>
    public const int MaxRsaModulusSize = 512;

    /// <summary>The largest ECC coordinate accepted (P-521; MAX_ECC_KEY_BYTES).</summary>
    public const int MaxEccParameterSize = 66;

    private readonly byte[] _encoded;
    private readonly byte[] _authPolicy;
    private readonly byte[] _rsaModulus;
    private readonly byte[] _eccX;
    private readonly byte[] _eccY;

    private TpmPublic(
        byte[] encoded, TpmAlgorithm type, TpmAlgorithm nameAlg, TpmObjectAttributes attributes, byte[] authPolicy,
        TpmSymmetricDefinition symmetric, TpmScheme scheme, ushort rsaKeyBits, uint rsaExponent, byte[] rsaModulus,
        TpmEccCurve eccCurve, TpmScheme eccKdf, byte[] eccX, byte[] eccY)
    {
        _encoded = encoded;
        Type = type;
        NameAlg = nameAlg;
        Attributes = attributes;
        _authPolicy = authPolicy;
        Symmetric = symmetric;
        Scheme = scheme;
        RsaKeyBits = rsaKeyBits;
        RsaExponent = rsaExponent;
        _rsaModulus = rsaModulus;
        EccCurve = eccCurve;
        EccKdf = eccKdf;
        _eccX = eccX;
        _eccY = eccY;
    }

    /// <summary>The TPMT_PUBLIC bytes this was parsed from.</summary>
    public ReadOnlyMemory<byte> Encoded => _encoded;

    /// <summary>The key type: <see cref="TpmAlgorithm.Rsa"/> or <see cref="TpmAlgorithm.Ecc"/>.</summary>
    public TpmAlgorithm Type { get; }

    /// <summary>The hash used for the object's Name.</summary>
    public TpmAlgorithm NameAlg { get; }

    /// <summary>The object attributes.</summary>
    public TpmObjectAttributes Attributes { get; }

    /// <summary>The authPolicy digest (empty when none).</summary>
    public ReadOnlyMemory<byte> AuthPolicy => _authPolicy;

    /// <summary>The symmetric definition (NULL for signing keys).</summary>
    public TpmSymmetricDefinition Symmetric { get; }

    /// <summary>The signing or encryption scheme.</summary>
    public TpmScheme Scheme { get; }

    /// <summary>RSA only: the key size in bits.</summary>
    public ushort RsaKeyBits { get; }

    /// <summary>RSA only: the public exponent (a stored 0 is reported as the default 65537).</summary>
    public uint RsaExponent { get; }

    /// <summary>RSA only: the modulus, big-endian.</summary>
    public ReadOnlyMemory<byte> RsaModulus => _rsaModulus;

    /// <summary>ECC only: the curve (TPM_ECC_CURVE).</summary>
    public TpmEccCurve EccCurve { get; }

    /// <summary>ECC only: the KDF scheme.</summary>
    public TpmScheme EccKdf { get; }

    /// <summary>ECC only: the X coordinate of the public point.</summary>
    public ReadOnlyMemory<byte> EccX => _eccX;

    /// <summary>ECC only: the Y coordinate of the public point.</summary>
    public ReadOnlyMemory<byte> EccY => _eccY;

    /// <summary>Encodes an RSA TPMT_PUBLIC (a key's public area, or a CreatePrimary template with an empty modulus).</summary>
    public static byte[] EncodeRsa(
        TpmAlgorithm nameAlg, TpmObjectAttributes attributes, ReadOnlySpan<byte> authPolicy, TpmSymmetricDefinition symmetric,
        TpmScheme scheme, ushort keyBits, uint exponent, ReadOnlySpan<byte> modulus)
    {
        TpmWriter w = WriteCommon(TpmAlgorithm.Rsa, nameAlg, attributes, authPolicy, symmetric, scheme, modulus.Length + 32);
        return w.UInt16(keyBits).UInt32(exponent).Sized(modulus).ToArray();
    }

    /// <summary>Encodes an ECC TPMT_PUBLIC (a key's public area, or a CreatePrimary template with empty or zero coordinates).</summary>
    public static byte[] EncodeEcc(
        TpmAlgorithm nameAlg, TpmObjectAttributes attributes, ReadOnlySpan<byte> authPolicy, TpmSymmetricDefinition symmetric,
        TpmScheme scheme, TpmEccCurve curve, TpmScheme kdf, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        TpmWriter w = WriteCommon(TpmAlgorithm.Ecc, nameAlg, attributes, authPolicy, symmetric, scheme, x.Length + y.Length + 32);
        w.UInt16((ushort)curve);
        WriteScheme(w, kdf);
        return w.Sized(x).Sized(y).ToArray();
    }

    /// <summary>Reads a TPMT_PUBLIC at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">The bytes are not a well-formed RSA or ECC TPMT_PUBLIC.</exception>
    public static TpmPublic Read(ReadOnlySpan<byte> source, out int bytesConsumed) => TpmStructure.Read(source, MaxSize, Read, out bytesConsumed);

    /// <summary>Tries <see cref="Read(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out TpmPublic? result, out int bytesConsumed) =>
        TpmStructure.TryRead(source, MaxSize, Read, out result, out bytesConsumed);

    /// <summary>Reads a TPM2B_PUBLIC (UINT16 size, then a TPMT_PUBLIC filling exactly that size) at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">Malformed, or the TPMT_PUBLIC does not fill the size.</exception>
    public static TpmPublic ReadSized(ReadOnlySpan<byte> source, out int bytesConsumed) =>
        TpmStructure.Read(source, MaxSize + 2, ReadSized, out bytesConsumed);

    /// <summary>Tries <see cref="ReadSized(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryReadSized(ReadOnlySpan<byte> source, [NotNullWhen(true)] out TpmPublic? result, out int bytesConsumed) =>
        TpmStructure.TryRead(source, MaxSize + 2, ReadSized, out result, out bytesConsumed);

    /// <summary>Parses a TPMT_PUBLIC that must fill <paramref name="source"/> exactly.</summary>
    /// <exception cref="TpmFormatException">Malformed, too large, or trailing bytes.</exception>
    public static TpmPublic Parse(ReadOnlySpan<byte> source) => TpmStructure.Parse(source, MaxSize, Read, "TPMT_PUBLIC");

    /// <summary>Parses a TPM2B_PUBLIC that must fill <paramref name="source"/> exactly.</summary>
    /// <exception cref="TpmFormatException">Malformed, too large, or trailing bytes.</exception>
    public static TpmPublic ParseSized(ReadOnlySpan<byte> source) => TpmStructure.Parse(source, MaxSize + 2, ReadSized, "TPM2B_PUBLIC");

    /// <summary>Reads a TPM2B_PUBLIC from <paramref name="reader"/>: its TPMT_PUBLIC must fill the size exactly.</summary>
    internal static TpmPublic ReadSized(ref TpmReader reader)
    {
        int at = reader.Position;
        ReadOnlySpan<byte> inner = reader.ReadSized("TPM2B_PUBLIC.size", MaxSize);
        if (inner.IsEmpty)
        {
            Fail("TPM2B_PUBLIC.size", at, "empty public area");
        }

        var innerReader = new TpmReader(inner);
        TpmPublic result;
        try
        {
            result = Read(ref innerReader);
        }
        catch (TpmFormatException e)
        {
            // Offsets relative to the outer buffer.
            throw new TpmFormatException($"TPM2B_PUBLIC: {e.Message}", e.Field, e.Offset + at + 2);
        }

        if (innerReader.Remaining != 0)
        {
            Fail("TPM2B_PUBLIC", at + 2 + innerReader.Position, $"{innerReader.Remaining} trailing bytes within its size");
        }

        return result;
    }

    /// <summary>The object's Name: nameAlg (UINT16) || H_nameAlg(TPMT_PUBLIC) (Part 1 §16).</summary>
    /// <exception cref="NotSupportedException">The nameAlg is not SHA-1 or SHA-2.</exception>
    public byte[] ComputeName() => TpmName.Compute(NameAlg, _encoded);

    /// <summary>The TPM2B_PUBLIC encoding (size prefix then the TPMT_PUBLIC bytes).</summary>
    public byte[] ToSized()
    {
        var w = new TpmWriter(_encoded.Length + 2);
        w.Sized(_encoded);
        return w.ToArray();
    }

    /// <summary>Imports the RSA public key.</summary>
    /// <exception cref="InvalidOperationException">Not an RSA key.</exception>
    public RSA CreateRsa()
    {
        if (Type != TpmAlgorithm.Rsa)
        {
            throw new InvalidOperationException("The TPM key is not an RSA key.");
        }

        var exponent = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(exponent, RsaExponent);
        int skip = 0;
        while (skip < 3 && exponent[skip] == 0)
        {
            skip++;
        }

        return RSA.Create(new RSAParameters { Modulus = _rsaModulus, Exponent = exponent[skip..] });
    }

    /// <summary>Imports the ECC public key.</summary>
    /// <exception cref="InvalidOperationException">Not an ECC key, or an unsupported curve.</exception>
    /// <exception cref="CryptographicException">The point is not on the curve.</exception>
    public ECDsa CreateECDsa()
    {
        if (Type != TpmAlgorithm.Ecc)
        {
            throw new InvalidOperationException("The TPM key is not an ECC key.");
        }

        return ECDsa.Create(ToEcParameters());
    }

    /// <summary>ECC only: the public point as .NET parameters, coordinates left-padded to the curve size.</summary>
    /// <exception cref="InvalidOperationException">Not an ECC key, or an unsupported curve.</exception>
    public ECParameters ToEcParameters()
    {
        (ECCurve curve, int size) = EccCurve switch
        {
            TpmEccCurve.NistP256 => (ECCurve.NamedCurves.nistP256, 32),
            TpmEccCurve.NistP384 => (ECCurve.NamedCurves.nistP384, 48),
            TpmEccCurve.NistP521 => (ECCurve.NamedCurves.nistP521, 66),
            _ => throw new InvalidOperationException($"ECC curve 0x{(ushort)EccCurve:X4} is not supported."),
        };
        if (Type != TpmAlgorithm.Ecc || _eccX.Length > size || _eccY.Length > size)
        {
            throw new InvalidOperationException("The TPM key is not a valid ECC key for its curve.");
        }

        return new ECParameters { Curve = curve, Q = new ECPoint { X = LeftPad(_eccX, size), Y = LeftPad(_eccY, size) } };
    }

    /// <summary>Whether <paramref name="key"/> is the same public key (modulus and exponent, or curve and point).</summary>
    public bool PublicKeyEquals(AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Type == TpmAlgorithm.Rsa && key is RSA rsa)
        {
            RSAParameters p = rsa.ExportParameters(false);
            using RSA mine = CreateRsa();
            RSAParameters q = mine.ExportParameters(false);
            return p.Modulus.AsSpan().SequenceEqual(q.Modulus) && p.Exponent.AsSpan().SequenceEqual(q.Exponent);
        }

        if (Type == TpmAlgorithm.Ecc && key is ECDsa or ECDiffieHellman)
        {
            ECParameters p = key is ECDsa e ? e.ExportParameters(false) : ((ECDiffieHellman)key).ExportParameters(false);
            ECParameters q;
            try
            {
                q = ToEcParameters();
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            return p.Curve.Oid.Value == q.Curve.Oid.Value
                && p.Q.X.AsSpan().SequenceEqual(q.Q.X) && p.Q.Y.AsSpan().SequenceEqual(q.Q.Y);
        }

        return false;
    }

    /// <summary>
    /// The public key as DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), e.g. to compare with an EK certificate's key
    /// or to hand to tools that take PEM.
    /// </summary>
    /// <exception cref="InvalidOperationException">An ECC curve other than P-256, P-384 or P-521.</exception>
    /// <exception cref="CryptographicException">The key material is not a valid key.</exception>
    public byte[] ExportSubjectPublicKeyInfo()
    {
        using AsymmetricAlgorithm key = Type == TpmAlgorithm.Rsa ? CreateRsa() : CreateECDsa();
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The public key as a PEM "PUBLIC KEY" block.</summary>
    public string ExportSubjectPublicKeyInfoPem() => PemEncoding.WriteString("PUBLIC KEY", ExportSubjectPublicKeyInfo());

    private static byte[] LeftPad(byte[] value, int size)
    {
        if (value.Length == size)
        {
            return value;
        }

        var padded = new byte[size];
        value.CopyTo(padded.AsSpan(size - value.Length));
        return padded;
    }

    internal static TpmPublic Read(ref TpmReader reader)
    {
        // TPM 2.0 Part 2 §12.2.4 TPMT_PUBLIC: type, nameAlg, objectAttributes, authPolicy, parameters, unique.
        int start = reader.Position;
        var type = (TpmAlgorithm)reader.ReadUInt16("TPMT_PUBLIC.type");
        if (type is not (TpmAlgorithm.Rsa or TpmAlgorithm.Ecc))
        {
            Fail("TPMT_PUBLIC.type", start, $"key type 0x{(ushort)type:X4} is not RSA (0x0001) or ECC (0x0023)");
        }

        int at = reader.Position;
        var nameAlg = (TpmAlgorithm)reader.ReadUInt16("TPMT_PUBLIC.nameAlg");
        if (TpmHash.DigestSize(nameAlg) == 0)
        {
            Fail("TPMT_PUBLIC.nameAlg", at, $"0x{(ushort)nameAlg:X4} is not a hash algorithm");
        }

        var attributes = (TpmObjectAttributes)reader.ReadUInt32("TPMT_PUBLIC.objectAttributes");
        at = reader.Position;
        ReadOnlySpan<byte> authPolicy = reader.ReadSized("TPMT_PUBLIC.authPolicy", TpmHash.MaxDigestSize);
        if (authPolicy.Length != 0 && authPolicy.Length != TpmHash.DigestSize(nameAlg))
        {
            Fail("TPMT_PUBLIC.authPolicy", at, $"size {authPolicy.Length} is neither 0 nor the nameAlg digest size");
        }

        TpmSymmetricDefinition symmetric = ReadSymmetric(ref reader);
        ushort rsaKeyBits = 0;
        uint exponent = 0;
        byte[] modulus = [];
        TpmEccCurve curve = TpmEccCurve.None;
        TpmScheme kdf = default;
        byte[] x = [];
        byte[] y = [];
        TpmScheme scheme;
        if (type == TpmAlgorithm.Rsa)
        {
            // TPMS_RSA_PARMS: symmetric, scheme, keyBits, exponent; unique is TPM2B_PUBLIC_KEY_RSA.
            scheme = ReadScheme(ref reader, "TPMS_RSA_PARMS.scheme", ecc: false);
            at = reader.Position;
            rsaKeyBits = reader.ReadUInt16("TPMS_RSA_PARMS.keyBits");
            if (rsaKeyBits is not (1024 or 2048 or 3072 or 4096))
            {
                Fail("TPMS_RSA_PARMS.keyBits", at, $"{rsaKeyBits} is not 1024, 2048, 3072 or 4096");
            }

            at = reader.Position;
            exponent = reader.ReadUInt32("TPMS_RSA_PARMS.exponent");
            if (exponent == 0)
            {
                exponent = 65537; // Part 2 §12.2.3.5: zero selects the default exponent 2^16 + 1.
            }
            else if (exponent < 3 || (exponent & 1) == 0)
            {
                Fail("TPMS_RSA_PARMS.exponent", at, $"{exponent} is not an odd exponent of at least 3");
            }

            at = reader.Position;
            ReadOnlySpan<byte> n = reader.ReadSized("TPMT_PUBLIC.unique.rsa", MaxRsaModulusSize);
            if (n.Length != rsaKeyBits / 8)
            {
                Fail("TPMT_PUBLIC.unique.rsa", at, $"modulus of {n.Length} bytes does not match keyBits {rsaKeyBits}");
            }

            modulus = n.ToArray();
        }
        else
        {
            // TPMS_ECC_PARMS: symmetric, scheme, curveID, kdf; unique is TPMS_ECC_POINT.
            scheme = ReadScheme(ref reader, "TPMS_ECC_PARMS.scheme", ecc: true);
            at = reader.Position;
            curve = (TpmEccCurve)reader.ReadUInt16("TPMS_ECC_PARMS.curveID");
            if (curve is TpmEccCurve.None || (ushort)curve > 0x0040)
            {
                Fail("TPMS_ECC_PARMS.curveID", at, $"0x{(ushort)curve:X4} is not a TPM_ECC_CURVE");
            }

            kdf = ReadKdf(ref reader);
            x = reader.ReadSized("TPMS_ECC_POINT.x", MaxEccParameterSize).ToArray();
            y = reader.ReadSized("TPMS_ECC_POINT.y", MaxEccParameterSize).ToArray();
        }

        byte[] encoded = reader.ConsumedSince(start).ToArray();
        return new TpmPublic(encoded, type, nameAlg, attributes, authPolicy.ToArray(), symmetric, scheme,
            rsaKeyBits, exponent, modulus, curve, kdf, x, y);
    }

    private static TpmWriter WriteCommon(
        TpmAlgorithm type, TpmAlgorithm nameAlg, TpmObjectAttributes attributes, ReadOnlySpan<byte> authPolicy,
        TpmSymmetricDefinition symmetric, TpmScheme scheme, int sizeHint)
    {
        var w = new TpmWriter(authPolicy.Length + sizeHint);
        w.UInt16((ushort)type).UInt16((ushort)nameAlg).UInt32((uint)attributes).Sized(authPolicy);

        // TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): keyBits and mode only when the algorithm is not NULL.
        w.UInt16((ushort)symmetric.Algorithm);
        if (symmetric.Algorithm != TpmAlgorithm.Null)
        {
            w.UInt16(symmetric.KeyBits).UInt16((ushort)symmetric.Mode);
        }

        WriteScheme(w, scheme);
        return w;
    }

    private static void WriteScheme(TpmWriter w, TpmScheme scheme)
    {
        // Part 2 §11.2.3.5: the details are a hashAlg (none for NULL and RSAES), ECDAA adds a count.
        w.UInt16((ushort)scheme.Scheme);
        if (scheme.Scheme is not (TpmAlgorithm.Null or TpmAlgorithm.RsaEs))
        {
            w.UInt16((ushort)scheme.HashAlg);
            if (scheme.Scheme == TpmAlgorithm.EcDaa)
            {
                w.UInt16(scheme.Count);
            }
        }
    }

    private static TpmSymmetricDefinition ReadSymmetric(ref TpmReader reader)
    {
        int at = reader.Position;
        var alg = (TpmAlgorithm)reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (alg == TpmAlgorithm.Null)
        {
            return TpmSymmetricDefinition.None;
        }

        if (alg is not (TpmAlgorithm.Aes or TpmAlgorithm.Sm4 or TpmAlgorithm.Camellia))
        {
            Fail("TPMT_SYM_DEF_OBJECT.algorithm", at, $"0x{(ushort)alg:X4} is not a block cipher");
        }

        ushort bits = reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.keyBits");
        var mode = (TpmAlgorithm)reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.mode");
        return new TpmSymmetricDefinition(alg, bits, mode);
    }

    private static TpmScheme ReadScheme(ref TpmReader reader, string field, bool ecc)
    {
        int at = reader.Position;
        var scheme = (TpmAlgorithm)reader.ReadUInt16(field);
        if (scheme == TpmAlgorithm.Null)
        {
            return new TpmScheme(scheme, TpmAlgorithm.Null, 0);
        }

        // Part 2 §11.2.3.5 (TPMU_ASYM_SCHEME): every scheme carries a hashAlg, RSAES none, ECDAA also a count.
        bool known = ecc
            ? scheme is TpmAlgorithm.EcDsa or TpmAlgorithm.EcDh or TpmAlgorithm.EcDaa or TpmAlgorithm.Sm2
                or TpmAlgorithm.EcSchnorr or TpmAlgorithm.EcMqv
            : scheme is TpmAlgorithm.RsaSsa or TpmAlgorithm.RsaPss or TpmAlgorithm.RsaEs or TpmAlgorithm.Oaep;
        if (!known)
        {
            Fail(field, at, $"0x{(ushort)scheme:X4} is not a {(ecc ? "ECC" : "RSA")} scheme");
        }

        if (scheme == TpmAlgorithm.RsaEs)
        {
            return new TpmScheme(scheme, TpmAlgorithm.Null, 0);
        }

        TpmAlgorithm hash = ReadHash(ref reader, field + ".hashAlg");
        ushort count = scheme == TpmAlgorithm.EcDaa ? reader.ReadUInt16(field + ".count") : (ushort)0;
        return new TpmScheme(scheme, hash, count);
    }

    private static TpmScheme ReadKdf(ref TpmReader reader)
    {
        int at = reader.Position;
        var scheme = (TpmAlgorithm)reader.ReadUInt16("TPMS_ECC_PARMS.kdf");
        if (scheme == TpmAlgorithm.Null)
        {
            return new TpmScheme(scheme, TpmAlgorithm.Null, 0);
        }

        if (scheme is not (TpmAlgorithm.Kdf1Sp800_56A or TpmAlgorithm.Kdf2 or TpmAlgorithm.Kdf1Sp800_108))
        {
            Fail("TPMS_ECC_PARMS.kdf", at, $"0x{(ushort)scheme:X4} is not a KDF scheme");
        }

        return new TpmScheme(scheme, ReadHash(ref reader, "TPMS_ECC_PARMS.kdf.hashAlg"), 0);
    }

    private static TpmAlgorithm ReadHash(ref TpmReader reader, string field)
    {
        int at = reader.Position;
        var hash = (TpmAlgorithm)reader.ReadUInt16(field);
        if (TpmHash.DigestSize(hash) == 0)
        {
            Fail(field, at, $"0x{(ushort)hash:X4} is not a hash algorithm");
        }

        return hash;
    }

    [DoesNotReturn]
    private static void Fail(string field, int offset, string problem) => TpmFormatException.Throw(field, offset, problem);
}
