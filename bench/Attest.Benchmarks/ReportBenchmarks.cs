using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using Attest.Verifier.Reports;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// <c>attest-verify report</c> over an in-process generated stream of attestations: parse every entry (in parallel per
/// 256-entry bundle, as the command does), group by output, then build the figures. Three builders: every output is
/// built by one builder, a third are rebuilt by a second (one in ten of those disagree). The generator makes the
/// documents with a fixed signature (the report does not verify signatures; the log did), so setup stays fast.
/// </summary>
[MemoryDiagnoser]
public class ReportBenchmarks
{
    private byte[][][] _bundles = [];

    /// <summary>Attestations per run.</summary>
    [Params(100_000)]
    public int Attestations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] keyIds = [.. Enumerable.Range(0, 3).Select(i => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))))];
        var signature = new byte[IdentityPublicKey.SignatureSize];
        var entries = new List<byte[]>(Attestations);
        for (var output = 0; entries.Count < Attestations; output++)
        {
            entries.Add(Document(output, "content" + output, keyIds[output % 3], signature));
            if (output % 3 == 0 && entries.Count < Attestations)
            {
                var content = output % 30 == 0 ? "other" + output : "content" + output;
                entries.Add(Document(output, content, keyIds[(output + 1) % 3], signature));
            }
        }

        _bundles = [.. entries.Chunk(256)];
    }

    [Benchmark]
    public ReproducibilityReport ParseGroupAndBuild()
    {
        var builder = new ReportBuilder();
        foreach (var bundle in _bundles)
        {
            builder.AddBatch(bundle);
        }

        return builder.Build(DateTimeOffset.UnixEpoch);
    }

    private static byte[] Document(int output, string content, string keyId, byte[] signature)
    {
        static StorePath PathOf(string name) => StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);
        var finished = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(output % (30 * 24 * 60));
        var statement = new NixProvenance
        {
            Derivation = PathOf("pkg" + output + ".drv"),
            DerivationSha256 = NixHash.ComputeSha256(Encoding.UTF8.GetBytes("drv" + output)),
            Outputs = [new NixBuildOutput("out", PathOf("pkg" + output), NixHash.ComputeSha256(Encoding.UTF8.GetBytes(content)), 4096, [])],
            Environment = new NixBuildEnvironment("2.8.0", "x86_64-linux", "true", [], "Linux 6.12.48 x86_64", null, "bench"),
            BuilderId = NixProvenance.BuilderIdFor("bench"),
            InvocationId = "00000000-0000-0000-0000-" + output.ToString("D12", System.Globalization.CultureInfo.InvariantCulture),
            StartedOn = finished.AddMinutes(-1),
            FinishedOn = finished,
        };
        var envelope = new DsseEnvelope(NixProvenance.PayloadType, statement.ToStatementJson(), [new DsseSignature(keyId, signature)]);
        return AttestationDocument.Serialize(envelope);
    }
}
