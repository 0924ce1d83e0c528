using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tests.Notes;

namespace Attest.Transparency.Tests.Witness;

/// <summary>A small in-memory log for tests: entries "entry i", a node store, and its Ed25519 key.</summary>
internal sealed class TestLog
{
    private readonly MemoryNodeStore _store = new();

    public TestLog(string origin = "example.com/log", int size = 0)
    {
        Origin = origin;
        Signer = TestKeys.Log(origin);
        Grow(size);
    }

    public string Origin { get; }

    public Ed25519NoteSigner Signer { get; }

    public long Size => _store.Size;

    public static byte[] Entry(long i) => Encoding.ASCII.GetBytes($"entry {i}");

    public void Grow(long size)
    {
        while (_store.Size < size)
        {
            _store.AppendEntry(Entry(_store.Size));
        }
    }

    public MerkleHash RootAt(long size) => size == 0 ? TreeHasher.EmptyRoot : ProofPlan.RootAt(_store, size);

    public SignedCheckpoint CheckpointAt(long size, NoteSigner? signer = null) =>
        new Checkpoint(Origin, (ulong)size, RootAt(size)).Sign(signer ?? Signer);

    public MerkleHash[] Consistency(long from, long to) => from == 0 ? [] : ProofPlan.ConsistencyProof(_store, from, to);

    public MerkleHash[] Inclusion(long index, long size) => ProofPlan.InclusionProof(_store, index, size);
}
