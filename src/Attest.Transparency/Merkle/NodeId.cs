namespace Attest.Transparency.Merkle;

/// <summary>
/// Names a perfect (complete) subtree of an RFC 9162 tree: the node at <paramref name="Level"/> (0 = leaves) covering
/// leaves <c>Index·2^Level</c> to <c>(Index+1)·2^Level − 1</c>. Such a node's hash never changes once the tree has
/// grown past its last leaf, which is what node stores and tiles keep.
/// </summary>
/// <param name="Level">The height of the subtree, 0 for a leaf.</param>
/// <param name="Index">The position of the subtree among the subtrees of that level, from the left.</param>
public readonly record struct NodeId(int Level, long Index)
{
    /// <summary>The first leaf covered by this subtree.</summary>
    public long FirstLeaf => Index << Level;

    /// <summary>The number of leaves covered, <c>2^Level</c>.</summary>
    public long LeafCount => 1L << Level;

    /// <summary>The smallest tree size in which this subtree is complete.</summary>
    public long CompleteAtSize => (Index + 1) << Level;

    /// <inheritdoc/>
    public override string ToString() => $"({Level}, {Index})";
}
