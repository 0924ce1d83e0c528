using FsCheck;
using FsCheck.Xunit;

namespace Attest.Nix.Tests;

public sealed class Nix32Tests
{
    // Vectors produced by `nix-hash --type <t> --to-base32 <hex>` (Nix 2.8).
    public static TheoryData<string, string> NixVectors => new()
    {
        { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73" },
        { "da39a3ee5e6b4b0d3255bfef95601890afd80709", "143xibwh31h9bvxzalr0sjvbbvpa6ffs" },
        { "d41d8cd98f00b204e9800998ecf8427e", "3y8bwfr609h3lh9ch0izcqq7fl" },
        {
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            "0zdl9zrg8r3i9c1g90lgg9ip5ijzv3yhz91i0zzn3r8ap9ws784gkp9dk9j3aglhgf1amqb0pj21mh7h1nxcl18akqvvf7ggqsy30yg"
        },
    };

    [Theory]
    [MemberData(nameof(NixVectors))]
    public void Encode_NixVector_MatchesNix(string hex, string expected)
    {
        Assert.Equal(expected, Nix32.Encode(Convert.FromHexString(hex)));
    }

    [Theory]
    [MemberData(nameof(NixVectors))]
    public void Decode_NixVector_MatchesNix(string hex, string encoded)
    {
        Assert.Equal(Convert.FromHexString(hex), Nix32.Decode(encoded));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    [InlineData(16, 26)]
    [InlineData(20, 32)]
    [InlineData(32, 52)]
    [InlineData(64, 103)]
    public void GetEncodedLength_KnownSizes_MatchNix(int bytes, int chars)
    {
        Assert.Equal(chars, Nix32.GetEncodedLength(bytes));
        Assert.Equal(bytes, Nix32.GetDecodedLength(chars));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(9)]
    public void GetDecodedLength_ImpossibleLength_ReturnsMinusOne(int chars)
    {
        Assert.Equal(-1, Nix32.GetDecodedLength(chars));
    }

    [Theory]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e")] // 'e' is not in the alphabet
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7u")]
    [InlineData("0MDQA9W1P6CMLI6976V4WI0SW9R4P5PRKJ7LZFD1877WK11C9C73")] // upper case is not accepted
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7")] // impossible length
    [InlineData("zmdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73")] // leading digit sets bit 256+
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7\u00e9")]
    public void Decode_Invalid_ThrowsAndTryFails(string text)
    {
        Assert.ThrowsAny<FormatException>(() => Nix32.Decode(text));
        Assert.False(Nix32.TryDecode(text, new byte[64], out var written));
        Assert.Equal(0, written);
        Assert.False(Nix32.IsValid(text));
    }

    [Fact]
    public void Decode_InvalidCharacter_MessageNamesCharacterAndOffset()
    {
        var ex = Assert.ThrowsAny<FormatException>(() => Nix32.Decode("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9e73"));
        Assert.Contains("'e'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("49", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryEncode_DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(Nix32.TryEncode(new byte[20], new char[31], out var written));
        Assert.Equal(0, written);
        Assert.Throws<ArgumentException>(() => Nix32.Encode(new byte[20], new char[31]));
    }

    [Fact]
    public void TryDecode_DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(Nix32.TryDecode("143xibwh31h9bvxzalr0sjvbbvpa6ffs", new byte[19], out _));
    }

    [Property(MaxTest = 300)]
    public bool EncodeDecode_AnyBytes_RoundTrips(byte[] data)
    {
        var text = Nix32.Encode(data);
        return text.Length == Nix32.GetEncodedLength(data.Length)
            && text.All(Nix32.IsNix32Char)
            && Nix32.Decode(text).AsSpan().SequenceEqual(data);
    }

    [Property(MaxTest = 300)]
    public bool Decode_AnyValidText_EncodesBackIdentically(NonNegativeInt seed)
    {
        // Every accepted text is canonical: decoding then encoding gives the same text.
        var random = new Random(seed.Get);
        var length = random.Next(0, 120);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Nix32.Alphabet[random.Next(32)];
        }

        var text = new string(chars);
        var decoded = new byte[Math.Max(0, Nix32.GetDecodedLength(length))];
        return !Nix32.TryDecode(text, decoded, out var written) || Nix32.Encode(decoded.AsSpan(0, written)) == text;
    }

    [Property(MaxTest = 200)]
    public bool Encode_SingleBitFlip_ChangesText(NonEmptyArray<byte> input, NonNegativeInt bit)
    {
        var data = input.Get;
        var flipped = (byte[])data.Clone();
        var index = bit.Get % (data.Length * 8);
        flipped[index / 8] ^= (byte)(1 << (index % 8));
        return Nix32.Encode(flipped) != Nix32.Encode(data);
    }

    [Fact]
    public void Decode_RandomStrings_OnlyFormatErrors()
    {
        var random = new Random(4242);
        const string pool = "0123456789abcdfghijklmnpqrsvwxyzeotuABC-:_\u00e9\0";
        for (var round = 0; round < 5000; round++)
        {
            var chars = new char[random.Next(0, 110)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = pool[random.Next(pool.Length)];
            }

            var text = new string(chars);
            try
            {
                var bytes = Nix32.Decode(text);
                Assert.Equal(text, Nix32.Encode(bytes));
            }
            catch (FormatException)
            {
                Assert.False(Nix32.IsValid(text));
            }
        }
    }
}
