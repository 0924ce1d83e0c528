using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests;

public sealed class StructureTests
{
    [Property]
    public bool PcrSelection_WriteThenRead_RoundTrips(bool[] sha256Bits, bool[] sha1Bits)
    {
        var selection = new PcrSelection([
            new PcrBankSelection(TpmAlgorithm.Sha256, Indices(sha256Bits)),
            new PcrBankSelection(TpmAlgorithm.Sha1, Indices(sha1Bits)),
        ]);

        byte[] bytes = selection.ToBytes();
        var r = new TpmReader(bytes);
        PcrSelection read = PcrSelection.Read(ref r);

        return r.Remaining == 0 && read.Equals(selection) && PcrSelection.Parse(selection.ToString()).Equals(selection);

        static IEnumerable<int> Indices(bool[] bits) => (bits ?? []).Take(64).Select((b, i) => (b, i)).Where(x => x.b).Select(x => x.i);
    }

    [Fact]
    public void PcrSelection_Default_IsSha256ZeroToSevenAndEleven()
    {
        Assert.Equal("sha256:0,1,2,3,4,5,6,7,11", PcrSelection.Default.ToString());
        Assert.Equal(Convert.FromHexString("00000001000B03FF0800"), PcrSelection.Default.ToBytes());
    }

    [Theory]
    [InlineData("sha256:0-7,11", 9)]
    [InlineData("sha256:0-7+sha1:0,1", 10)]
    [InlineData("SHA384:23", 1)]
    public void PcrSelection_Parse_ValidText_SelectsPcrs(string text, int count) =>
        Assert.Equal(count, PcrSelection.Parse(text).Count);

    [Theory]
    [InlineData("sha256")]
    [InlineData("md5:0")]
    [InlineData("sha256:7-0")]
    [InlineData("sha256:64")]
    [InlineData("sha256:1,1")]
    [InlineData("sha256:x")]
    public void PcrSelection_Parse_InvalidText_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => PcrSelection.Parse(text));

    [Fact]
    public void PcrSelection_ReadHostileCountAndSize_ThrowsFormatException()
    {
        Assert.Throws<TpmFormatException>(() => Read("FFFFFFFF"));
        Assert.Throws<TpmFormatException>(() => Read("00000001000BFF"));
        Assert.Throws<TpmFormatException>(() => Read("00000002000B03FFFFFF"));

        static void Read(string hex)
        {
            var r = new TpmReader(Convert.FromHexString(hex));
            PcrSelection.Read(ref r);
        }
    }

    [Theory]
    [InlineData("ek_rsa_primary.tpmt_public.bin", TpmAlgorithm.Rsa)]
    [InlineData("ak_rsa_primary.tpmt_public.bin", TpmAlgorithm.Rsa)]
    [InlineData("ak_ecc_primary.tpmt_public.bin", TpmAlgorithm.Ecc)]
    public void TpmPublicArea_Parse_RecordedAreas_ReadsTypeAndKeepsBytes(string file, TpmAlgorithm type)
    {
        byte[] bytes = WireVectors.Bin(file);

        TpmPublicArea area = TpmPublicArea.Parse(bytes);

        Assert.Equal(type, area.Type);
        Assert.Equal(bytes, area.Bytes.ToArray());
        Assert.Equal(TpmAlgorithm.Sha256, area.NameAlg);
        Assert.Equal(34, area.ComputeName().Length);
        Assert.NotEmpty(area.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void TpmPublicArea_Templates_ParseWithTheirAttributes()
    {
        Assert.Equal(TpmTemplates.EkAttributes, TpmPublicArea.Parse(TpmTemplates.EkRsa2048()).Attributes);
        Assert.Equal(0x000300B2u, (uint)TpmTemplates.EkAttributes);
        Assert.Equal(0x00050072u, (uint)TpmTemplates.AkAttributes);
        TpmPublicArea ecc = TpmPublicArea.Parse(TpmTemplates.EkEccP256());
        Assert.Equal(TpmEccCurve.NistP256, ecc.Curve);
        Assert.Equal(TpmAlgorithm.Aes, ecc.Symmetric);
        Assert.Equal(TpmAlgorithm.EcDsa, TpmPublicArea.Parse(TpmTemplates.AkEcdsaP256()).Scheme);
        Assert.Equal(TpmAlgorithm.RsaSsa, TpmPublicArea.Parse(TpmTemplates.AkRsaSsa2048()).Scheme);
    }

    [Fact]
    public void TpmPublicArea_ParseWithTrailingByte_Throws()
    {
        byte[] bytes = [.. WireVectors.Bin("ak_ecc_primary.tpmt_public.bin"), 0];

        TpmFormatException ex = Assert.Throws<TpmFormatException>(() => TpmPublicArea.Parse(bytes));

        Assert.Contains("trailing", ex.Message, StringComparison.Ordinal);
        Assert.False(TpmPublicArea.TryParseSized([0, 1, 0], out _, out int consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TpmPublicArea_ParseSizedWithFollowingData_ReportsBytesConsumed()
    {
        byte[] area = WireVectors.Bin("ak_ecc_primary.tpmt_public.bin");
        byte[] sized = [(byte)(area.Length >> 8), (byte)area.Length, .. area, 0xAA, 0xBB];

        Assert.True(TpmPublicArea.TryParseSized(sized, out TpmPublicArea? parsed, out int consumed));

        Assert.Equal(area.Length + 2, consumed);
        Assert.Equal(area, parsed.Bytes.ToArray());
        Assert.Throws<TpmFormatException>(() => TpmPublicArea.ParseSized(sized));
    }

    [Property(MaxTest = 300)]
    public void TpmPublicArea_MutatedOrTruncated_OnlyFormatErrors(int which, int at, byte value, bool truncate)
    {
        byte[] source = WireVectors.Bin(which % 2 == 0 ? "ek_rsa_primary.tpmt_public.bin" : "ak_ecc_primary.tpmt_public.bin");
        int index = (int)(unchecked((uint)at) % (uint)source.Length);
        byte[] input = truncate ? source[..index] : [.. source];
        if (!truncate)
        {
            input[index] = value;
        }

        try
        {
            TpmPublicArea.Parse(input);
        }
        catch (TpmFormatException)
        {
        }
    }
}
