using System.Security.Cryptography;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Enrollment;

public sealed class CredentialMakerTests
{
    [Fact]
    public void KdfA_LibtpmsSelfTestVector_MatchesKnownAnswer()
    {
        // libtpms KdfTestData.h (TCG reference code self-test): SHA-256, 160 bits, label with its own trailing zero.
        byte[] key = Convert.FromHexString("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C");
        byte[] label = "KDFSELFTESTLABEL\0"u8.ToArray();

        byte[] output = TpmKdf.KdfA(TpmAlgorithm.Sha256, key, label, Convert.FromHexString("CE244F395DCA7391"), Convert.FromHexString("DA504031DDF12E83"), 160);

        Assert.Equal("bb0259e1c8ba607e6a2cd704b69a902e9ade84c4", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void KdfA_LabelWithoutZero_SameAsWithZero()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);

        Assert.Equal(TpmKdf.KdfA(TpmAlgorithm.Sha256, key, "STORAGE"u8, [1], [], 128), TpmKdf.KdfA(TpmAlgorithm.Sha256, key, "STORAGE\0"u8, [1], [], 128));
    }

    [Fact]
    public void KdfA_MoreBitsThanOneBlock_PrefixStable()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);

        byte[] longer = TpmKdf.KdfA(TpmAlgorithm.Sha256, key, "X"u8, [], [], 512);
        byte[] shorter = TpmKdf.KdfA(TpmAlgorithm.Sha256, key, "X"u8, [], [], 256);

        Assert.Equal(64, longer.Length);
        Assert.NotEqual(shorter, longer[..32]); // [bits]32 is part of every block's input
    }

    [Fact]
    public void AesCfb_WholeBlocks_MatchesDotNetCfb128()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] data = RandomNumberGenerator.GetBytes(48);
        using var aes = Aes.Create();
        aes.Key = key;

        byte[] expected = aes.EncryptCfb(data, new byte[16], PaddingMode.None, 128);

        Assert.Equal(expected, CredentialMaker.AesCfbEncrypt(key, data));
        Assert.Equal(data, CredentialMaker.AesCfbDecrypt(key, expected));
    }

    [Fact]
    public void Make_ThenSoftwareActivate_RecoversCredential()
    {
        using var ek = new SoftwareEk();
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");
        byte[] credential = RandomNumberGenerator.GetBytes(32);

        MadeCredential made = CredentialMaker.Make(ek.Public, akName, credential);

        Assert.Equal(credential, ek.Activate(made.CredentialBlob.Span, made.Secret.Span, akName));
    }

    [Fact]
    public void Make_ActivatedForOtherName_IntegrityFails()
    {
        using var ek = new SoftwareEk();
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");
        MadeCredential made = CredentialMaker.Make(ek.Public, akName, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<CryptographicException>(() => ek.Activate(made.CredentialBlob.Span, made.Secret.Span, TpmVectors.Bytes("tpm2-tools/ak_rsa.name")));
    }

    [Fact]
    public void Make_FixedSeed_Deterministic()
    {
        using var ek = new SoftwareEk();
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        byte[] name = TpmVectors.Bytes("tpm2-tools/ak_rsa.name");

        MadeCredential a = CredentialMaker.Make(ek.Public, name, [1, 2, 3], seed);
        MadeCredential b = CredentialMaker.Make(ek.Public, name, [1, 2, 3], seed);

        Assert.Equal(a.CredentialBlob.ToArray(), b.CredentialBlob.ToArray());
        Assert.NotEqual(a.Secret.ToArray(), b.Secret.ToArray()); // OAEP is randomised
    }

    [Fact]
    public void Make_SwtpmEk_SameShapeAsWireActivateCredential()
    {
        // 13_ActivateCredential.cmd.hex: header (10), two handles (8), authorization area (4 + 18), credentialBlob, secret.
        byte[] cmd = Convert.FromHexString(WireVectors.Text("13_ActivateCredential.cmd.hex").Trim());
        var r = new TpmReader(cmd.AsSpan(10 + 8));
        uint authSize = r.ReadUInt32("authorizationSize");
        r.ReadBytes((int)authSize, "authorization");
        ReadOnlySpan<byte> wireBlob = r.ReadSized("credentialBlob", 1024);
        ReadOnlySpan<byte> wireSecret = r.ReadSized("secret", 512);
        r.EnsureEnd("ActivateCredential");
        TpmPublic ek = TpmPublic.ParseSized(TpmVectors.Bytes("ek/ek_rsa.pub"));
        byte[] akName = [0x00, 0x0B, .. SHA256.HashData("ak"u8)];

        MadeCredential made = CredentialMaker.Make(ek, akName, RandomNumberGenerator.GetBytes(32));

        Assert.Equal(wireBlob.Length + 2, made.CredentialBlob.Length);
        Assert.Equal(wireSecret.Length + 2, made.Secret.Length);
        var inner = new TpmReader(wireBlob);
        Assert.Equal(32, inner.ReadSized("integrityHMAC", 64).Length);
        Assert.Equal(34, inner.Remaining); // encIdentity of a TPM2B_DIGEST holding 32 bytes
        byte[] rsp = Convert.FromHexString(WireVectors.Text("13_ActivateCredential.rsp.hex").Trim());
        var rr = new TpmReader(rsp.AsSpan(10));
        rr.ReadUInt32("parameterSize");
        Assert.Equal(32, rr.ReadSized("certInfo", 64).Length);
    }

    [Fact]
    public void Make_EccEkThenSoftwareActivate_RecoversCredential()
    {
        using var ekKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        TpmPublic ek = TpmPublic.Parse(SoftwareTpm.EccPublic(ekKey.ExportParameters(false), TpmTemplates.EkAttributes, TpmAlgorithm.Null, SoftwareTpm.Aes128Cfb));
        byte[] akName = TpmVectors.Bytes("tpm2-tools/ak_ecc.name");
        byte[] credential = RandomNumberGenerator.GetBytes(32);
        Assert.Empty(KeyRequirements.CheckEndorsementKey(ek));

        MadeCredential made = CredentialMaker.Make(ek, akName, credential);

        // ActivateCredential's ECC side (Part 1 §C.6.4): Z = d_ek * Qe, seed = KDFe(nameAlg, Z.x, "IDENTITY", Qe.x, Qek.x).
        var r = new TpmReader(made.Secret.Span);
        var point = new TpmReader(r.ReadSized("secret", 200));
        byte[] qx = point.ReadSized("x", 66).ToArray();
        byte[] qy = point.ReadSized("y", 66).ToArray();
        point.EnsureEnd("TPMS_ECC_POINT");
        using var ephemeral = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = qx, Y = qy } });
        byte[] z = ekKey.DeriveRawSecretAgreement(ephemeral.PublicKey);
        byte[] seed = TpmKdf.KdfE(TpmAlgorithm.Sha256, z, "IDENTITY"u8, qx, ek.EccX.Span, 256);
        Assert.Equal(credential, SoftwareEk.ActivateWithSeed(made.CredentialBlob.Span, seed, akName));
    }

    [Fact]
    public void KdfE_SingleBlock_IsHashOfCounterZLabelAndParties()
    {
        byte[] z = RandomNumberGenerator.GetBytes(32);

        byte[] output = TpmKdf.KdfE(TpmAlgorithm.Sha256, z, "IDENTITY"u8, [1, 2], [3], 256);

        Assert.Equal(SHA256.HashData([0, 0, 0, 1, .. z, .. "IDENTITY\0"u8, 1, 2, 3]), output);
    }

    [Fact]
    public void Make_CredentialLongerThanDigest_Throws()
    {
        using var ek = new SoftwareEk();

        Assert.Throws<ArgumentException>(() => CredentialMaker.Make(ek.Public, TpmVectors.Bytes("tpm2-tools/ak_ecc.name"), new byte[33]));
    }
}
