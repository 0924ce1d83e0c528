using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.LoadGen;

/// <summary>
/// Writes signed attestations to a file (4-byte big-endian length before each) from <c>--builders</c> builder keys,
/// whose seeds go to <c>&lt;out&gt;.keys</c>, and registers those keys with the log through the admin API. The same
/// documents can be replayed against a fresh log after <c>register --keys &lt;out&gt;.keys</c>.
/// </summary>
internal static class Generate
{
    public static async Task<int> RunAsync(Options options)
    {
        var count = options.Long("count");
        var builders = (int)options.Long("builders", 64);
        var output = options.String("out");
        var keys = new IdentityKey[builders];
        var seeds = new StringBuilder();
        for (var i = 0; i < builders; i++)
        {
            var seed = RandomNumberGenerator.GetBytes(IdentityKey.SeedSize);
            keys[i] = IdentityKey.FromSeed($"loadgen-{i:D3}", seed);
            seeds.Append(keys[i].Name).Append(' ').Append(Convert.ToHexStringLower(seed)).Append('\n');
        }

        await File.WriteAllTextAsync(output + ".keys", seeds.ToString());
        if (await RegisterAsync(options, keys) is var status and not 0)
        {
            return status;
        }

        var documents = new byte[count][];
        var run = Guid.NewGuid().ToString("N")[..8];
        Parallel.For(0, count, i => documents[i] = Document(keys[i % builders], $"{run}-pkg-{i}"));
        await using var file = File.Create(output);
        var length = new byte[4];
        long bytes = 0;
        foreach (var document in documents)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, document.Length);
            await file.WriteAsync(length);
            await file.WriteAsync(document);
            bytes += document.Length;
        }

        Console.WriteLine($"registered {builders} builders; wrote {count} attestations, {bytes / count} bytes each on average, to {output} (keys in {output}.keys)");
        return 0;
    }

    /// <summary><c>register --keys FILE</c>: registers the builder keys of an earlier <c>generate</c> with a (fresh) log.</summary>
    public static async Task<int> RegisterAsync(Options options)
    {
        var lines = await File.ReadAllLinesAsync(options.String("keys"));
        var keys = lines.Where(line => line.Length > 0).Select(line =>
        {
            var parts = line.Split(' ');
            return IdentityKey.FromSeed(parts[0], Convert.FromHexString(parts[1]));
        }).ToArray();
        var status = await RegisterAsync(options, keys);
        if (status == 0)
        {
            Console.WriteLine($"registered {keys.Length} builders");
        }

        return status;
    }

    private static async Task<int> RegisterAsync(Options options, IdentityKey[] keys)
    {
        var url = new Uri(options.String("url", "http://127.0.0.1:8080/"));
        using var http = new HttpClient { BaseAddress = url };
        for (var i = 0; i < keys.Length; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/builders")
            {
                Content = JsonContent.Create(new { publicKey = keys[i].PublicKey.ToString(), @operator = "loadgen" }),
            };
            request.Headers.Authorization = new("Bearer", options.String("admin-token"));
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"registering builder {i} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                return 2;
            }
        }

        return 0;
    }

    private static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    private static NixHash Sha256(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    /// <summary>A realistic two-output build with references and inputs (about 2-3 KiB as a document).</summary>
    private static byte[] Document(IdentityKey key, string package)
    {
        var statement = new NixProvenance
        {
            Derivation = Path(package + ".drv"),
            DerivationSha256 = Sha256(package + " drv"),
            Outputs =
            [
                new NixBuildOutput("out", Path(package), Sha256(package + " out"), 274_432,
                    [Path("glibc-2.40-66"), Path(package), Path("gcc-14.2.1.20250322-lib")]),
                new NixBuildOutput("man", Path(package + "-man"), Sha256(package + " man"), 18_944, []),
            ],
            Environment = new NixBuildEnvironment("2.8.0", "x86_64-linux", "true", ["https://cache.example.org"],
                "Linux 6.12.48+deb13-amd64 x86_64", null, key.Name),
            Dependencies =
            [
                new NixDependency(NixDependencyKind.InputDerivation, Path("bash-5.2p37.drv")),
                new NixDependency(NixDependencyKind.InputDerivation, Path("stdenv-linux.drv")),
                new NixDependency(NixDependencyKind.InputSource, Path("default-builder.sh")),
            ],
            BuilderId = NixProvenance.BuilderIdFor(key.Name),
            InvocationId = Guid.NewGuid().ToString(),
            StartedOn = DateTimeOffset.UtcNow.AddMinutes(-3),
            FinishedOn = DateTimeOffset.UtcNow,
        };
        return AttestationDocument.Serialize(statement.Sign(key));
    }
}
