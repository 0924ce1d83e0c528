using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Enrollment;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;

namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>
/// An RSA EK whose private key the test holds, with a CA and a TCG-style EK certificate (critical SAN with TPM
/// manufacturer attributes, EKU tcg-kp-EKCertificate), and TPM2_ActivateCredential done in software.
/// </summary>
internal sealed class SoftwareEk : IDisposable
{
    public SoftwareEk()
    {
        Key = RSA.Create(2048);
        Public = TpmPublic.Parse(SoftwareTpm.RsaPublic(Key, TpmTemplates.EkAttributes, TpmAlgorithm.Null, SoftwareTpm.Aes128Cfb));
        CaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test TPM Vendor Root", CaKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        Root = caRequest.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Certificate = IssueEkCertificate(Key);
    }

    public RSA Key { get; }

    public TpmPublic Public { get; }

    public ECDsa CaKey { get; }

    public X509Certificate2 Root { get; }

    public byte[] Certificate { get; }

    public byte[] IssueEkCertificate(RSA subjectKey)
    {
        var request = new CertificateRequest(new X500DistinguishedName(string.Empty), subjectKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(EkCertificateValidator.EkCertificateEku)], false));
        request.CertificateExtensions.Add(new X509Extension("2.5.29.17", TpmManufacturerSan(), critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true));
        using X509Certificate2 cert = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(CaKey), new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2039, 1, 1, 0, 0, 0, TimeSpan.Zero), [1, 2, 3]);
        return cert.RawData;
    }

    /// <summary>TPM2_ActivateCredential in software (TPM 2.0 Part 1 §24; Part 3 §12.5): returns the credential or throws.</summary>
    public byte[] Activate(ReadOnlySpan<byte> credentialBlob, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> objectName)
    {
        var r = new TpmReader(secret);
        byte[] encryptedSeed = r.ReadSized("secret", 512).ToArray();
        r.EnsureEnd("secret");
        RSAParameters p = Key.ExportParameters(true);
        var priv = new RsaPrivateCrtKeyParameters(
            new BigInteger(1, p.Modulus), new BigInteger(1, p.Exponent), new BigInteger(1, p.D), new BigInteger(1, p.P), new BigInteger(1, p.Q),
            new BigInteger(1, p.DP), new BigInteger(1, p.DQ), new BigInteger(1, p.InverseQ));
        var oaep = new OaepEncoding(new RsaEngine(), new Sha256Digest(), new Sha256Digest(), "IDENTITY\0"u8.ToArray());
        oaep.Init(false, priv);
        byte[] seed = oaep.ProcessBlock(encryptedSeed, 0, encryptedSeed.Length);
        return ActivateWithSeed(credentialBlob, seed, objectName);
    }

    /// <summary>The symmetric half of ActivateCredential once the seed is recovered.</summary>
    public static byte[] ActivateWithSeed(ReadOnlySpan<byte> credentialBlob, byte[] seed, ReadOnlySpan<byte> objectName)
    {
        var b = new TpmReader(credentialBlob);
        ReadOnlySpan<byte> idObject = b.ReadSized("credentialBlob", 1024);
        b.EnsureEnd("credentialBlob");
        var inner = new TpmReader(idObject);
        byte[] integrity = inner.ReadSized("integrityHMAC", 64).ToArray();
        byte[] encIdentity = inner.RemainingSpan.ToArray();

        byte[] hmacKey = TpmKdf.KdfA(TpmAlgorithm.Sha256, seed, "INTEGRITY"u8, default, default, 256);
        byte[] mac = [.. encIdentity, .. objectName];
        byte[] expected = HMACSHA256.HashData(hmacKey, mac);
        if (!CryptographicOperations.FixedTimeEquals(expected, integrity))
        {
            throw new CryptographicException("TPM_RC_INTEGRITY");
        }

        byte[] symKey = TpmKdf.KdfA(TpmAlgorithm.Sha256, seed, "STORAGE"u8, objectName, default, 128);
        byte[] plain = CredentialMaker.AesCfbDecrypt(symKey, encIdentity);
        var c = new TpmReader(plain);
        byte[] credential = c.ReadSized("credential", 64).ToArray();
        c.EnsureEnd("credential");
        return credential;
    }

    public void Dispose()
    {
        Key.Dispose();
        CaKey.Dispose();
        Root.Dispose();
    }

    private static byte[] TpmManufacturerSan()
    {
        // EK Credential Profile §3.2.9: SAN directoryName with tcg-at-tpmManufacturer, tcg-at-tpmModel, tcg-at-tpmVersion.
        var name = new X500DistinguishedNameBuilder();
        name.Add("2.23.133.2.1", "id:54455354", UniversalTagNumber.UTF8String);
        name.Add("2.23.133.2.2", "test", UniversalTagNumber.UTF8String);
        name.Add("2.23.133.2.3", "id:00010000", UniversalTagNumber.UTF8String);
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
            {
                w.WriteEncodedValue(name.Build().RawData);
            }
        }

        return w.Encode();
    }
}
