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
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Tests.Verification;

/// <summary>Signed attestation documents, policies and an in-memory log with real proofs, for tests without a server.</summary>
internal static class TestAttestations
{
    public static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    public static NixHash Hash(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    public static NixProvenance Statement(StorePath output, NixHash narHash, string builderName) => new()
    {
        Derivation = Path(output.Name + ".drv"),
        DerivationSha256 = Hash(output.FullPath + " drv"),
        Outputs = [new NixBuildOutput("out", output, narHash, 4096, [])],
        Environment = new NixBuildEnvironment("2.28.0", "x86_64-linux", "true", [], "Linux 6.12 x86_64", null, builderName),
        BuilderId = NixProvenance.BuilderIdFor(builderName),
        InvocationId = Guid.NewGuid().ToString(),
        StartedOn = new DateTimeOffset(2026, 11, 22, 17, 0, 0, TimeSpan.Zero),
        FinishedOn = new DateTimeOffset(2026, 11, 22, 17, 3, 0, TimeSpan.Zero),
    };

    public static byte[] Document(IdentityKey key, StorePath output, NixHash narHash) =>
        AttestationDocument.Serialize(Statement(output, narHash, key.Name).Sign(key));

    public static string PolicyJson(string origin, string logKey, Uri url, IEnumerable<(IdentityKey Key, string Operator)> builders, int minAgreeing, int minOperators, int maxDissenting = 0)
    {
        var builderJson = string.Join(",", builders.Select(b =>
            $$"""{"name":"{{b.Key.Name}}","key":"{{b.Key.PublicKey}}","operator":"{{b.Operator}}"}"""));
        return "{\"version\":1,\"logs\":[{\"origin\":\"" + origin + "\",\"key\":\"" + logKey + "\",\"url\":\"" + url + "\"}],"
            + "\"builders\":[" + builderJson + "],"
            + $"\"quorum\":{{\"minAgreeing\":{minAgreeing},\"minOperators\":{minOperators},\"maxDissenting\":{maxDissenting}}}}}";
    }

    public static TrustPolicy Policy(string origin, NoteVerifier logKey, IEnumerable<(IdentityKey Key, string Operator)> builders, int minAgreeing, int minOperators) =>
        TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(PolicyJson(origin, logKey.Encode(), new Uri("http://127.0.0.1:1/"), builders, minAgreeing, minOperators)));
}

/// <summary>A log held in memory: entries, a signed checkpoint and inclusion proofs computed by the transparency core.</summary>
internal sealed class InMemoryLog
{
    private readonly MemoryNodeStore _nodes = new();
    private readonly List<byte[]> _entries = [];

    public InMemoryLog(string origin = "test.example/log")
    {
        Signer = Ed25519NoteSigner.Generate(origin);
        Origin = origin;
    }

    public string Origin { get; }

    public Ed25519NoteSigner Signer { get; }

    public NoteVerifier Verifier => Signer.Verifier;

    public ulong Append(byte[] entry)
    {
        _entries.Add(entry);
        _nodes.AppendEntry(entry);
        return (ulong)(_entries.Count - 1);
    }

    public SignedCheckpoint Checkpoint() => new Checkpoint(Origin, (ulong)_nodes.Size, _nodes.ComputeRoot()).Sign(Signer);

    public LogEvidence Evidence(ulong index, SignedCheckpoint checkpoint)
    {
        var proof = ProofPlan.ForInclusion((long)index, (long)checkpoint.Checkpoint.TreeSize).Execute(_nodes);
        return new LogEvidence(Origin, index, _entries[(int)index], new TlogProof(index, proof, checkpoint));
    }

    public IReadOnlyList<LogEvidence> All()
    {
        var checkpoint = Checkpoint();
        return [.. Enumerable.Range(0, _entries.Count).Select(i => Evidence((ulong)i, checkpoint))];
    }
}
