using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tests.Merkle;

public sealed class MerkleHashTests
{
    private static readonly byte[] Sample = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Constructor_ThirtyTwoBytes_RoundTripsThroughToArray()
    {
        var hash = new MerkleHash(Sample);
        Assert.Equal(Sample, hash.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Constructor_WrongLength_Throws(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MerkleHash(new byte[length]));
        Assert.Contains("32 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_WrongLength_ReturnsFalse()
    {
        Assert.False(MerkleHash.TryCreate(new byte[31], out _));
        Assert.True(MerkleHash.TryCreate(Sample, out var hash));
        Assert.Equal(new MerkleHash(Sample), hash);
    }

    [Fact]
    public void Equals_DifferentLastByte_IsFalse()
    {
        var other = (byte[])Sample.Clone();
        other[31] ^= 1;
        Assert.NotEqual(new MerkleHash(Sample), new MerkleHash(other));
        Assert.True(new MerkleHash(Sample) != new MerkleHash(other));
        Assert.True(new MerkleHash(Sample) == new MerkleHash((byte[])Sample.Clone()));
    }

    [Fact]
    public void ToBase64_FromBase64_RoundTrips()
    {
        var hash = new MerkleHash(Sample);
        var text = hash.ToBase64();
        Assert.Equal(Convert.ToBase64String(Sample), text);
        Assert.Equal(hash, MerkleHash.FromBase64(text));
        Assert.True(MerkleHash.TryFromBase64Utf8(System.Text.Encoding.ASCII.GetBytes(text), out var utf8));
        Assert.Equal(hash, utf8);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ZG9uJ3QgY2FyZSAx")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA==")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH!A=")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB=")]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH yA")]
    public void TryFromBase64_NotAHash_ReturnsFalse(string text)
    {
        Assert.False(MerkleHash.TryFromBase64(text, out _));
        Assert.False(MerkleHash.TryFromBase64Utf8(System.Text.Encoding.ASCII.GetBytes(text), out _));
        Assert.Throws<FormatException>(() => MerkleHash.FromBase64(text));
    }

    [Fact]
    public void ToHex_FromHex_RoundTrips()
    {
        var hash = new MerkleHash(Sample);
        Assert.Equal(Convert.ToHexStringLower(Sample), hash.ToHex());
        Assert.Equal(hash, MerkleHash.FromHex(hash.ToHex().ToUpperInvariant()));
        Assert.False(MerkleHash.TryFromHex(string.Concat("zz", hash.ToHex().AsSpan(2)), out _));
        Assert.False(MerkleHash.TryFromHex(hash.ToHex().AsSpan(2), out _));
    }

    [Fact]
    public void CopyTo_ShortDestination_Throws()
    {
        var hash = new MerkleHash(Sample);
        Assert.Throws<ArgumentException>(() => hash.CopyTo(new byte[31]));
        Assert.False(hash.TryCopyTo(new byte[31]));
        var buffer = new byte[40];
        Assert.True(hash.TryCopyTo(buffer));
        Assert.Equal(Sample, buffer[..32]);
    }
}
