using Attest.Nix.Derivations;
using Attest.Nix.Tests.Support;

namespace Attest.Nix.Tests.Derivations;

/// <summary>Output paths recomputed from .drv contents agree with the paths nix-instantiate wrote.</summary>
public sealed class DerivationHashingTests
{
    private static string[] Instantiate(TempDirectory temp)
    {
        File.WriteAllText(temp.Combine("src.txt"), Guid.NewGuid().ToString());
        File.WriteAllText(temp.Combine("t.nix"), $$"""
            let
              a = builtins.derivation { name = "attest-ha"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo > $out; echo > $dev" ]; outputs = [ "out" "dev" ]; nonce = "{{Guid.NewGuid()}}"; };
              fo = builtins.derivation { name = "attest-hfo"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "printf hi > $out" ]; outputHashAlgo = "sha256"; outputHashMode = "recursive"; outputHash = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo="; };
              b = builtins.derivation { name = "attest-hb"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "cat ${a.dev} ${fo} > $out" ]; src = ./src.txt; };
              c = builtins.derivation { name = "attest-hc"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "cat ${b} ${a} > $out; echo > $lib" ]; outputs = [ "out" "lib" ]; };
            in [ a b c ]
            """);
        return NixCli.RunText("nix-instantiate", temp.Combine("t.nix")).Split('\n');
    }

    [Fact]
    public void ComputeOutputPaths_RealDerivationGraph_MatchesNixInstantiate()
    {
        using var temp = new TempDirectory();
        foreach (var drvPath in Instantiate(temp))
        {
            var derivation = Derivation.Load(drvPath);

            var computed = DerivationHashing.ComputeOutputPaths(derivation, path => Derivation.Load(path));

            Assert.Equal(derivation.Outputs.Count, computed.Count);
            foreach (var output in derivation.Outputs)
            {
                Assert.Equal(output.Path, computed[output.Name].FullPath);
            }
        }
    }

    [Fact]
    public void ComputeOutputPaths_TamperedEnvironment_GivesOtherPaths()
    {
        using var temp = new TempDirectory();
        var drvPath = Instantiate(temp)[2];
        var derivation = Derivation.Load(drvPath);
        var tampered = new Derivation(
            derivation.Outputs, derivation.InputDerivations, derivation.InputSources, derivation.System, derivation.Builder,
            [.. derivation.Arguments.Select(a => a + " ")], derivation.Environment);

        var computed = DerivationHashing.ComputeOutputPaths(tampered, path => Derivation.Load(path));

        Assert.NotEqual(derivation.GetOutput("out")!.Path, computed["out"].FullPath);
    }

    [Fact]
    public void ComputeOutputPaths_FixedOutput_Throws()
    {
        var derivation = new Derivation(
            [new DerivationOutput("out", "/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-x", "sha256", new string('0', 64))],
            [], [], "x86_64-linux", "/bin/sh", [], [new("name", "x")]);

        Assert.Throws<ArgumentException>(() => DerivationHashing.ComputeOutputPaths(derivation, _ => throw new InvalidOperationException()));
    }
}
