using System.Text;
using Attest.Nix.Signing;
using FsCheck.Xunit;

namespace Attest.Nix.Tests.Signing;

public sealed class NixKeyTests
{
    // RFC 8032 §7.1 TEST 1: empty message.
    private const string Rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032Public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string Rfc8032Signature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    [Fact]
    public void Sign_Rfc8032Test1_MatchesVector()
    {
        using var key = NixSigningKey.FromSeed("rfc", Convert.FromHexString(Rfc8032Seed));

        Assert.Equal(Convert.FromHexString(Rfc8032Public), key.PublicKey.Key.ToArray());
        Assert.Equal("rfc:" + Convert.ToBase64String(Convert.FromHexString(Rfc8032Signature)), key.Sign([]));
        Assert.True(key.PublicKey.Verify([], "rfc:" + Convert.ToBase64String(Convert.FromHexString(Rfc8032Signature))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("noname")]
    [InlineData(":AAAA")]
    [InlineData("name:")]
    [InlineData("name:not base64!")]
    [InlineData("na me:NWzuV+Hw5b1A4mJoyTQC/5+Vd8h5QrAPKZqalxABWHI=")]
    [InlineData("name:NWzuV+Hw5b1A4mJoyTQC/5+Vd8h5QrAPKZqalxABWHI")] // missing padding
    [InlineData("name:NWzuV+Hw5b1A4mJoyTQC/5+Vd8h5QrAPKZqalxABWHJ=")] // non-canonical final bits
    [InlineData("name:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 64 bytes
    public void PublicKeyParse_Invalid_Throws(string text)
    {
        Assert.Throws<NixFormatException>(() => NixPublicKey.Parse(text));
        Assert.False(NixPublicKey.TryParse(text, out _));
    }

    [Fact]
    public void SigningKeyParse_InconsistentPublicHalf_Throws()
    {
        using var key = NixSigningKey.Generate("k");
        var exported = key.ExportSecretKey();
        var bytes = Convert.FromBase64String(exported[2..]);
        bytes[^1] ^= 1;
        var corrupted = "k:" + Convert.ToBase64String(bytes);

        var ex = Assert.Throws<NixFormatException>(() => NixSigningKey.Parse(corrupted));
        Assert.Contains("inconsistent", ex.Message, StringComparison.Ordinal);
        Assert.False(NixSigningKey.TryParse(corrupted, out _));
        Assert.False(NixSigningKey.TryParse(key.PublicKey.ToString(), out _));
    }

    [Fact]
    public void Verify_SignatureWithOtherKeyName_Fails()
    {
        using var key = NixSigningKey.Generate("a");
        var signature = key.Sign("m"u8);

        Assert.True(key.PublicKey.Verify("m"u8, signature));
        Assert.False(key.PublicKey.Verify("m"u8, "b" + signature[1..]));
        Assert.False(key.PublicKey.Verify("m"u8, "a:" + Convert.ToBase64String(new byte[64])));
        Assert.False(key.PublicKey.Verify("m"u8, "a:short"));
    }

    [Fact]
    public void Dispose_ThenSign_Throws()
    {
        var key = NixSigningKey.Generate("d");
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Sign("x"u8));
    }

    [Property(MaxTest = 50)]
    public bool SignVerify_AnyMessage_RoundTripsAndExportParses(byte[] message)
    {
        using var key = NixSigningKey.Generate("prop-key");
        using var again = NixSigningKey.Parse(key.ExportSecretKey());
        var signature = key.Sign(message);
        var other = message.Length > 0 ? message[..^1] : "x"u8.ToArray();
        return again.Sign(message) == signature
            && NixPublicKey.Parse(key.PublicKey.ToString()).Verify(message, signature)
            && !key.PublicKey.Verify(other, signature);
    }

    [Fact]
    public void Parse_MutatedKeyText_OnlyFormatErrors()
    {
        using var key = NixSigningKey.Generate("fuzz");
        var seeds = new[] { key.ExportSecretKey(), key.PublicKey.ToString() };
        var random = new Random(8);
        for (var round = 0; round < 3000; round++)
        {
            var chars = seeds[random.Next(2)].ToCharArray();
            chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
            var text = new string(chars, 0, random.Next(chars.Length + 1));
            if (NixSigningKey.TryParse(text, out var parsed))
            {
                Assert.Equal(text, parsed.ExportSecretKey());
                parsed.Dispose();
            }

            if (NixPublicKey.TryParse(text, out var pub))
            {
                Assert.Equal(text, pub.ToString());
            }

            Assert.False(NixPublicKey.TrySplitSignature(text + "\n", out _, out _) && text.Length < 3);
        }

        Assert.Equal(Encoding.ASCII.GetByteCount(key.PublicKey.ToString()), key.PublicKey.ToString().Length);
    }
}
