using System.Security.Cryptography;
using System.Text.Json;
using Attest.Nix.Derivations;
using Attest.Nix.Nar;
using Attest.Nix.Tests.Support;

namespace Attest.Nix.Tests;

/// <summary>Store path computation checked against paths the real Nix assigns.</summary>
public sealed class StorePathComputationTests
{
    [Fact]
    public void MakeFixedOutputPath_Recursive_MatchesNixStoreAdd()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("attest-added");
        TreeBuilder.BuildMixedTree(root);
        File.WriteAllText(Path.Combine(root, "nonce"), Guid.NewGuid().ToString());

        var expected = NixCli.RunText("nix-store", "--add", root);
        var computed = StorePathComputation.MakeFixedOutputPath("attest-added", NarHasher.HashPath(root).Hash, recursive: true);

        Assert.Equal(expected, computed.FullPath);
    }

    [Fact]
    public void MakeFixedOutputPath_Flat_MatchesNixStoreAddFixed()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("attest-flat");
        File.WriteAllText(file, "flat " + Guid.NewGuid());

        var expected = NixCli.RunText("nix-store", "--add-fixed", "sha256", file);
        var computed = StorePathComputation.MakeFixedOutputPath("attest-flat", NixHash.ComputeSha256(File.ReadAllBytes(file)), recursive: false);

        Assert.Equal(expected, computed.FullPath);
    }

    [Fact]
    public void MakeFixedOutputPath_RecursiveSha1_MatchesNixStoreAddFixed()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("attest-sha1");
        File.WriteAllText(file, "sha1 " + Guid.NewGuid());

        var expected = NixCli.RunText("nix-store", "--add-fixed", "--recursive", "sha1", file);
        using var nar = new MemoryStream();
        NarSerializer.Dump(file, nar);
        var computed = StorePathComputation.MakeFixedOutputPath(
            "attest-sha1", new NixHash(NixHashAlgorithm.Sha1, SHA1.HashData(nar.ToArray())), recursive: true);

        Assert.Equal(expected, computed.FullPath);
    }

    [Fact]
    public void ComputeDerivationPath_RealDrvs_MatchNixInstantiate()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("src.txt"), Guid.NewGuid().ToString());
        File.WriteAllText(temp.Combine("t.nix"), $$"""
            let
              a = builtins.derivation { name = "attest-pa"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; nonce = "{{Guid.NewGuid()}}"; };
              b = builtins.derivation { name = "attest-pb"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "cat ${a} > $out" ]; src = ./src.txt; };
            in [ a b ]
            """);

        foreach (var drvPath in NixCli.RunText("nix-instantiate", temp.Combine("t.nix")).Split('\n'))
        {
            var derivation = Derivation.Load(drvPath);
            Assert.Equal(drvPath, StorePathComputation.ComputeDerivationPath(derivation).FullPath);
        }
    }

    [Fact]
    public void MakeFixedOutputPath_FixedOutputDerivation_MatchesOutputPath()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("fo.nix"), """
            builtins.derivation { name = "attest-fo-path"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "printf hi > $out" ]; outputHashAlgo = "sha256"; outputHashMode = "flat"; outputHash = builtins.hashString "sha256" "hi"; }
            """);
        var drv = Derivation.Load(NixCli.RunText("nix-instantiate", temp.Combine("fo.nix")));
        var output = Assert.Single(drv.Outputs);

        var computed = StorePathComputation.MakeFixedOutputPath("attest-fo-path", output.FixedHash, recursive: false);

        Assert.Equal(output.Path, computed.FullPath);
    }

    [Fact]
    public void MakeStorePath_StoreDirIsPartOfTheHash()
    {
        var hash = NixHash.ComputeSha256("x"u8);
        var a = StorePathComputation.MakeStorePath("source", hash, "n");
        var b = StorePathComputation.MakeStorePath("source", hash, "n", "/other/store");

        Assert.NotEqual(a.HashPart, b.HashPart);
        Assert.Equal("/other/store", b.StoreDir);
        Assert.Throws<ArgumentException>(() => StorePathComputation.MakeFixedOutputPath("n", hash, recursive: false, [a]));
    }

    [Fact]
    public void MakeFixedOutputPath_PathInfoCa_AgreesWithNix()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("attest-ca");
        File.WriteAllText(file, Guid.NewGuid().ToString());
        var path = NixCli.RunText("nix-store", "--add", file);
        using var json = JsonDocument.Parse(NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "path-info", "--json", path));
        var ca = json.RootElement[0].GetProperty("ca").GetString()!;

        Assert.StartsWith("fixed:r:sha256:", ca, StringComparison.Ordinal);
        var hash = NixHash.Parse(ca.AsSpan("fixed:r:".Length));
        Assert.Equal(path, StorePathComputation.MakeFixedOutputPath("attest-ca", hash, recursive: true).FullPath);
    }
}
