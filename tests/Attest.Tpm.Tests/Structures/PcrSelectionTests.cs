using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests.Structures;

public sealed class PcrSelectionTests
{
    [Property]
    public bool ToBytes_AnyBanks_ReadRoundTripsAndTextRoundTrips(bool[] sha256Bits, bool[] sha1Bits)
    {
        var selection = new PcrSelection([
            new PcrBankSelection(TpmAlgorithm.Sha256, Indices(sha256Bits)),
            new PcrBankSelection(TpmAlgorithm.Sha1, Indices(sha1Bits)),
        ]);

        byte[] bytes = selection.ToBytes();
        PcrSelection read = PcrSelection.Read(bytes, out int consumed);

        return consumed == bytes.Length && read.Equals(selection) && PcrSelection.Parse(selection.ToString()).Equals(selection);

        static IEnumerable<int> Indices(bool[] bits) =>
            (bits ?? []).Take(PcrBankSelection.MaxPcrIndex + 1).Select((b, i) => (b, i)).Where(x => x.b).Select(x => x.i);
    }

    [Property(MaxTest = 300)]
    public Property ToBytes_AnyMasks_ReadGivesTheSameBanks() =>
        Prop.ForAll(Arb.From(Gen.Zip(ArbMap.Default.GeneratorFor<uint>(), ArbMap.Default.GeneratorFor<uint>())), masks =>
        {
            var selection = new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, masks.Item1), new PcrBankSelection(TpmAlgorithm.Sha384, masks.Item2)]);
            byte[] bytes = selection.ToBytes();
            PcrSelection parsed = PcrSelection.Read(bytes, out int consumed);
            return consumed == bytes.Length && parsed.Banks.SequenceEqual(selection.Banks);
        });

    [Property(MaxTest = 400)]
    public Property Read_RandomBytes_OnlyTpmFormatException() =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())), bytes =>
            ParserProperties.OnlyThrows<TpmFormatException>(bytes, b => PcrSelection.Read(b, out _)));

    [Fact]
    public void Default_Always_IsSha256ZeroToSevenAndEleven()
    {
        Assert.Equal("sha256:0,1,2,3,4,5,6,7,11", PcrSelection.Default.ToString());
        Assert.Equal(Convert.FromHexString("00000001000B03FF0800"), PcrSelection.Default.ToBytes());
    }

    [Fact]
    public void ToBytes_PcrAbove23_UsesFourSelectOctets()
    {
        var selection = new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, 0x8FF), new PcrBankSelection(TpmAlgorithm.Sha1, [0, 31])]);

        Assert.Equal(Convert.FromHexString("00000002000B03FF080000040401000080"), selection.ToBytes());
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 11], selection.Banks[0].Pcrs);
        Assert.True(selection.Contains(TpmAlgorithm.Sha1, 31));
        Assert.False(selection.Contains(TpmAlgorithm.Sha384, 0));
    }

    [Theory]
    [InlineData("sha256:0-7,11", 9)]
    [InlineData("sha256:0-7+sha1:0,1", 10)]
    [InlineData("SHA384:23", 1)]
    [InlineData("sha256:31", 1)]
    public void Parse_ValidText_SelectsPcrs(string text, int count) =>
        Assert.Equal(count, PcrSelection.Parse(text).Count);

    [Theory]
    [InlineData("sha256")]
    [InlineData("md5:0")]
    [InlineData("sha256:7-0")]
    [InlineData("sha256:32")]
    [InlineData("sha256:1,1")]
    [InlineData("sha256:x")]
    [InlineData("sha256:0+sha256:1")]
    public void Parse_InvalidText_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => PcrSelection.Parse(text));

    [Theory]
    [InlineData("FFFFFFFF", "TPML_PCR_SELECTION.count")]
    [InlineData("00000001000BFF", "TPMS_PCR_SELECTION.sizeofSelect")]
    [InlineData("00000001000B00", "TPMS_PCR_SELECTION.sizeofSelect")]
    [InlineData("00000002000B03FFFFFF", "TPMS_PCR_SELECTION.hash")]
    [InlineData("00000001000503FF0000", "TPMS_PCR_SELECTION.hash")]
    [InlineData("00000002000b03ff0000000b03010000", "TPMS_PCR_SELECTION.hash")]
    [InlineData("00000001000B03FF00", "TPMS_PCR_SELECTION.pcrSelect")]
    public void TryRead_HostileCountSizeOrBank_ReturnsFalseAndConsumesNothing(string hex, string field)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.False(PcrSelection.TryRead(bytes, out PcrSelection? result, out int consumed));
        Assert.Null(result);
        Assert.Equal(0, consumed);
        Assert.Equal(field, Assert.Throws<TpmFormatException>(() => PcrSelection.Read(bytes, out _)).Field);
    }

    [Fact]
    public void Read_FollowedByOtherData_ReportsBytesConsumed()
    {
        byte[] bytes = [.. PcrSelection.Default.ToBytes(), 0xAA];

        Assert.True(PcrSelection.TryRead(bytes, out PcrSelection? result, out int consumed));

        Assert.Equal(bytes.Length - 1, consumed);
        Assert.Equal(PcrSelection.Default, result);
    }

    [Fact]
    public void Constructor_SameBankTwice_Throws() =>
        Assert.Throws<ArgumentException>(() => new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, 1), new PcrBankSelection(TpmAlgorithm.Sha256, 2)]));
}
