using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>Signed notes, checkpoints and cosignatures: the per-checkpoint costs of the log, witnesses and verifiers.</summary>
[MemoryDiagnoser]
public class NoteBenchmarks
{
    private Ed25519NoteSigner _log = null!;
    private NoteSigner[] _sixteen = null!;
    private NoteVerifier[] _sixteenVerifiers = null!;
    private CosignatureSigner _witness = null!;
    private byte[] _text = null!;
    private byte[] _note1 = null!;
    private byte[] _note16 = null!;
    private byte[] _cosigned = null!;
    private SignedNote _parsedCosigned = null!;

    [GlobalSetup]
    public void Setup()
    {
        _log = Ed25519NoteSigner.FromSeed("bench.example/log", new byte[32]);
        _sixteen = [.. Enumerable.Range(0, 16).Select(i => (NoteSigner)Ed25519NoteSigner.FromSeed($"signer{i}.example", Enumerable.Repeat((byte)i, 32).ToArray()))];
        _sixteenVerifiers = [.. _sixteen.Select(s => s.Verifier)];
        _witness = CosignatureSigner.FromSeed("bench.example/witness", Enumerable.Repeat((byte)7, 32).ToArray());
        var checkpoint = new Checkpoint("bench.example/log", 123_456_789, TreeHasher.HashLeaf("root"u8));
        _text = checkpoint.ToUtf8();
        _note1 = SignedNote.Sign(_text, _log).ToBytes();
        _note16 = SignedNote.Sign(_text, _sixteen).ToBytes();
        _parsedCosigned = SignedNote.Sign(_text, _log).AddSignatures(_witness);
        _cosigned = _parsedCosigned.ToBytes();
    }

    [Benchmark(Description = "Sign checkpoint, 1 signature")]
    public SignedNote Sign1() => SignedNote.Sign(_text, _log);

    [Benchmark(Description = "Sign checkpoint, 16 signatures")]
    public SignedNote Sign16() => SignedNote.Sign(_text, _sixteen);

    [Benchmark(Description = "Parse + verify note, 1 signature")]
    public bool Verify1() => SignedNote.Parse(_note1).Verify(_log.Verifier).IsValid;

    [Benchmark(Description = "Parse + verify note, 16 signatures")]
    public bool Verify16() => SignedNote.Parse(_note16).Verify(_sixteenVerifiers).IsValid;

    [Benchmark(Description = "Parse signed checkpoint (no verification)")]
    public ulong CheckpointParse() => SignedCheckpoint.Parse(_cosigned).Checkpoint.TreeSize;

    [Benchmark(Description = "Verify 1 cosignature (parsed note)")]
    public bool CosignatureVerify() => _parsedCosigned.Verify(_witness.Verifier).IsValid;

    [Benchmark(Description = "Cosign checkpoint")]
    public byte[] Cosign() => _witness.Sign(_text, 1_700_000_000);

    /// <summary>Guards against measuring a broken setup.</summary>
    [GlobalCleanup]
    public void Check()
    {
        if (!Verify1() || !Verify16() || !CosignatureVerify() || Encoding.UTF8.GetString(_text).Length == 0)
        {
            throw new InvalidOperationException("benchmark inputs do not verify");
        }
    }
}
