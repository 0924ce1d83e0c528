using System.Security.Cryptography;
using System.Text;
using Attest.Provenance.Attestations;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.Enrollment;
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
/// <c>attest-verify path</c> with TPM evidence: as <see cref="VerifierPathBenchmarks"/>, but one of the two builders
/// requires TPM and each of its attestations carries an ECDSA P-256 quote over the statement, checked against the AK
/// that an admin-signed ak-binding entry of the log bound to it (registry entries proved and verified once per
/// verifier), plus golden values and the replay/rollback check across the batch.
/// </summary>
[MemoryDiagnoser]
public class VerifierPathTpmBenchmarks
{
    private const int Paths = 1000;
    private const string Origin = "bench.example/log";
    private static readonly DateTimeOffset Time = new(2026, 11, 22, 17, 0, 0, TimeSpan.Zero);
    private PathVerifier _verifier = null!;
    private PathQuery[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        using var bob = IdentityKey.Generate("bob-builder");
        using var admin = IdentityKey.Generate("log-admin");
        using var ak = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = Ed25519NoteSigner.Generate(Origin);
        var nodes = new MemoryNodeStore();
        var entries = new List<byte[]>();
        void Append(byte[] entry)
        {
            entries.Add(entry);
            nodes.AppendEntry(entry);
        }

        byte[] akPublic = EccPublic(ak.ExportParameters(false));
        byte[] akPublicSized = [(byte)(akPublic.Length >> 8), (byte)akPublic.Length, .. akPublic];
        byte[] akName = [0x00, 0x0B, .. SHA256.HashData(akPublic)];
        byte[] ekName = [0x00, 0x0B, .. SHA256.HashData("bench ek"u8)];
        byte[] qualifiedSigner;
        using (var key = new AkBinding(akName, akPublicSized, ekName, "00", alice.KeyId, Time).CreateAttestationKey())
        {
            qualifiedSigner = key.QualifiedNames[0].ToArray();
        }

        Append(new RegistryChange(RegistryAction.Add, alice.PublicKey, "bench", null, Time, "").ToLogEntry(admin));
        Append(new RegistryChange(RegistryAction.Add, bob.PublicKey, "bench", null, Time, "").ToLogEntry(admin));
        Append(new RegistryChange(RegistryAction.AkBinding, alice.PublicKey, "registrar", null, Time, "")
        {
            AkBinding = new TpmAkBinding(akName, akPublicSized, ekName, Convert.ToHexStringLower(SHA256.HashData(ekName))),
        }.ToLogEntry(admin));

        byte[][] pcrs = [.. Enumerable.Range(0, 8).Select(i => SHA256.HashData([(byte)i]))];
        byte[] pcrDigest = SHA256.HashData(pcrs.SelectMany(p => p).ToArray());
        _queries = new PathQuery[Paths];
        ulong clock = 1000;
        for (int i = 0; i < Paths; i++)
        {
            var (path, hash) = VerifierPathBenchmarks.Package(i);
            _queries[i] = new PathQuery(path, hash);
            var tpmEnvelope = VerifierPathBenchmarks.Statement(path, hash, alice.Name).Sign(alice);
            byte[] attest = Attest(qualifiedSigner, AttestationDocument.ComputeTpmQualifyingData(tpmEnvelope), clock += 10, pcrDigest);
            Append(AttestationDocument.Serialize(tpmEnvelope, Evidence(attest, SignEcdsa(ak, attest), pcrs, akName)));
            Append(AttestationDocument.Serialize(VerifierPathBenchmarks.Statement(path, hash, bob.Name).Sign(bob)));
        }

        SignedCheckpoint checkpoint = new Checkpoint(Origin, (ulong)nodes.Size, nodes.ComputeRoot()).Sign(signer);
        var evidence = entries.Select((e, i) => new LogEvidence(
            Origin, (ulong)i, e, new TlogProof((ulong)i, ProofPlan.ForInclusion(i, nodes.Size).Execute(nodes), checkpoint))).ToList();
        string golden = "{\"version\":1,\"configurations\":[{\"name\":\"bench-machine\",\"pcrs\":{\"sha256\":{\"0\":\""
            + Convert.ToHexStringLower(pcrs[0]) + "\",\"7\":\"" + Convert.ToHexStringLower(pcrs[7]) + "\"}}}]}";
        string policy = "{\"version\":1,\"logs\":[{\"origin\":\"" + Origin + "\",\"key\":\"" + signer.Verifier.Encode() + "\",\"url\":\"http://127.0.0.1/\","
            + "\"adminKey\":\"" + admin.PublicKey + "\"}],"
            + "\"builders\":[{\"name\":\"alice-builder\",\"key\":\"" + alice.PublicKey + "\",\"operator\":\"alice\",\"requireTpm\":true,\"goldenValues\":\"bench-machine\"},"
            + "{\"name\":\"bob-builder\",\"key\":\"" + bob.PublicKey + "\",\"operator\":\"bob\"}],"
            + "\"quorum\":{\"minAgreeing\":2,\"minOperators\":2,\"minTpmAttested\":1},\"goldenValues\":" + golden + "}";
        var bundle = OfflineBundle.Create(
            evidence.Where(e => LogEntries.Classify(e.Entry.Span) == LogEntryKind.Attestation),
            evidence.Where(e => LogEntries.Classify(e.Entry.Span) == LogEntryKind.RegistryChange));
        _verifier = new PathVerifier(TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(policy)), [bundle]);
        var first = _verifier.VerifyAsync(_queries[0], CancellationToken.None).GetAwaiter().GetResult();
        if (!first.Verdict.Trusted || !first.Verdict.Agreeing.Any(v => v.TpmVerified))
        {
            throw new InvalidOperationException("The benchmark setup does not produce a TPM-verified, trusted verdict: "
                + string.Join("; ", first.Verdict.Reasons.Concat(first.Verdict.Rejected.SelectMany(r => r.Reasons))));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _verifier.Dispose();

    [Benchmark]
    public async Task<bool> VerifyOnePathWithTpm() =>
        (await _verifier.VerifyAsync(_queries[17], CancellationToken.None)).Verdict.Trusted;

    [Benchmark(OperationsPerInvoke = Paths)]
    public async Task<int> VerifyBatchOf1000WithTpm() =>
        (await _verifier.VerifyManyAsync(_queries, Environment.ProcessorCount, CancellationToken.None)).Count(o => o.Verification!.Verdict.Trusted);

    /// <summary>The same batch on one core, to see how the TPM checks scale with parallelism.</summary>
    [Benchmark(OperationsPerInvoke = Paths)]
    public async Task<int> VerifyBatchOf1000WithTpmOneCore() =>
        (await _verifier.VerifyManyAsync(_queries, 1, CancellationToken.None)).Count(o => o.Verification!.Verdict.Trusted);

    // TPM 2.0 Part 2 §12.2.4 TPMT_PUBLIC: ECC, SHA-256 name, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign,
    // no symmetric, ECDSA-SHA256, NIST P-256, no KDF, then the point.
    private static byte[] EccPublic(ECParameters p) =>
        new TpmWriter().UInt16(0x0023).UInt16(0x000B).UInt32(0x00050072).Sized([])
            .UInt16(0x0010).UInt16(0x0018).UInt16(0x000B).UInt16(0x0003).UInt16(0x0010)
            .Sized(p.Q.X).Sized(p.Q.Y).ToArray();

    // TPM 2.0 Part 2 §10.12.12 TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE, selecting sha256 PCRs 0-7.
    private static byte[] Attest(byte[] qualifiedSigner, byte[] extraData, ulong clock, byte[] pcrDigest) =>
        new TpmWriter().UInt32(0xFF544347).UInt16(0x8018).Sized(qualifiedSigner).Sized(extraData)
            .UInt64(clock).UInt32(2).UInt32(0).Byte(1).UInt64(0x2019102300163636)
            .UInt32(1).UInt16(0x000B).Byte(3).Bytes([0xFF, 0x00, 0x00]).Sized(pcrDigest).ToArray();

    // TPM 2.0 Part 2 §11.3.4 TPMT_SIGNATURE: ECDSA, SHA-256, r, s.
    private static byte[] SignEcdsa(ECDsa key, byte[] attest)
    {
        byte[] rs = key.SignHash(SHA256.HashData(attest), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new TpmWriter().UInt16(0x0018).UInt16(0x000B).Sized(rs.AsSpan(0, 32)).Sized(rs.AsSpan(32)).ToArray();
    }

    private static byte[] Evidence(byte[] attest, byte[] signature, byte[][] pcrs, byte[] akName)
    {
        string values = string.Join(",", pcrs.Select((p, i) => $"\"{i}\":\"{Convert.ToHexStringLower(p)}\""));
        return Encoding.UTF8.GetBytes("{\"version\":1,\"attest\":\"" + Convert.ToBase64String(attest) + "\",\"signature\":\"" + Convert.ToBase64String(signature)
            + "\",\"pcrs\":{\"sha256\":{" + values + "}},\"akName\":\"" + Convert.ToHexStringLower(akName) + "\"}");
    }
}
