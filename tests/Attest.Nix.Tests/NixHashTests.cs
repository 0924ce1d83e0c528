using System.Security.Cryptography;
using FsCheck.Xunit;

namespace Attest.Nix.Tests;

public sealed class NixHashTests
{
    private const string EmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string EmptySha256Nix32 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
    private const string EmptySha256Base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    [Theory]
    [InlineData("sha256:" + EmptySha256Nix32)]
    [InlineData("sha256:" + EmptySha256Hex)]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha256:" + EmptySha256Base64)]
    [InlineData("sha256-" + EmptySha256Base64)]
    public void Parse_AllNixForms_GiveSameDigest(string text)
    {
        var hash = NixHash.Parse(text);
        Assert.Equal(NixHashAlgorithm.Sha256, hash.Algorithm);
        Assert.Equal(EmptySha256Hex, hash.ToHex());
        Assert.True(NixHash.TryParse(text, out var again));
        Assert.Equal(hash, again);
    }

    [Fact]
    public void ToString_Sha256_UsesNixDefaultAndSri()
    {
        var hash = NixHash.ComputeSha256([]);
        Assert.Equal("sha256:" + EmptySha256Nix32, hash.ToString());
        Assert.Equal("sha256-" + EmptySha256Base64, hash.ToSri());
        Assert.Equal(EmptySha256Nix32, hash.ToNix32());
        Assert.Equal("sha256:" + EmptySha256Hex, hash.ToString(NixHashEncoding.Base16, includeAlgorithm: true));
        Assert.Equal(EmptySha256Base64, hash.ToString(NixHashEncoding.Base64, includeAlgorithm: false));
        Assert.Equal("sha256-" + EmptySha256Base64, $"{hash:s}");
        Assert.Equal("sha256:" + EmptySha256Hex, $"{hash:x}");
    }

    [Theory]
    [InlineData(EmptySha256Nix32)]
    [InlineData(EmptySha256Hex)]
    [InlineData(EmptySha256Base64)]
    [InlineData("sha256:" + EmptySha256Nix32)]
    public void Parse_WithExpectedAlgorithm_AcceptsBareAndPrefixed(string text)
    {
        Assert.Equal(EmptySha256Hex, NixHash.Parse(text, NixHashAlgorithm.Sha256).ToHex());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData(EmptySha256Nix32)] // no algorithm
    [InlineData("sha257:" + EmptySha256Nix32)]
    [InlineData("SHA256:" + EmptySha256Nix32)]
    [InlineData("sha256:" + EmptySha256Hex + "00")]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g")]
    [InlineData("sha256-" + EmptySha256Hex)] // SRI must be base64
    [InlineData("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=")] // non-canonical base64 tail bits
    [InlineData("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS uFU=")]
    [InlineData("sha1:" + EmptySha256Nix32)]
    public void Parse_Invalid_ThrowsNixFormatException(string text)
    {
        Assert.Throws<NixFormatException>(() => NixHash.Parse(text));
        Assert.False(NixHash.TryParse(text, out var hash));
        Assert.True(hash.IsEmpty);
    }

    [Fact]
    public void Parse_WrongExpectedAlgorithm_Throws()
    {
        var ex = Assert.Throws<NixFormatException>(() =>
            NixHash.Parse("sha256:" + EmptySha256Nix32, NixHashAlgorithm.Sha512));
        Assert.Contains("sha512", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WrongDigestSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => new NixHash(NixHashAlgorithm.Sha256, new byte[20]));
    }

    [Theory]
    [InlineData(NixHashAlgorithm.Md5)]
    [InlineData(NixHashAlgorithm.Sha1)]
    [InlineData(NixHashAlgorithm.Sha256)]
    [InlineData(NixHashAlgorithm.Sha512)]
    public void ToStringParse_EveryAlgorithmAndEncoding_RoundTrips(NixHashAlgorithm algorithm)
    {
        var digest = RandomNumberGenerator.GetBytes(NixHash.GetDigestSize(algorithm));
        var hash = new NixHash(algorithm, digest);
        foreach (var encoding in Enum.GetValues<NixHashEncoding>())
        {
            Assert.Equal(hash, NixHash.Parse(hash.ToString(encoding, includeAlgorithm: true)));
            if (encoding != NixHashEncoding.Sri)
            {
                Assert.Equal(hash, NixHash.Parse(hash.ToString(encoding, includeAlgorithm: false), algorithm));
            }
        }
    }

    [Property(MaxTest = 200)]
    public bool ToStringParse_AnySha256_RoundTrips(byte[] seed)
    {
        var hash = NixHash.ComputeSha256(seed);
        return NixHash.Parse(hash.ToString()) == hash
            && NixHash.Parse(hash.ToSri()) == hash
            && NixHash.Parse("sha256:" + hash.ToHex()) == hash;
    }

    [Fact]
    public void Parse_MutatedInputs_OnlyFormatErrors()
    {
        var random = new Random(17);
        var seeds = new[]
        {
            "sha256:" + EmptySha256Nix32, "sha256:" + EmptySha256Hex, "sha256-" + EmptySha256Base64,
            "sha512:" + new string('0', 103),
        };
        for (var round = 0; round < 5000; round++)
        {
            var chars = seeds[random.Next(seeds.Length)].ToCharArray();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                chars[random.Next(chars.Length)] = (char)random.Next(0, 256);
            }

            var text = new string(chars, 0, random.Next(chars.Length + 1));
            if (NixHash.TryParse(text, out var hash))
            {
                Assert.Equal(hash, NixHash.Parse(hash.ToString(NixHashEncoding.Base16, true)));
            }
            else
            {
                Assert.Throws<NixFormatException>(() => NixHash.Parse(text));
            }
        }
    }
}
