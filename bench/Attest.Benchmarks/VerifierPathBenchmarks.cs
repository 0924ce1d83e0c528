using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Verifier.Bundles;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Verification;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// <c>attest-verify path</c> cost per path without network: two attestations per path (two builders, two operators),
/// each re-verified from its tlog-proof (checkpoint signature, inclusion proof), parsed, DSSE-verified, then the quorum.
/// The evidence comes from an in-process source (an offline bundle over an in-memory log).
/// </summary>
[MemoryDiagnoser]
public class VerifierPathBenchmarks
{
    private const int Paths = 1000;
    private PathVerifier _verifier = null!;
    private PathQuery[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        using var bob = IdentityKey.Generate("bob-builder");
        var signer = Ed25519NoteSigner.Generate("bench.example/log");
        var nodes = new MemoryNodeStore();
        var entries = new List<byte[]>();
        _queries = new PathQuery[Paths];
        for (int i = 0; i < Paths; i++)
        {
            var (path, hash) = Package(i);
            _queries[i] = new PathQuery(path, hash);
            foreach (IdentityKey key in new[] { alice, bob })
            {
                byte[] document = AttestationDocument.Serialize(Statement(path, hash, key.Name).Sign(key));
                entries.Add(document);
                nodes.AppendEntry(document);
            }
        }

        SignedCheckpoint checkpoint = new Checkpoint("bench.example/log", (ulong)nodes.Size, nodes.ComputeRoot()).Sign(signer);
        var evidence = entries.Select((e, i) => new LogEvidence(
            "bench.example/log", (ulong)i, e, new TlogProof((ulong)i, ProofPlan.ForInclusion(i, nodes.Size).Execute(nodes), checkpoint)));
        string policy = "{\"version\":1,\"logs\":[{\"origin\":\"bench.example/log\",\"key\":\"" + signer.Verifier.Encode() + "\",\"url\":\"http://127.0.0.1/\"}],"
            + "\"builders\":[{\"name\":\"alice-builder\",\"key\":\"" + alice.PublicKey + "\",\"operator\":\"alice\"},"
            + "{\"name\":\"bob-builder\",\"key\":\"" + bob.PublicKey + "\",\"operator\":\"bob\"}],"
            + "\"quorum\":{\"minAgreeing\":2,\"minOperators\":2}}";
        _verifier = new PathVerifier(TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(policy)), [OfflineBundle.Create(evidence)]);
        if (!_verifier.VerifyAsync(_queries[0], CancellationToken.None).GetAwaiter().GetResult().Verdict.Trusted)
        {
            throw new InvalidOperationException("The benchmark setup does not produce a trusted verdict.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _verifier.Dispose();

    [Benchmark]
    public async Task<bool> VerifyOnePath() =>
        (await _verifier.VerifyAsync(_queries[17], CancellationToken.None)).Verdict.Trusted;

    [Benchmark(OperationsPerInvoke = Paths)]
    public async Task<int> VerifyBatchOf1000() =>
        (await _verifier.VerifyManyAsync(_queries, Environment.ProcessorCount, CancellationToken.None)).Count(o => o.Verification!.Verdict.Trusted);

    /// <summary>The store path and NAR hash of the <paramref name="i"/>-th benchmark package.</summary>
    internal static (StorePath Path, NixHash Hash) Package(int i)
    {
        string name = $"package-{i}-1.0";
        return (StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name), NixHash.ComputeSha256(Encoding.UTF8.GetBytes(name)));
    }

    /// <summary>A fixed statement of one output built by <paramref name="builder"/>.</summary>
    internal static NixProvenance Statement(StorePath output, NixHash narHash, string builder) => new()
    {
        Derivation = StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(output.Name + ".drv")).AsSpan(0, StorePath.HashSize), output.Name + ".drv"),
        DerivationSha256 = NixHash.ComputeSha256(Encoding.UTF8.GetBytes(output.FullPath)),
        Outputs = [new NixBuildOutput("out", output, narHash, 4096, [])],
        Environment = new NixBuildEnvironment("2.28.0", "x86_64-linux", "true", [], "Linux 6.12 x86_64", null, builder),
        BuilderId = NixProvenance.BuilderIdFor(builder),
        InvocationId = "bench",
        StartedOn = new DateTimeOffset(2026, 11, 22, 17, 0, 0, TimeSpan.Zero),
        FinishedOn = new DateTimeOffset(2026, 11, 22, 17, 3, 0, TimeSpan.Zero),
    };
}
