using Attest.Transparency.Merkle;

namespace Attest.Transparency.Witness;

/// <summary>What a witness remembers about one log: the latest checkpoint it cosigned.</summary>
/// <param name="TreeSize">The checkpoint's tree size.</param>
/// <param name="RootHash">The checkpoint's root hash.</param>
/// <param name="CheckpointNote">The signed checkpoint note as submitted (kept as evidence and for monitors).</param>
public readonly record struct WitnessLogState(ulong TreeSize, MerkleHash RootHash, ReadOnlyMemory<byte> CheckpointNote)
{
    /// <summary>True when both states name the same tree (size and root); the stored note bytes are not compared.</summary>
    public bool SameTree(WitnessLogState other) => TreeSize == other.TreeSize && RootHash == other.RootHash;
}

/// <summary>
/// Durable per-origin witness state with an atomic check-and-update (c2sp.org/tlog-witness: checking the old size
/// and persisting the new checkpoint must be atomic, and the witness must persist before responding).
/// </summary>
public interface IWitnessStateStore
{
    /// <summary>Reads the latest cosigned state for <paramref name="origin"/>, or null if the witness never cosigned it.</summary>
    ValueTask<WitnessLogState?> GetAsync(string origin, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically replaces the state for <paramref name="origin"/> with <paramref name="next"/> if the stored state is
    /// still <paramref name="expected"/> (same size and root; null meaning none stored), and makes the change durable
    /// before returning true. Returns false, changing nothing, when another update came first.
    /// </summary>
    ValueTask<bool> CompareAndSetAsync(string origin, WitnessLogState? expected, WitnessLogState next, CancellationToken cancellationToken);
}
