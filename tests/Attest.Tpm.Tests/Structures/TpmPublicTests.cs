using System.Security.Cryptography;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests.Structures;

public sealed class TpmPublicTests
{
    private static readonly byte[] AkEccPub = TpmVectors.Bytes("tpm2-tools/ak_ecc.pub");
    private static readonly byte[] AkRsaPub = TpmVectors.Bytes("tpm2-tools/ak_rsa.pub");
    private static readonly byte[] EkPub = TpmVectors.Bytes("ek/ek_rsa.pub");

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void ReadSized_Tpm2ToolsAk_NameAndAttributesMatchVector(string kind)
    {
        byte[] sized = TpmVectors.Bytes($"tpm2-tools/ak_{kind}.pub");

        TpmPublic ak = TpmPublic.ReadSized(sized, out int consumed);

        Assert.Equal(sized.Length, consumed);
        Assert.Equal(TpmVectors.Bytes($"tpm2-tools/ak_{kind}.name"), ak.ComputeName());
        Assert.Equal(TpmTemplates.AkAttributes, ak.Attributes);
        Assert.Equal(TpmAlgorithm.Sha256, ak.NameAlg);
        Assert.Equal(TpmAlgorithm.Sha256, ak.Scheme.HashAlg);
        Assert.Equal(sized, ak.ToSized());
    }

    [Theory]
    [InlineData("ek_rsa_primary.tpmt_public.bin", TpmAlgorithm.Rsa)]
    [InlineData("ak_rsa_primary.tpmt_public.bin", TpmAlgorithm.Rsa)]
    [InlineData("ak_ecc_primary.tpmt_public.bin", TpmAlgorithm.Ecc)]
    public void Parse_SwtpmAreas_ReadsTypeAndKeepsBytes(string file, TpmAlgorithm type)
    {
        byte[] bytes = WireVectors.Bin(file);

        TpmPublic area = TpmPublic.Parse(bytes);

        Assert.Equal(type, area.Type);
        Assert.Equal(bytes, area.Encoded.ToArray());
        Assert.Equal(TpmAlgorithm.Sha256, area.NameAlg);
        Assert.Equal(34, area.ComputeName().Length);
        Assert.NotEmpty(area.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void CreateRsa_Tpm2ToolsAk_EqualsPem()
    {
        TpmPublic ak = TpmPublic.ParseSized(AkRsaPub);
        using var pem = RSA.Create();
        pem.ImportFromPem(TpmVectors.Text("tpm2-tools/ak_rsa.pem"));

        Assert.Equal(TpmAlgorithm.RsaSsa, ak.Scheme.Scheme);
        Assert.Equal(2048, ak.RsaKeyBits);
        Assert.Equal(65537u, ak.RsaExponent);
        Assert.True(ak.PublicKeyEquals(pem));
        Assert.Equal(pem.ExportSubjectPublicKeyInfo(), ak.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void CreateECDsa_Tpm2ToolsAk_EqualsPem()
    {
        TpmPublic ak = TpmPublic.ParseSized(AkEccPub);
        using var pem = ECDsa.Create();
        pem.ImportFromPem(TpmVectors.Text("tpm2-tools/ak_ecc.pem"));

        Assert.Equal(TpmAlgorithm.EcDsa, ak.Scheme.Scheme);
        Assert.Equal(TpmEccCurve.NistP256, ak.EccCurve);
        Assert.True(ak.PublicKeyEquals(pem));
        using ECDsa imported = ak.CreateECDsa();
        Assert.Equal(pem.ExportSubjectPublicKeyInfo(), imported.ExportSubjectPublicKeyInfo());
        Assert.Equal(TpmVectors.Text("tpm2-tools/ak_ecc.pem").Trim(), ak.ExportSubjectPublicKeyInfoPem().Trim());
    }

    [Fact]
    public void ParseSized_SwtpmEk_HasStoragePolicyAndName()
    {
        TpmPublic ek = TpmPublic.ParseSized(EkPub);

        Assert.Equal(TpmVectors.Bytes("ek/ek_rsa.name"), ek.ComputeName());
        Assert.Equal(new TpmSymmetricDefinition(TpmAlgorithm.Aes, 128, TpmAlgorithm.Cfb), ek.Symmetric);
        Assert.Equal(TpmTemplates.EkPolicySha256.ToArray(), ek.AuthPolicy.ToArray());
        Assert.Equal(TpmTemplates.EkAttributes, ek.Attributes);
    }

    [Fact]
    public void Parse_EkAndAkTemplates_HaveTheirAttributesAndSchemes()
    {
        Assert.Equal(0x000300B2u, (uint)TpmTemplates.EkAttributes);
        Assert.Equal(0x00050072u, (uint)TpmTemplates.AkAttributes);
        TpmPublic rsa = TpmPublic.Parse(TpmTemplates.EkRsa2048());
        Assert.Equal(TpmTemplates.EkAttributes, rsa.Attributes);
        Assert.Equal(WireVectors.Bin("ek_rsa_primary.tpmt_public.bin")[..^256], TpmTemplates.EkRsa2048()[..^256]);
        TpmPublic ecc = TpmPublic.Parse(TpmTemplates.EkEccP256());
        Assert.Equal(TpmEccCurve.NistP256, ecc.EccCurve);
        Assert.Equal(TpmAlgorithm.Aes, ecc.Symmetric.Algorithm);
        Assert.Equal(new TpmScheme(TpmAlgorithm.EcDsa, TpmAlgorithm.Sha256, 0), TpmPublic.Parse(TpmTemplates.AkEcdsaP256()).Scheme);
    }

    [Fact]
    public void Parse_RsaTemplateWithEmptyModulus_ThrowsNamingUnique()
    {
        // A CreatePrimary template leaves unique empty; it is not a key, so the strict parser refuses it.
        TpmFormatException e = Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(TpmTemplates.AkRsaSsa2048()));

        Assert.Equal("TPMT_PUBLIC.unique.rsa", e.Field);
    }

    [Fact]
    public void Parse_TrailingByte_Throws()
    {
        byte[] bytes = [.. WireVectors.Bin("ak_ecc_primary.tpmt_public.bin"), 0];

        TpmFormatException ex = Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(bytes));

        Assert.Contains("trailing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSized_TrailingByte_Throws()
    {
        byte[] sized = [.. AkEccPub, 0];

        Assert.Contains("trailing", Assert.Throws<TpmFormatException>(() => TpmPublic.ParseSized(sized)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSized_FollowedByOtherData_ReportsBytesConsumed()
    {
        byte[] area = WireVectors.Bin("ak_ecc_primary.tpmt_public.bin");
        byte[] sized = [(byte)(area.Length >> 8), (byte)area.Length, .. area, 0xAA, 0xBB];

        Assert.True(TpmPublic.TryReadSized(sized, out TpmPublic? parsed, out int consumed));

        Assert.Equal(area.Length + 2, consumed);
        Assert.Equal(area, parsed.Encoded.ToArray());
    }

    [Fact]
    public void ReadSized_InnerSizeTooLarge_ThrowsNamingField()
    {
        byte[] sized = (byte[])AkEccPub.Clone();
        sized[1]++;

        Assert.Equal("TPM2B_PUBLIC.size", Assert.Throws<TpmFormatException>(() => TpmPublic.ParseSized(sized)).Field);
    }

    [Fact]
    public void ReadSized_InnerSizeTooSmall_ReportsOuterOffset()
    {
        byte[] sized = (byte[])AkEccPub.Clone();
        sized[1]--;

        TpmFormatException e = Assert.Throws<TpmFormatException>(() => TpmPublic.ParseSized(sized));

        Assert.Equal("TPMS_ECC_POINT.y", e.Field);
        Assert.True(e.Offset > 2);
    }

    [Fact]
    public void Parse_KeyedHashType_Throws()
    {
        byte[] pub = AkEccPub[2..];
        pub[1] = 0x08;

        Assert.Equal("TPMT_PUBLIC.type", Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(pub)).Field);
    }

    [Fact]
    public void Parse_RsaModulusShorterThanKeyBits_Throws()
    {
        using var rsa = RSA.Create(2048);
        byte[] pub = TpmPublic.EncodeRsa(TpmAlgorithm.Sha256, TpmTemplates.AkAttributes, [], TpmSymmetricDefinition.None,
            new(TpmAlgorithm.RsaSsa, TpmAlgorithm.Sha256, 0), 3072, 0, rsa.ExportParameters(false).Modulus);

        Assert.Equal("TPMT_PUBLIC.unique.rsa", Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(pub)).Field);
    }

    [Theory]
    [InlineData(0x000A, "TPMT_PUBLIC.authPolicy")]
    [InlineData(0x0020, "TPMT_PUBLIC.authPolicy")]
    public void Parse_AuthPolicyNotANameAlgDigest_Throws(int size, string field)
    {
        byte[] pub = TpmPublic.EncodeEcc(TpmAlgorithm.Sha1, TpmTemplates.AkAttributes, new byte[size], TpmSymmetricDefinition.None,
            new(TpmAlgorithm.EcDsa, TpmAlgorithm.Sha256, 0), TpmEccCurve.NistP256, TpmScheme.None, [1], [2]);

        Assert.Equal(field, Assert.Throws<TpmFormatException>(() => TpmPublic.Parse(pub)).Field);
    }

    [Fact]
    public void EncodeEcc_Tpm2ToolsAkFields_ReproducesTheBytes()
    {
        TpmPublic ak = TpmPublic.ParseSized(AkEccPub);

        byte[] encoded = TpmPublic.EncodeEcc(ak.NameAlg, ak.Attributes, ak.AuthPolicy.Span, ak.Symmetric, ak.Scheme, ak.EccCurve, ak.EccKdf, ak.EccX.Span, ak.EccY.Span);

        Assert.Equal(ak.Encoded.ToArray(), encoded);
    }

    [Fact]
    public void TryReadSized_Garbage_ReturnsFalseAndConsumesNothing()
    {
        Assert.False(TpmPublic.TryReadSized([0x00, 0x05, 0x00, 0x23], out TpmPublic? result, out int consumed));
        Assert.Null(result);
        Assert.Equal(0, consumed);
        Assert.False(TpmPublic.TryRead([0, 1, 0], out _, out consumed));
        Assert.Equal(0, consumed);
    }

    [Property(MaxTest = 400)]
    public Property ReadSized_MutatedKeys_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(ParserProperties.Mutation()), Arb.From(Gen.Elements(AkEccPub, AkRsaPub, EkPub)), (mutate, key) =>
            ParserProperties.OnlyThrows<TpmFormatException>(mutate(key), b => TpmPublic.ParseSized(b)));

    [Fact]
    public void ReadSized_FuzzedVectors_OnlyTpmFormatException()
    {
        foreach (byte[] m in ParserProperties.Mutants(AkRsaPub, 3000, 1))
        {
            ParserProperties.OnlyThrows<TpmFormatException>(m, b => TpmPublic.ParseSized(b));
        }

        foreach (byte[] m in ParserProperties.Mutants(WireVectors.Bin("ek_rsa_primary.tpmt_public.bin"), 1000, 5))
        {
            ParserProperties.OnlyThrows<TpmFormatException>(m, b => TpmPublic.Parse(b));
        }
    }
}
