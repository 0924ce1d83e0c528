using System.Text;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Nix.Derivations;
using Attest.Nix.Nar;
using Attest.Nix.Signing;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// NAR hashing of a 256 MiB file and of the installed .NET SDK folder (thousands of files) with a warm page cache;
/// throughput = bytes / time (the NAR sizes are printed by the setup). For the side-by-side with Nix's own tools
/// run bench/scripts/nar-compare.sh.
/// </summary>
[MemoryDiagnoser]
public class NarHashBenchmarks
{
    private string _directory = string.Empty;
    private string _largeFile = string.Empty;
    private string _sdk = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("attest-nar-bench-").FullName;
        _largeFile = Path.Combine(_directory, "large.bin");
        var chunk = new byte[1 << 20];
        new Random(1).NextBytes(chunk);
        using (var stream = File.Create(_largeFile))
        {
            for (var i = 0; i < 256; i++)
            {
                stream.Write(chunk);
            }
        }

        _sdk = Directory.GetDirectories("/usr/share/dotnet/sdk").Order(StringComparer.Ordinal).Last();
        Console.WriteLine($"// large file NAR size {NarHasher.HashPath(_largeFile).Size}, SDK NAR size {NarHasher.HashPath(_sdk).Size} ({_sdk})");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>One 256 MiB regular file.</summary>
    [Benchmark]
    public NarHashResult HashLargeFile() => NarHasher.HashPath(_largeFile);

    /// <summary>The .NET SDK folder: about 4,300 entries, 400 MB.</summary>
    [Benchmark]
    public NarHashResult HashSdkTree() => NarHasher.HashPath(_sdk);
}

/// <summary>Parsers and encoders on the agent's and verifier's per-build paths.</summary>
[MemoryDiagnoser]
public class NixFormatBenchmarks
{
    private readonly byte[] _digest = Convert.FromHexString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    private readonly string _nix32 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
    private readonly string _storePath = "/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-hello-2.12.1";
    private byte[] _drv = [];
    private byte[] _nar = [];
    private string _narInfo = string.Empty;
    private NixSigningKey? _key;
    private string _signature = string.Empty;
    private byte[] _fingerprint = [];

    [GlobalSetup]
    public void Setup()
    {
        // A derivation shaped like a typical nixpkgs one: 3 outputs, 20 inputs, 60 environment variables.
        var paths = Enumerable.Range(0, 20).Select(i => StorePath.Create(Digest(i), $"dep-{i}").FullPath).ToArray();
        var derivation = new Derivation(
            new[] { "out", "dev", "lib" }.Select((o, i) => new DerivationOutput(o, StorePath.Create(Digest(100 + i), "pkg-" + o).FullPath, "", "")),
            paths.Select(p => new DerivationInput(p + ".drv", ["out"])),
            paths.Take(3),
            "x86_64-linux",
            "/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-bash-5.2/bin/bash",
            ["-e", "/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-default-builder.sh"],
            Enumerable.Range(0, 60).Select(i => new KeyValuePair<string, string>($"var{i:D2}", string.Join(' ', paths.Take(i % 5)) + "\n\"quoted\"")));
        _drv = derivation.Format();

        using (var stream = new MemoryStream())
        {
            using (var writer = new NarWriter(stream, leaveOpen: true))
            {
                writer.BeginDirectory();
                for (var i = 0; i < 1000; i++)
                {
                    writer.BeginEntry($"file-{i:D4}");
                    writer.WriteRegularFile(new byte[i % 700], executable: i % 9 == 0);
                    writer.EndEntry();
                }

                writer.EndDirectory();
            }

            _nar = stream.ToArray();
        }

        _key = NixSigningKey.Generate("bench-key");
        var info = new NarInfo
        {
            StorePath = StorePath.Parse(_storePath),
            Url = "nar/" + _nix32 + ".nar.xz",
            Compression = "xz",
            NarHash = NixHash.FromSha256(_digest),
            NarSize = 123456,
            References = paths.Select(StorePath.Parse).ToList(),
        }.Sign(_key);
        _narInfo = info.Format();
        _signature = info.Signatures[0];
        _fingerprint = Encoding.UTF8.GetBytes(info.GetFingerprint());
    }

    [Benchmark]
    public string Nix32Encode() => Nix32.Encode(_digest);

    [Benchmark]
    public byte[] Nix32Decode() => Nix32.Decode(_nix32);

    [Benchmark]
    public StorePath StorePathParse() => StorePath.Parse(_storePath);

    [Benchmark]
    public Derivation DerivationParse() => Derivation.Parse(_drv);

    /// <summary>Lists an in-memory NAR of 1000 files (about 450 KB).</summary>
    [Benchmark]
    public int NarReadEntries() => NarReader.ReadEntries(new MemoryStream(_nar)).Count;

    [Benchmark]
    public NarInfo NarInfoParse() => NarInfo.Parse(_narInfo);

    [Benchmark]
    public string SignFingerprint() => _key!.Sign(_fingerprint);

    [Benchmark]
    public bool VerifySignature() => _key!.PublicKey.Verify(_fingerprint, _signature);

    private static byte[] Digest(int seed)
    {
        var bytes = new byte[20];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
