using System.Text;
using Attest.Nix.Derivations;
using Attest.Nix.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Nix.Tests.Derivations;

public sealed class DerivationTests
{
    // Two outputs, a string needing every escape plus non-ASCII, flat and recursive fixed outputs, and a derivation
    // with input derivations and an input source.
    private const string Expression = """
        let
          a = builtins.derivation { name = "attest-a"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo a > $out; echo b > $dev" ]; outputs = [ "out" "dev" ]; weird = "q\"uote\\back\nnl\ttab\rcr \u00e9 \U0001F600"; nonce = "@NONCE@"; };
          fo = builtins.derivation { name = "attest-fo"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "printf hi > $out" ]; outputHashAlgo = "sha256"; outputHashMode = "flat"; outputHash = builtins.hashString "sha256" "hi"; };
          rec_ = builtins.derivation { name = "attest-rec"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "mkdir $out" ]; outputHashAlgo = "sha256"; outputHashMode = "recursive"; outputHash = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo="; };
          b = builtins.derivation { name = "attest-b"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "cat ${a.dev} ${fo} > $out" ]; src = ./src.txt; };
        in [ a fo rec_ b ]
        """;

    private static string[] Instantiate(TempDirectory temp)
    {
        File.WriteAllText(temp.Combine("src.txt"), "source " + Guid.NewGuid());
        File.WriteAllText(temp.Combine("t.nix"), Expression.Replace("\\u00e9", "\u00e9").Replace("\\U0001F600", "\U0001F600")
            .Replace("@NONCE@", Guid.NewGuid().ToString()));
        return NixCli.RunText("nix-instantiate", temp.Combine("t.nix")).Split('\n');
    }

    [Fact]
    public void Parse_RealDrvFilesFromNixInstantiate_RoundTripByteExact()
    {
        using var temp = new TempDirectory();
        foreach (var drvPath in Instantiate(temp))
        {
            var bytes = File.ReadAllBytes(drvPath);
            var derivation = Derivation.Parse(bytes);

            Assert.Equal(bytes, derivation.Format());
            Assert.Equal(StorePath.Parse(drvPath).Name, derivation.Name + ".drv");
            Assert.Equal("/bin/sh", derivation.Builder);
        }
    }

    [Fact]
    public void Parse_RealDrvFiles_ExposeOutputsInputsAndEnvironment()
    {
        using var temp = new TempDirectory();
        var paths = Instantiate(temp);
        var a = Derivation.Load(paths[0]);
        var fo = Derivation.Load(paths[1]);
        var rec = Derivation.Load(paths[2]);
        var b = Derivation.Load(paths[3]);

        Assert.Equal(["dev", "out"], a.Outputs.Select(o => o.Name));
        Assert.All(a.Outputs, o => Assert.Equal(OutputHashMethod.None, o.Method));
        Assert.Equal(NixCli.RunText("nix-store", "--query", "--outputs", paths[0]).Split('\n').Order(StringComparer.Ordinal),
            a.Outputs.Select(o => o.Path).Order(StringComparer.Ordinal));
        Assert.Equal("q\"uote\\back\nnl\ttab\rcr \u00e9 \U0001F600", a.GetEnvironment("weird"));
        Assert.False(a.IsFixedOutput);

        var foOut = Assert.Single(fo.Outputs);
        Assert.True(fo.IsFixedOutput);
        Assert.Equal(OutputHashMethod.Flat, foOut.Method);
        Assert.Equal(NixHash.ComputeSha256("hi"u8), foOut.FixedHash);

        var recOut = Assert.Single(rec.Outputs);
        Assert.Equal(OutputHashMethod.Recursive, recOut.Method);
        Assert.Equal(NixHash.Parse("sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo="), recOut.FixedHash);

        Assert.Equal(new[] { paths[0], paths[1] }.Order(StringComparer.Ordinal), b.InputDerivations.Select(i => i.Path));
        Assert.Equal(["dev"], b.InputDerivations.Single(i => i.Path == paths[0]).Outputs);
        Assert.Single(b.InputSources);
        Assert.Equal(NixCli.RunText("nix-instantiate", "--eval", "--expr", "builtins.currentSystem").Trim('"'), b.System);
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "empty", "" },
        { "not derive", "Derivex([],[],[],\"s\",\"b\",[],[])" },
        { "truncated", "Derive([],[],[],\"s\",\"b\",[],[]" },
        { "trailing", "Derive([],[],[],\"s\",\"b\",[],[])\n" },
        { "unterminated string", "Derive([],[],[],\"s,\"b\",[],[])" },
        { "bad escape", "Derive([],[],[],\"s\\a\",\"b\",[],[])" },
        { "raw newline", "Derive([],[],[],\"s\nx\",\"b\",[],[])" },
        { "bad output path", "Derive([(\"out\",\"/tmp/x\",\"\",\"\")],[],[],\"s\",\"b\",[],[])" },
        { "unsorted env", "Derive([],[],[],\"s\",\"b\",[],[(\"b\",\"1\"),(\"a\",\"2\")])" },
        { "duplicate env", "Derive([],[],[],\"s\",\"b\",[],[(\"a\",\"1\"),(\"a\",\"2\")])" },
        { "unsorted outputs", "Derive([(\"out\",\"\",\"\",\"\"),(\"dev\",\"\",\"\",\"\")],[],[],\"s\",\"b\",[],[])" },
        { "hash without algo", "Derive([(\"out\",\"\",\"\",\"00\")],[],[],\"s\",\"b\",[],[])" },
        { "unknown algo", "Derive([(\"out\",\"\",\"r:sha3\",\"\")],[],[],\"s\",\"b\",[],[])" },
        { "short hash", "Derive([(\"out\",\"\",\"sha256\",\"abcd\")],[],[],\"s\",\"b\",[],[])" },
        { "input not drv", "Derive([],[(\"/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-x\",[\"out\"])],[],\"s\",\"b\",[],[])" },
        { "input no outputs", "Derive([],[(\"/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-x.drv\",[])],[],\"s\",\"b\",[],[])" },
        { "bad source", "Derive([],[],[\"/nix/store/short\"],\"s\",\"b\",[],[])" },
        { "spaces", "Derive([], [],[],\"s\",\"b\",[],[])" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_Malformed_ThrowsWithOffset(string reason, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ex = Assert.Throws<NixFormatException>(() => Derivation.Parse(bytes));
        Assert.True(ex.Offset >= 0, reason);
        Assert.False(Derivation.TryParse(bytes, StorePath.DefaultStoreDir, out var derivation, out var error));
        Assert.Null(derivation);
        Assert.NotNull(error);
    }

    [Fact]
    public void Parse_InvalidUtf8_Throws()
    {
        byte[] bytes = [.. "Derive([],[],[],\""u8, 0xff, .. "\",\"b\",[],[])"u8];
        Assert.Throws<NixFormatException>(() => Derivation.Parse(bytes));
    }

    [Fact]
    public void Constructor_UnsortedParts_SortsLikeNix()
    {
        var derivation = new Derivation(
            [new DerivationOutput("out", "", "", ""), new DerivationOutput("dev", "", "", "")],
            [],
            [],
            "x86_64-linux",
            "/bin/sh",
            ["b", "a"],
            [new("\U0001F600", "1"), new("\uE000", "2"), new("a", "3")]);

        Assert.Equal(["dev", "out"], derivation.Outputs.Select(o => o.Name));
        Assert.Equal(["b", "a"], derivation.Arguments);

        // Bytewise: U+E000 (EE 80 80) sorts before U+1F600 (F0 9F 98 80), unlike UTF-16 order.
        Assert.Equal(["a", "\uE000", "\U0001F600"], derivation.Environment.Select(e => e.Key));
        Assert.Equal(derivation.Format(), Derivation.Parse(derivation.Format()).Format());
        Assert.Throws<ArgumentException>(() => new Derivation([], [], ["x", "x"], "s", "b", [], []));
    }

    private static Gen<string> AnyString() =>
        Gen.ArrayOf(Gen.Elements("a", "b", "\"", "\\", "\n", "\r", "\t", " ", "$", "\u00e9", "\u65e5", "\U0001F600", "\u0001"))
            .Select(parts => string.Concat(parts));

    private static Gen<string> StorePathGen(string suffix) =>
        from digest in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), StorePath.HashSize)
        from name in Gen.Elements("a", "hello-2.12", "x_y+z")
        select StorePath.Create(digest, name + suffix).FullPath;

    private static Gen<Derivation> DerivationGen() =>
        from outputNames in Gen.SubListOf(new[] { "out", "dev", "lib", "doc" })
        from paths in Gen.ArrayOf(StorePathGen(string.Empty), 4)
        from fixedOutput in ArbMap.Default.GeneratorFor<bool>()
        from inputs in Gen.ArrayOf(StorePathGen(".drv")).Resize(3)
        from sources in Gen.ArrayOf(StorePathGen(string.Empty)).Resize(3)
        from system in AnyString()
        from builder in AnyString()
        from args in Gen.ArrayOf(AnyString()).Resize(4)
        from env in Gen.ArrayOf(AnyString().Zip(AnyString())).Resize(6)
        select new Derivation(
            outputNames.Select((n, i) => fixedOutput && i == 0
                ? new DerivationOutput(n, paths[i], "r:sha256", new string('a', 64))
                : new DerivationOutput(n, paths[i], "", "")),
            inputs.Distinct().Select(p => new DerivationInput(p, ["out"])),
            sources.Distinct(),
            system,
            builder,
            args,
            env.DistinctBy(e => e.Item1).Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));

    [Property(MaxTest = 200)]
    public Property FormatParse_AnyDerivation_RoundTrips() =>
        Prop.ForAll(Arb.From(DerivationGen()), derivation =>
        {
            var bytes = derivation.Format();
            var parsed = Derivation.Parse(bytes);
            return parsed.Format().AsSpan().SequenceEqual(bytes)
                && parsed.Outputs.SequenceEqual(derivation.Outputs)
                && parsed.Arguments.SequenceEqual(derivation.Arguments)
                && parsed.Environment.SequenceEqual(derivation.Environment)
                && parsed.System == derivation.System;
        });

    [Fact]
    public void Parse_MutatedRealDrv_OnlyFormatErrors()
    {
        using var temp = new TempDirectory();
        var seeds = Instantiate(temp).Select(File.ReadAllBytes).ToArray();
        var random = new Random(5);
        const string alphabet = "\"\\,()[]abn/-.:0 \n";
        for (var round = 0; round < 4000; round++)
        {
            var bytes = (byte[])seeds[random.Next(seeds.Length)].Clone();
            var position = random.Next(bytes.Length);
            switch (random.Next(3))
            {
                case 0:
                    bytes[position] = (byte)alphabet[random.Next(alphabet.Length)];
                    break;
                case 1:
                    bytes = bytes[..position];
                    break;
                default:
                    bytes = [.. bytes[..position], .. bytes[Math.Min(bytes.Length, position + random.Next(1, 4))..]];
                    break;
            }

            if (Derivation.TryParse(bytes, StorePath.DefaultStoreDir, out var derivation, out _))
            {
                Assert.Equal(bytes, derivation.Format());
            }
        }
    }
}
