using Attest.Nix.BinaryCache;
using Attest.Nix.Signing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Nix.Tests.Signing;

public sealed class NarInfoTests
{
    private const string Sample = """
        StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix
        URL: nar/0wb8jn4l63kfhld7l0qrpplhsv1p2n08dii3mmyk9iwpnqd1c8jb.nar.xz
        Compression: xz
        FileHash: sha256:0wb8jn4l63kfhld7l0qrpplhsv1p2n08dii3mmyk9iwpnqd1c8jb
        FileSize: 488
        NarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f
        NarSize: 1040
        References: bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-attest-multi-x dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix
        Deriver: nblq2alh6kc5d2qnz2w71hzi7llglhrc-attest-a.drv
        System: x86_64-linux
        Sig: test-key-1:2u38RU5otFRjJsC4/FIScBa9zYQ7wohd+dli0fhPeOPgfPLMRZHd70Mxo96N2CWW5qKBwomASgCD6Rxpv+XHAw==
        CA: fixed:r:sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f

        """;

    [Fact]
    public void Parse_FullNarInfo_ReadsEveryFieldAndFormatsIdentically()
    {
        var text = Sample.ReplaceLineEndings("\n");
        var info = NarInfo.Parse(text);

        Assert.Equal("/nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix", info.StorePath.FullPath);
        Assert.Equal("xz", info.Compression);
        Assert.Equal(488, info.FileSize);
        Assert.Equal(1040, info.NarSize);
        Assert.Equal(2, info.References.Count);
        Assert.Equal("/nix/store/nblq2alh6kc5d2qnz2w71hzi7llglhrc-attest-a.drv", info.Deriver.FullPath);
        Assert.Equal("x86_64-linux", info.System);
        Assert.Single(info.Signatures);
        Assert.StartsWith("fixed:r:sha256:", info.ContentAddress, StringComparison.Ordinal);
        Assert.Equal(text, info.Format());
        Assert.Equal(
            "1;/nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix;sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f;1040;"
            + "/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-attest-multi-x,/nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix",
            info.GetFingerprint());
    }

    [Fact]
    public void Parse_MinimalNarInfo_AppliesNixDefaults()
    {
        var info = NarInfo.Parse("StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\nDeriver: unknown-deriver\nFuture: kept\n");

        Assert.Equal("bzip2", info.Compression);
        Assert.True(info.Deriver.IsEmpty);
        Assert.True(info.FileHash.IsEmpty);
        Assert.Null(info.FileSize);
        Assert.Empty(info.References);
        Assert.Equal([new KeyValuePair<string, string>("Future", "kept")], info.UnknownFields);
    }

    [Theory]
    [InlineData("no StorePath", "URL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\n")]
    [InlineData("no URL", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\n")]
    [InlineData("zero size", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 0\n")]
    [InlineData("bad size", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: -1\n")]
    [InlineData("bad hash", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:xyz\nNarSize: 1\n")]
    [InlineData("md5 hash", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: md5:3y8bwfr609h3lh9ch0izcqq7fl\nNarSize: 1\n")]
    [InlineData("bad path", "StorePath: /tmp/x\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\n")]
    [InlineData("bad reference", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\nReferences: nope\n")]
    [InlineData("deriver not drv", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\nDeriver: dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\n")]
    [InlineData("repeated", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nURL: y\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1\n")]
    [InlineData("no newline", "StorePath: /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\nURL: x\nNarHash: sha256:055c8yflvqk9y2g8md42j4dai2ggslnn7plvb23lwg0cr6xd723f\nNarSize: 1")]
    [InlineData("no colon", "StorePath /nix/store/dvw6s3l0vx2pz7nw5387i86a23w6nqag-t.nix\n")]
    public void Parse_Invalid_ThrowsWithReason(string reason, string text)
    {
        var ex = Assert.Throws<NixFormatException>(() => NarInfo.Parse(text));
        Assert.False(string.IsNullOrEmpty(ex.Message), reason);
        Assert.False(NarInfo.TryParse(text, StorePath.DefaultStoreDir, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void VerifySignatures_MixedSignatures_ExplainsEachRejected()
    {
        using var trusted = NixSigningKey.Generate("trusted");
        using var untrusted = NixSigningKey.Generate("untrusted");
        var info = NarInfo.Parse(Sample.ReplaceLineEndings("\n")) with { Signatures = [] };
        var signed = info.Sign(trusted).Sign(untrusted) with { };
        signed = signed with { Signatures = [.. signed.Signatures, "garbage", "trusted:" + Convert.ToBase64String(new byte[64])] };

        var verdict = signed.VerifySignatures([trusted.PublicKey]);

        Assert.True(verdict.IsTrusted);
        Assert.False(verdict.HasAtLeast(2));
        Assert.Equal(["trusted"], verdict.ValidSigners);
        Assert.Equal(3, verdict.Reasons.Count);
        Assert.False(info.VerifySignatures([trusted.PublicKey]).IsTrusted);
    }

    private static Gen<NarInfo> NarInfoGen() =>
        from digest in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 20)
        from narDigest in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 32)
        from size in Gen.Choose(1, int.MaxValue)
        from fileSize in Gen.Choose(0, 1000).Select(n => n == 0 ? (long?)null : n)
        from refCount in Gen.Choose(0, 5)
        from refs in Gen.ArrayOf(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 20), refCount)
        from compression in Gen.Elements("xz", "zstd", "none", "bzip2")
        from system in Gen.Elements<string?>(null, "x86_64-linux", "aarch64-linux")
        from hasDeriver in ArbMap.Default.GeneratorFor<bool>()
        select new NarInfo
        {
            StorePath = StorePath.Create(digest, "p-1.0"),
            Url = "nar/" + Nix32.Encode(narDigest) + ".nar." + compression,
            Compression = compression,
            FileHash = fileSize is null ? default : NixHash.ComputeSha256(digest),
            FileSize = fileSize,
            NarHash = NixHash.FromSha256(narDigest),
            NarSize = size,
            References = refs.Select(r => StorePath.Create(r, "dep")).ToList(),
            Deriver = hasDeriver ? StorePath.Create(digest, "p-1.0.drv") : default,
            System = system,
        };

    [Property(MaxTest = 200)]
    public Property FormatParse_AnyNarInfo_RoundTrips() =>
        Prop.ForAll(Arb.From(NarInfoGen()), info =>
        {
            var text = info.Format();
            var parsed = NarInfo.Parse(text);
            return parsed.Format() == text && parsed.StorePath == info.StorePath && parsed.NarHash == info.NarHash
                && parsed.References.SequenceEqual(info.References) && parsed.Deriver == info.Deriver;
        });

    [Fact]
    public void Parse_MutatedNarInfo_OnlyFormatErrors()
    {
        var seed = Sample.ReplaceLineEndings("\n");
        var random = new Random(77);
        for (var round = 0; round < 3000; round++)
        {
            var chars = seed.ToCharArray();
            for (var m = random.Next(1, 3); m > 0; m--)
            {
                chars[random.Next(chars.Length)] = (char)random.Next(9, 127);
            }

            var text = new string(chars, 0, random.Next(chars.Length + 1));
            if (NarInfo.TryParse(text, StorePath.DefaultStoreDir, out var info, out _))
            {
                Assert.Equal(info.Format(), NarInfo.Parse(text).Format());
                Assert.True(info.NarSize > 0);
            }
            else
            {
                Assert.Throws<NixFormatException>(() => NarInfo.Parse(text));
            }
        }
    }
}
