namespace Attest.Transparency.Merkle;

/// <summary>
/// Synchronous access to the hashes of complete subtrees of a tree (see <see cref="NodeId"/>), for example an
/// in-memory <see cref="MemoryNodeStore"/>. Asynchronous stores (tiles, databases) use <see cref="ProofPlan"/> directly.
/// </summary>
public interface IMerkleNodeReader
{
    /// <summary>Reads the hashes of the given complete subtrees in one batch.</summary>
    /// <param name="nodes">The subtrees to read; every one must be complete in the stored tree.</param>
    /// <param name="hashes">Receives one hash per node, in the same order; exactly as long as <paramref name="nodes"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A node is not complete in the stored tree.</exception>
    void ReadNodes(ReadOnlySpan<NodeId> nodes, Span<MerkleHash> hashes);
}
