using Attest.Agent.Core.NixTools;
using Attest.Nix;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Agent.Tests.NixTools;

public sealed class NixSettingsTests
{
    [Fact]
    public void Parse_ShowConfigText_ReadsValuesIncludingEmptyOnes()
    {
        var settings = NixSettings.Parse("sandbox = true\nsubstituters = \nsystem = x86_64-linux\n# comment = no\nsandbox-paths = /bin/sh=/bin/busybox /bin/busybox\n");

        Assert.Equal("true", settings["sandbox"]);
        Assert.Equal(string.Empty, settings["substituters"]);
        Assert.Equal("x86_64-linux", settings["system"]);
        Assert.Equal("/bin/sh=/bin/busybox /bin/busybox", settings["sandbox-paths"]);
        Assert.False(settings.ContainsKey("# comment"));
    }

    [FsCheck.Xunit.Property]
    public Property Parse_ArbitraryText_NeverThrows(string text) =>
        (text is null || NixSettings.Parse(text) is not null).ToProperty();

    [Theory]
    [InlineData(null, null, "")]
    [InlineData("auto", null, "")]
    [InlineData("daemon", null, "")]
    [InlineData("/tmp/b", "/tmp/b", "/tmp/b")]
    [InlineData("/tmp/b/", "/tmp/b/", "/tmp/b")]
    [InlineData("local?root=/tmp/c", "local?root=/tmp/c", "/tmp/c")]
    public void NixStoreLocation_Parse_KnownForms(string? store, string? uri, string root)
    {
        var location = NixStoreLocation.Parse(store);

        Assert.Equal(uri, location.Uri);
        Assert.Equal(root, location.Root);
    }

    [Fact]
    public void NixStoreLocation_PhysicalPath_ChrootPrefixed()
    {
        var path = StorePath.Parse("/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1");

        Assert.Equal("/tmp/b/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1",
            NixStoreLocation.Parse("/tmp/b").PhysicalPath(path));
    }

    [Theory]
    [InlineData("https://cache.nixos.org")]
    [InlineData("ssh://host")]
    [InlineData("local?root=relative")]
    public void NixStoreLocation_Parse_NonLocalStore_Throws(string store) =>
        Assert.Throws<ArgumentException>(() => NixStoreLocation.Parse(store));

    [Fact]
    public void ParsePathInfo_Nix28Array_ReadsEveryField()
    {
        const string json = """[{"path":"/nix/store/5w4x8p9z376vbnq7vw6p69xa6y4rhm8s-attest-multi-h1-dev","narHash":"sha256-IU91dM9yQhxYtsxTMyU80UFlxYW9V+pSv8Wcq5mW4cM=","narSize":944,"references":["/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1"],"deriver":"/nix/store/srxxq6a9mx1v59rhz27wl0chywf8chnp-attest-multi-h1.drv","registrationTime":1795367739,"ultimate":true}]""";

        var info = Assert.Single(NixCli.ParsePathInfo(json)).Value;

        Assert.Equal("attest-multi-h1-dev", info.Path.Name);
        Assert.Equal("sha256:1hz1jscsp765px9flmxxhp2nahfi7hjk6lycnrc1qhkjrxs7akr1", info.NarHash.ToString());
        Assert.Equal(944, info.NarSize);
        Assert.Equal("attest-multi-h1", Assert.Single(info.References).Name);
        Assert.True(info.Deriver?.IsDerivation);
    }

    [Fact]
    public void ParsePathInfo_NewerObjectForm_ReadsBaseNameReferences()
    {
        const string json = """{"/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1":{"narHash":"sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=","narSize":120,"references":["wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1"]}}""";

        var info = Assert.Single(NixCli.ParsePathInfo(json)).Value;

        Assert.Equal(120, info.NarSize);
        Assert.Equal(info.Path, Assert.Single(info.References));
        Assert.Null(info.Deriver);
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property ParsePathInfo_MutatedOutput_OnlyNixCommandException(NonNegativeInt position, char replacement)
    {
        const string json = """[{"path":"/nix/store/wkshkxpaifgph6y9bgz1ry1ks6s127qx-attest-multi-h1","narHash":"sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=","narSize":120,"references":[]}]""";
        var chars = json.ToCharArray();
        chars[position.Get % chars.Length] = replacement;
        try
        {
            NixCli.ParsePathInfo(new string(chars));
            return true.ToProperty();
        }
        catch (NixCommandException)
        {
            return true.ToProperty();
        }
    }
}
