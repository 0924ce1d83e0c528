using Attest.Agent.Core.NixTools;
using Attest.Agent.Tests.Infrastructure;

namespace Attest.Agent.Tests.NixTools;

/// <summary>The Nix version cache, with a stand-in <c>nix</c> that counts how often it is started.</summary>
public sealed class NixVersionCacheTests
{
    [Fact]
    public async Task GetVersionAsync_SecondCall_AnsweredFromCacheWithoutStartingNix()
    {
        using var dir = new TempDirectory();
        var nix = CountingNix(dir, "2.99.1");

        var first = await NixVersionCache.GetVersionAsync(nix, dir.Path, CancellationToken.None);
        var second = await NixVersionCache.GetVersionAsync(nix, dir.Path, CancellationToken.None);

        Assert.Equal("2.99.1", first);
        Assert.Equal("2.99.1", second);
        Assert.Equal(1, Starts(dir));
        Assert.True(File.Exists(dir.Combine(NixVersionCache.FileName)));
    }

    [Fact]
    public async Task GetVersionAsync_BinaryReplaced_AsksNixAgain()
    {
        using var dir = new TempDirectory();
        var nix = CountingNix(dir, "2.99.1");
        Assert.Equal("2.99.1", await NixVersionCache.GetVersionAsync(nix, dir.Path, CancellationToken.None));

        // An upgrade writes a new binary: other contents, other size and modification time.
        nix = CountingNix(dir, "2.100.0");
        File.SetLastWriteTimeUtc(dir.Combine("bin", "nix"), DateTime.UtcNow.AddMinutes(1));

        Assert.Equal("2.100.0", await NixVersionCache.GetVersionAsync(nix, dir.Path, CancellationToken.None));
        Assert.Equal(2, Starts(dir));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"binary\":\"other 1 2\",\"version\":\"1.0\"}")]
    [InlineData("{\"binary\":42}")]
    [InlineData("[]")]
    public async Task GetVersionAsync_DamagedOrForeignCache_AsksNix(string cache)
    {
        using var dir = new TempDirectory();
        var nix = CountingNix(dir, "2.99.1");
        await File.WriteAllTextAsync(dir.Combine(NixVersionCache.FileName), cache);

        Assert.Equal("2.99.1", await NixVersionCache.GetVersionAsync(nix, dir.Path, CancellationToken.None));
        Assert.Equal(1, Starts(dir));
    }

    [Fact]
    public async Task GetVersionAsync_StateDirectoryMissing_StillAnswers()
    {
        using var dir = new TempDirectory();
        var nix = CountingNix(dir, "2.99.1");

        Assert.Equal("2.99.1", await NixVersionCache.GetVersionAsync(nix, dir.Combine("absent"), CancellationToken.None));
        Assert.False(Directory.Exists(dir.Combine("absent")));
    }

    private static NixCli CountingNix(TempDirectory dir, string version)
    {
        Directory.CreateDirectory(dir.Combine("bin"));
        var script = dir.Combine("bin", "nix");
        File.WriteAllText(script, $"#!/bin/sh\necho started >> '{dir.Combine("starts")}'\necho 'nix (Nix) {version}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new NixCli(dir.Combine("bin"), NixStoreLocation.Default);
    }

    private static int Starts(TempDirectory dir) =>
        File.Exists(dir.Combine("starts")) ? File.ReadAllLines(dir.Combine("starts")).Length : 0;
}
