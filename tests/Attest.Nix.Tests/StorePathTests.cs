using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Nix.Tests;

public sealed class StorePathTests
{
    private const string Hash = "bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5";

    [Fact]
    public void Parse_ValidPath_SplitsParts()
    {
        var path = StorePath.Parse($"/nix/store/{Hash}-hello-2.12.1");
        Assert.Equal("/nix/store", path.StoreDir);
        Assert.Equal(Hash, path.HashPart);
        Assert.Equal("hello-2.12.1", path.Name);
        Assert.Equal($"{Hash}-hello-2.12.1", path.BaseName);
        Assert.Equal($"/nix/store/{Hash}-hello-2.12.1", path.ToString());
        Assert.False(path.IsDerivation);
        Assert.Equal(Hash, Nix32.Encode(path.GetHashBytes()));
    }

    [Fact]
    public void Parse_DerivationPath_IsDerivation()
    {
        Assert.True(StorePath.Parse($"/nix/store/{Hash}-hello.drv").IsDerivation);
    }

    [Theory]
    [InlineData("a+b-c._?=Z9")]
    [InlineData("x")]
    [InlineData("-leading-dash")]
    public void Parse_AllowedNameCharacters_Accepted(string name)
    {
        Assert.True(StorePath.TryParse($"/nix/store/{Hash}-{name}", out var path));
        Assert.Equal(name, path.Name);
    }

    [Theory]
    [InlineData("/nix/store/" + Hash)]
    [InlineData("/nix/store/" + Hash + "-")]
    [InlineData("/nix/store/" + Hash + "-.hidden")]
    [InlineData("/nix/store/" + Hash + "-a b")]
    [InlineData("/nix/store/" + Hash + "-a/b")]
    [InlineData("/nix/store/" + Hash + "-caf\u00e9")]
    [InlineData("/nix/store/" + Hash + "_name")]
    [InlineData("/nix/store/ecrbkxyfkl7x08ff2n2l4gqz88n0v7g5-name")]
    [InlineData("/nix/store/Bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-name")]
    [InlineData("/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g-name")]
    [InlineData("/nix/store//" + Hash + "-name")]
    [InlineData("/nix/storeX/" + Hash + "-name")]
    [InlineData("/gnu/store/" + Hash + "-name")]
    [InlineData("nix/store/" + Hash + "-name")]
    [InlineData("")]
    public void Parse_Invalid_ThrowsWithReason(string text)
    {
        var ex = Assert.Throws<NixFormatException>(() => StorePath.Parse(text));
        Assert.Contains("store", ex.Message, StringComparison.Ordinal);
        Assert.False(StorePath.TryParse(text, out var path));
        Assert.True(path.IsEmpty);
    }

    [Fact]
    public void Parse_NameOf211Characters_AcceptedAnd212Rejected()
    {
        Assert.True(StorePath.TryParse($"/nix/store/{Hash}-{new string('a', 211)}", out _));
        var ex = Assert.Throws<NixFormatException>(() => StorePath.Parse($"/nix/store/{Hash}-{new string('a', 212)}"));
        Assert.Contains("211", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CustomStoreDir_Works()
    {
        var path = StorePath.Parse($"/tmp/s/store/{Hash}-x", "/tmp/s/store");
        Assert.Equal("/tmp/s/store", path.StoreDir);
        Assert.Equal("x", path.Name);
        Assert.False(StorePath.TryParse($"/tmp/s/store/{Hash}-x", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nix/store")]
    [InlineData("/nix/store/")]
    [InlineData("/nix//store")]
    [InlineData("/nix/./store")]
    [InlineData("/nix/../store")]
    public void Parse_BadStoreDir_ThrowsArgumentException(string storeDir)
    {
        Assert.False(StorePath.IsValidStoreDir(storeDir));
        Assert.Throws<ArgumentException>(() => StorePath.Parse($"/nix/store/{Hash}-x", storeDir));
    }

    [Fact]
    public void FromBaseName_Valid_BuildsPath()
    {
        var path = StorePath.FromBaseName($"{Hash}-foo", "/nix/store");
        Assert.Equal($"/nix/store/{Hash}-foo", path.FullPath);
        Assert.False(StorePath.TryFromBaseName($"{Hash}foo", "/nix/store", out _));
        Assert.Throws<NixFormatException>(() => StorePath.FromBaseName("short-name"));
    }

    [Fact]
    public void TryParseContaining_FileInsideStorePath_SplitsRest()
    {
        Assert.True(StorePath.TryParseContaining($"/nix/store/{Hash}-hello/bin/hello", "/nix/store", out var path, out var rest));
        Assert.Equal($"/nix/store/{Hash}-hello", path.FullPath);
        Assert.Equal("/bin/hello", rest);
        Assert.True(StorePath.TryParseContaining($"/nix/store/{Hash}-hello", "/nix/store", out _, out rest));
        Assert.Equal(string.Empty, rest);
        Assert.False(StorePath.TryParseContaining("/usr/bin/hello", "/nix/store", out _, out _));
    }

    [Fact]
    public void Create_DigestAndName_EncodesHashPart()
    {
        var digest = Nix32.Decode(Hash);
        var path = StorePath.Create(digest, "hello");
        Assert.Equal($"/nix/store/{Hash}-hello", path.FullPath);
        Assert.Throws<ArgumentException>(() => StorePath.Create(new byte[19], "hello"));
        Assert.Throws<ArgumentException>(() => StorePath.Create(digest, ".hello"));
    }

    [Fact]
    public void Equality_AndOrdering_AreOrdinal()
    {
        var a = StorePath.Parse($"/nix/store/{Hash}-a");
        var b = StorePath.Parse($"/nix/store/{Hash}-b");
        Assert.Equal(a, StorePath.Parse($"/nix/store/{Hash}-a"));
        Assert.NotEqual(a, b);
        Assert.True(a < b);
        Assert.True(b >= a);
        Assert.Equal(a.GetHashCode(), StorePath.Parse($"/nix/store/{Hash}-a").GetHashCode());
    }

    private static Gen<string> NameGen()
    {
        const string first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_?=";
        const string rest = first + ".";
        return from length in Gen.Choose(1, StorePath.MaxNameLength)
               from head in Gen.Elements(first.ToCharArray())
               from tail in Gen.ArrayOf(Gen.Elements(rest.ToCharArray()), length - 1)
               select head + new string(tail);
    }

    [Property(MaxTest = 300)]
    public Property CreateParse_AnyValidName_RoundTrips() =>
        Prop.ForAll(
            Arb.From(NameGen()),
            Arb.From(Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), StorePath.HashSize)),
            (name, digest) =>
            {
                var path = StorePath.Create(digest, name);
                var parsed = StorePath.Parse(path.FullPath);
                return parsed == path && parsed.Name == name && parsed.GetHashBytes().AsSpan().SequenceEqual(digest);
            });

    [Fact]
    public void Parse_MutatedPaths_OnlyFormatErrors()
    {
        var random = new Random(99);
        var seed = $"/nix/store/{Hash}-hello-2.12.1.drv";
        for (var round = 0; round < 5000; round++)
        {
            var chars = seed.ToCharArray();
            chars[random.Next(chars.Length)] = (char)random.Next(0, 200);
            var text = new string(chars, 0, random.Next(1, chars.Length + 1));
            if (StorePath.TryParse(text, out var path))
            {
                Assert.Equal(text, path.FullPath);
                Assert.True(StorePath.IsValidName(path.Name));
            }
            else
            {
                Assert.Throws<NixFormatException>(() => StorePath.Parse(text));
            }
        }
    }
}
