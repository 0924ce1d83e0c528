using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// The log's per-submission CPU cost: RFC 8785 canonicalization alone, structural parsing, and full admission
/// (parse + canonicalize + statement validation + Ed25519 verify) of a realistic ~3 KiB two-output attestation.
/// </summary>
[MemoryDiagnoser]
public class ProvenanceAdmissionBenchmarks
{
    private byte[] _document = [];
    private byte[] _pretty = [];
    private byte[] _pae = [];
    private byte[] _signature = [];
    private BuilderRegistry _registry = new();
    private IdentityPublicKey? _key;

    [GlobalSetup]
    public void Setup()
    {
        using var builder = IdentityKey.FromSeed("hydra-01", SHA256.HashData("bench-builder"u8));
        var statement = ProvenanceSamples.Statement("hello-2.12.1");
        var envelope = statement.Sign(builder);
        _document = AttestationDocument.Serialize(envelope);
        _pretty = Encoding.UTF8.GetBytes(System.Text.Json.Nodes.JsonNode.Parse(_document)!.ToJsonString(
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        _registry = new BuilderRegistry();
        _registry.Apply(new RegistryChange(RegistryAction.Add, builder.PublicKey, "bench", null, DateTimeOffset.UnixEpoch, ""));
        _key = builder.PublicKey;
        _pae = envelope.GetPreAuthenticationEncoding();
        _signature = envelope.Signatures[0].Signature.ToArray();
    }

    /// <summary>RFC 8785 canonicalization of an already canonical document.</summary>
    [Benchmark]
    public int CanonicalizeCanonical() => JsonCanonicalizer.Canonicalize(_document).Length;

    /// <summary>RFC 8785 canonicalization of the same document indented with different whitespace.</summary>
    [Benchmark]
    public int CanonicalizeIndented() => JsonCanonicalizer.Canonicalize(_pretty).Length;

    /// <summary>Structural admission only: size, JSON, envelope, statement, subjects, predicate (no signature).</summary>
    [Benchmark]
    public int ParseDocument() => AttestationDocument.Parse(_document).Statement.Outputs.Count;

    /// <summary>Ed25519 verification of the DSSE PAE alone (the floor under full admission).</summary>
    [Benchmark]
    public bool VerifyEd25519() => _key!.Verify(_pae, _signature);

    /// <summary>Full admission: everything the log does before sequencing a submission.</summary>
    [Benchmark]
    public bool Admit() => AttestationAdmission.TryAdmit(_document, _registry, out _, out _);
}

/// <summary>Builds statements the way the agent does, for benchmarks and load generation.</summary>
internal static class ProvenanceSamples
{
    public static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    public static NixHash Hash(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    public static NixProvenance Statement(string package) => new()
    {
        Derivation = Path(package + ".drv"),
        DerivationSha256 = Hash(package + " drv"),
        Outputs =
        [
            new NixBuildOutput("out", Path(package), Hash(package + " out"), 274_432,
                [Path("glibc-2.40-66"), Path(package), Path("gcc-14.2.1.20250322-lib")]),
            new NixBuildOutput("man", Path(package + "-man"), Hash(package + " man"), 18_944, []),
        ],
        Environment = new NixBuildEnvironment(
            "2.8.0", "x86_64-linux", "true", ["https://cache.example.org"], "Linux 6.12.48+deb13-amd64 x86_64", null, "hydra-01"),
        Dependencies =
        [
            new NixDependency(NixDependencyKind.InputDerivation, Path("bash-5.2p37.drv")),
            new NixDependency(NixDependencyKind.InputDerivation, Path("stdenv-linux.drv")),
            new NixDependency(NixDependencyKind.InputDerivation, Path(package + ".tar.gz.drv")),
            new NixDependency(NixDependencyKind.InputSource, Path("default-builder.sh")),
        ],
        BuilderId = NixProvenance.BuilderIdFor("hydra-01"),
        InvocationId = "9b0b5f6e-3a47-4d43-8f77-0c9d1d2f6a10",
        StartedOn = new DateTimeOffset(2026, 11, 22, 17, 0, 0, TimeSpan.Zero),
        FinishedOn = new DateTimeOffset(2026, 11, 22, 17, 3, 27, TimeSpan.Zero),
    };
}
