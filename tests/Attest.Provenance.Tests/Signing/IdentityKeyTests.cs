using Attest.Provenance.Signing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Signing;

public sealed class IdentityKeyTests
{
    // RFC 8032 §7.1, TEST 1 and TEST 2.
    [Theory]
    [InlineData(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void Sign_Rfc8032Vectors_MatchesSpec(string seed, string publicKey, string message, string signature)
    {
        using var key = IdentityKey.FromSeed("rfc8032", Convert.FromHexString(seed));
        Assert.Equal(publicKey, Convert.ToHexStringLower(key.PublicKey.KeyBytes));
        var sig = key.Sign(Convert.FromHexString(message));
        Assert.Equal(signature, Convert.ToHexStringLower(sig));
        Assert.True(key.PublicKey.Verify(Convert.FromHexString(message), sig));
    }

    [Fact]
    public void KeyId_IsHexSha256OfPublicKey()
    {
        using var key = IdentityKey.FromSeed("b", Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key.PublicKey.KeyBytes));
        Assert.Equal(expected, key.KeyId);
        Assert.Equal(64, key.KeyId.Length);
    }

    [Fact]
    public void PublicKeyText_RoundTrips()
    {
        using var key = IdentityKey.Generate("hydra-01.example");
        var text = key.PublicKey.ToString();
        Assert.StartsWith("hydra-01.example+" + key.KeyId + "+", text, StringComparison.Ordinal);
        var parsed = IdentityPublicKey.Parse(text);
        Assert.Equal(key.PublicKey, parsed);
        Assert.Equal(key.KeyId, parsed.KeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("name")]
    [InlineData("name+abc")]
    [InlineData("-bad+0000+AAAA")]
    [InlineData("bad name+0000+AAAA")]
    public void PublicKeyParse_Malformed_Fails(string text)
    {
        Assert.False(IdentityPublicKey.TryParse(text, out var key, out var error));
        Assert.Null(key);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<FormatException>(() => IdentityPublicKey.Parse(text));
    }

    [Fact]
    public void PublicKeyParse_WrongKeyId_Fails()
    {
        using var a = IdentityKey.Generate("a");
        using var b = IdentityKey.Generate("b");
        var text = $"a+{b.KeyId}+{Convert.ToBase64String(a.PublicKey.KeyBytes)}";
        Assert.False(IdentityPublicKey.TryParse(text, out _, out var error));
        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKeyCreate_InvalidPoint_Fails()
    {
        // y = 2 is not on the curve (no x satisfies the equation).
        var bytes = new byte[32];
        bytes[0] = 2;
        Assert.False(IdentityPublicKey.TryCreate("x", bytes, out _, out var error));
        Assert.Contains("not a valid Ed25519", error, StringComparison.Ordinal);
        Assert.False(IdentityPublicKey.TryCreate("x", new byte[31], out _, out _));
    }

    [Fact]
    public void PrivateKeyFile_RoundTrips()
    {
        using var key = IdentityKey.Generate("builder-7");
        var text = key.ExportPrivateKey();
        Assert.StartsWith(IdentityKey.PrivateKeyPrefix + "+builder-7+" + key.KeyId + "+", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        using var parsed = IdentityKey.ParsePrivateKey(text);
        Assert.Equal(key.PublicKey, parsed.PublicKey);
        var message = "m"u8.ToArray();
        Assert.True(key.PublicKey.Verify(message, parsed.Sign(message)));
    }

    [Fact]
    public void PrivateKeyFile_DamagedSeed_Fails()
    {
        using var key = IdentityKey.Generate("builder-7");
        var text = key.ExportPrivateKey();
        var parts = text.TrimEnd('\n').Split('+', 4);
        var seed = Convert.FromBase64String(parts[3]);
        seed[0] ^= 1;
        var damaged = $"{parts[0]}+{parts[1]}+{parts[2]}+{Convert.ToBase64String(seed)}\n";
        Assert.False(IdentityKey.TryParsePrivateKey(damaged, out _, out var error));
        Assert.Contains("damaged", error, StringComparison.Ordinal);
        Assert.False(IdentityKey.TryParsePrivateKey(text.Replace(IdentityKey.PrivateKeyPrefix, "x", StringComparison.Ordinal), out _, out _));
        Assert.False(IdentityKey.TryParsePrivateKey(text + "\n", out _, out _));
        Assert.False(IdentityKey.TryParsePrivateKey(null, out _, out _));
    }

    [Fact]
    public void Sign_AfterDispose_Throws()
    {
        var key = IdentityKey.Generate("a");
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Sign("x"u8));
        Assert.Throws<ObjectDisposedException>(() => key.ExportPrivateKey());
    }

    [Property(MaxTest = 100)]
    public Property Verify_TamperedMessageOrSignature_Fails() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<int>(), (message, position) =>
        {
            using var key = IdentityKey.FromSeed("p", new byte[32]);
            var signature = key.Sign(message);
            var tamperedSignature = (byte[])signature.Clone();
            tamperedSignature[(position & int.MaxValue) % 64] ^= 0x01;
            var tamperedMessage = message.Length == 0 ? [0] : (byte[])message.Clone();
            if (message.Length > 0)
            {
                tamperedMessage[(position & int.MaxValue) % message.Length] ^= 0x80;
            }

            return key.PublicKey.Verify(message, signature) &&
                !key.PublicKey.Verify(message, tamperedSignature) &&
                !key.PublicKey.Verify(tamperedMessage, signature);
        });

    [Property(MaxTest = 300)]
    public Property PublicKeyTryParse_RandomText_NeverThrows() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            var ok = IdentityPublicKey.TryParse(text, out var key, out var error);
            return ok ? key is not null : error is not null;
        });
}
