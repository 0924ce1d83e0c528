using Attest.Agent.Core.Hook;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Tests.Infrastructure;
using Attest.Nix;

namespace Attest.Agent.Tests.NixTools;

/// <summary>Nix's store database read directly, checked against what the Nix CLI reports for real builds.</summary>
public sealed class NixStoreDatabaseTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task QueryPathInfo_RealBuild_EqualsNixCli(bool chroot)
    {
        using var dir = new TempDirectory();
        var (builder, drv, outputs) = await BuildWithoutHookAsync(dir, chroot);
        var store = NixStoreLocation.Parse(builder.ChrootStore);
        var nix = new NixCli(null, store);
        var expected = await nix.QueryPathInfoAsync(outputs, CancellationToken.None);

        Assert.True(NixStoreDatabase.TryOpen(store, out var database, out var reason), reason);
        using (database)
        {
            foreach (var output in outputs)
            {
                var info = database.QueryPathInfo(output);
                Assert.NotNull(info);
                var cli = expected[output];
                Assert.Equal(cli.NarHash, info.NarHash);
                Assert.Equal(cli.NarSize, info.NarSize);
                Assert.Equal(cli.References, info.References);
                Assert.Equal(cli.Deriver, info.Deriver);
                Assert.Equal(cli.RegisteredAt, info.RegisteredAt);
            }

            var drvInfo = database.QueryPathInfo(drv);
            Assert.NotNull(drvInfo);
            Assert.Equal(await nix.QueryRegisteredHashAsync(drv, CancellationToken.None), drvInfo.NarHash);
        }
    }

    [Fact]
    public async Task QueryPathInfo_PathNotInStore_ReturnsNull()
    {
        using var dir = new TempDirectory();
        var (builder, _, outputs) = await BuildWithoutHookAsync(dir, chroot: true);
        var absent = StorePath.Create(new byte[StorePath.HashSize], "absent");

        Assert.True(NixStoreDatabase.TryOpen(NixStoreLocation.Parse(builder.ChrootStore), out var database, out var reason), reason);
        using (database)
        {
            Assert.Null(database.QueryPathInfo(absent));
            Assert.NotNull(database.QueryPathInfo(outputs[0]));
        }
    }

    [Fact]
    public void TryOpen_StoreWithoutDatabase_FalseWithReason()
    {
        using var dir = new TempDirectory();

        Assert.False(NixStoreDatabase.TryOpen(NixStoreLocation.Parse(dir.Path), out var database, out var reason));

        Assert.Null(database);
        Assert.Contains("does not exist", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_OtherSchemaVersion_FalseWithReason()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("nix", "var", "nix", "db"));
        File.WriteAllText(dir.Combine("nix", "var", "nix", "db", "schema"), "11");
        File.WriteAllBytes(dir.Combine("nix", "var", "nix", "db", "db.sqlite"), []);

        Assert.False(NixStoreDatabase.TryOpen(NixStoreLocation.Parse(dir.Path), out _, out var reason));

        Assert.Contains("schema 11", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_FileIsNotADatabase_FalseWithReason()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("nix", "var", "nix", "db"));
        File.WriteAllText(dir.Combine("nix", "var", "nix", "db", "schema"), "10");
        File.WriteAllBytes(dir.Combine("nix", "var", "nix", "db", "db.sqlite"), System.Text.Encoding.ASCII.GetBytes(new string('x', 8192)));

        Assert.False(NixStoreDatabase.TryOpen(NixStoreLocation.Parse(dir.Path), out _, out var reason));

        Assert.Contains("not a Nix store database", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryPathInfo_MutatedDatabaseCopies_OnlyDocumentedOutcomes()
    {
        using var dir = new TempDirectory();
        var (builder, drv, outputs) = await BuildWithoutHookAsync(dir, chroot: true);
        var source = builder.ChrootStore + "/nix/var/nix/db";
        // nix-build has exited, so its last connection checkpointed the WAL into the main file.
        var pristine = await File.ReadAllBytesAsync(source + "/db.sqlite");
        var random = new Random(4);
        var copy = dir.Combine("copy");
        Directory.CreateDirectory(copy + "/nix/var/nix/db");
        await File.WriteAllTextAsync(copy + "/nix/var/nix/db/schema", "10");
        for (var i = 0; i < 40; i++)
        {
            var bytes = (byte[])pristine.Clone();
            for (var flips = random.Next(1, 64); flips > 0; flips--)
            {
                bytes[random.Next(i % 4 == 0 ? 0 : 100, bytes.Length)] = (byte)random.Next(256);
            }

            await File.WriteAllBytesAsync(copy + "/nix/var/nix/db/db.sqlite", bytes);
            if (!NixStoreDatabase.TryOpen(NixStoreLocation.Parse(copy), out var database, out _))
            {
                continue;
            }

            using (database)
            {
                foreach (var path in outputs.Prepend(drv))
                {
                    try
                    {
                        _ = database.QueryPathInfo(path);
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException)
                    {
                        // Documented: the hook then asks the Nix CLI.
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AttestAsync_DatabaseOrCli_SameStatementFacts(bool chroot)
    {
        using var dir = new TempDirectory();
        var (builder, drv, _) = await BuildWithoutHookAsync(dir, chroot);
        var nix = new NixCli(null, NixStoreLocation.Parse(builder.ChrootStore));
        var settings = new Dictionary<string, string> { ["system"] = "x86_64-linux", ["sandbox"] = "false", ["substituters"] = string.Empty };

        var fromDatabase = await new HookRunner(builder.Options).AttestAsync(nix, drv.FullPath, null, settings, CancellationToken.None);
        var fromCli = await new HookRunner(builder.Options) { UseStoreDatabase = false }.AttestAsync(nix, drv.FullPath, null, settings, CancellationToken.None);

        Assert.Equal(fromCli.Outputs.Count, fromDatabase.Outputs.Count);
        foreach (var (a, b) in fromCli.Outputs.Zip(fromDatabase.Outputs))
        {
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Path, b.Path);
            Assert.Equal(a.NarHash, b.NarHash);
            Assert.Equal(a.NarSize, b.NarSize);
            Assert.Equal(a.References, b.References);
        }

        Assert.Equal(fromCli.FinishedOn, fromDatabase.FinishedOn);
        Assert.Equal(fromCli.DerivationSha256, fromDatabase.DerivationSha256);
    }

    private static async Task<(NixTestBuilder Builder, StorePath Drv, List<StorePath> Outputs)> BuildWithoutHookAsync(TempDirectory dir, bool chroot)
    {
        var builder = NixTestBuilder.Create(dir, "db-builder", chroot);
        var salt = NixTestBuilder.NewSalt();
        var (exit, output, error) = await ProcessRunner.RunAsync("nix-build",
            [builder.NixFile, "--argstr", "salt", salt, "--no-out-link", .. builder.NixArguments(withHook: false)]);
        Assert.True(exit == 0, error);
        var drv = StorePath.Parse(await builder.InstantiateAsync(salt));
        var outputs = DerivationFacts.Parse(await File.ReadAllBytesAsync(builder.Physical(drv.FullPath))).Outputs
            .Select(o => o.Path!.Value).Order().ToList();
        Assert.Equal(3, outputs.Count);
        Assert.NotEmpty(output);
        return (builder, drv, outputs);
    }
}
