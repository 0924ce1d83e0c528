using System.Security.Cryptography;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.Structures;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Structures;

public sealed class TpmPublicTests
{
    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void ParseSized_Tpm2ToolsAk_NameAndAttributesMatchVector(string kind)
    {
        byte[] sized = Vectors.Bytes($"tpm2-tools/ak_{kind}.pub");

        TpmPublic ak = TpmPublic.ParseSized(sized, out int consumed);

        Assert.Equal(sized.Length, consumed);
        Assert.Equal(Vectors.Bytes($"tpm2-tools/ak_{kind}.name"), ak.ComputeName());
        Assert.Equal((TpmObjectAttributes)SoftwareTpm.AkAttributes, ak.Attributes);
        Assert.Equal(TpmAlgorithmId.Sha256, ak.NameAlg);
        Assert.Equal(TpmAlgorithmId.Sha256, ak.Scheme.HashAlg);
        Assert.Equal(sized, ak.ToSized());
    }

    [Fact]
    public void CreateRsa_Tpm2ToolsAk_EqualsPem()
    {
        TpmPublic ak = TpmPublic.ParseSized(Vectors.Bytes("tpm2-tools/ak_rsa.pub"));
        using var pem = RSA.Create();
        pem.ImportFromPem(Vectors.Text("tpm2-tools/ak_rsa.pem"));

        Assert.Equal(TpmAlgorithmId.RsaSsa, ak.Scheme.Scheme);
        Assert.Equal(2048, ak.RsaKeyBits);
        Assert.Equal(65537u, ak.RsaExponent);
        Assert.True(ak.PublicKeyEquals(pem));
    }

    [Fact]
    public void CreateECDsa_Tpm2ToolsAk_EqualsPem()
    {
        TpmPublic ak = TpmPublic.ParseSized(Vectors.Bytes("tpm2-tools/ak_ecc.pub"));
        using var pem = ECDsa.Create();
        pem.ImportFromPem(Vectors.Text("tpm2-tools/ak_ecc.pem"));

        Assert.Equal(TpmAlgorithmId.EcDsa, ak.Scheme.Scheme);
        Assert.Equal(TpmAlgorithmId.CurveNistP256, ak.EccCurve);
        Assert.True(ak.PublicKeyEquals(pem));
        using ECDsa imported = ak.CreateECDsa();
        Assert.Equal(pem.ExportSubjectPublicKeyInfo(), imported.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void ParseSized_SwtpmEk_HasStoragePolicyAndName()
    {
        TpmPublic ek = TpmPublic.ParseSized(Vectors.Bytes("ek/ek_rsa.pub"));

        Assert.Equal(Vectors.Bytes("ek/ek_rsa.name"), ek.ComputeName());
        Assert.Equal(new TpmSymmetricDefinition(TpmAlgorithmId.Aes, 128, TpmAlgorithmId.Cfb), ek.Symmetric);
        Assert.Equal(32, ek.AuthPolicy.Length);
        Assert.True(ek.Attributes.HasFlag(TpmObjectAttributes.Decrypt | TpmObjectAttributes.Restricted));
    }

    [Fact]
    public void ParseSized_TrailingByte_Throws()
    {
        byte[] sized = [.. Vectors.Bytes("tpm2-tools/ak_ecc.pub"), 0];

        var e = Assert.Throws<TpmFormatException>(() => TpmPublic.ParseSized(sized));
        Assert.Contains("trailing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSized_InnerSizeTooLarge_ThrowsNamingField()
    {
        byte[] sized = Vectors.Bytes("tpm2-tools/ak_ecc.pub");
        sized[1]++;

        var e = Assert.Throws<TpmFormatException>(() => TpmPublic.ParseSized(sized));
        Assert.Equal("TPM2B_PUBLIC.size", e.Field);
    }

    [Fact]
    public void Parse_KeyedHashType_Throws()
    {
        byte[] pub = Vectors.Bytes("tpm2-tools/ak_ecc.pub")[2..];
        pub[1] = 0x08;

        var e = Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(pub));
        Assert.Equal("TPMT_PUBLIC.type", e.Field);
    }

    [Fact]
    public void Parse_RsaModulusShorterThanKeyBits_Throws()
    {
        using var rsa = RSA.Create(2048);
        byte[] pub = SoftwareTpm.RsaPublic(rsa);
        pub[16] = 0x0C; // keyBits 3072 with a 2048-bit modulus

        Assert.Equal("TPMT_PUBLIC.unique.rsa", Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(pub)).Field);
    }

    [Fact]
    public void TryParseSized_Garbage_ReturnsFalseAndConsumesNothing()
    {
        Assert.False(TpmPublic.TryParseSized([0x00, 0x05, 0x00, 0x23], out TpmPublic? result, out int consumed));
        Assert.Null(result);
        Assert.Equal(0, consumed);
    }
}
