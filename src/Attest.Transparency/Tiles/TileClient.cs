using System.Collections.Concurrent;
using Attest.Transparency.Internal;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tiles;

/// <summary>Thrown when tiles or entry bundles from a log do not match the checkpoint they are read against.</summary>
public sealed class TileVerificationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TileVerificationException()
    {
    }

    /// <summary>Creates the exception with a message naming what did not match.</summary>
    /// <param name="message">The message.</param>
    public TileVerificationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TileVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A c2sp.org/tlog-tiles client for one checkpoint (tree size and root): fetches tiles through an
/// <see cref="ITileReader"/>, verifies every tile against the root before using it, and then produces inclusion and
/// consistency proofs, past roots and verified entries.
/// </summary>
/// <remarks>
/// Verification: the right-edge partial tiles (at most one per level) together determine the root, so they are
/// checked by recomputing it; every full tile is checked by hashing its 256 hashes into the entry one level up,
/// whose tile is checked the same way, ending at a right-edge tile. Each tile must be exactly 32 bytes per hash of
/// the width the tree size implies. Verified tiles are cached for the life of the client; the client is thread-safe.
/// </remarks>
public sealed class TileClient
{
    private readonly ITileReader _reader;
    private readonly ConcurrentDictionary<TilePath, MerkleHash[]> _verified = new();
    private volatile bool _rightEdgeVerified;

    /// <summary>Creates a client for the tree of <paramref name="treeSize"/> leaves with <paramref name="root"/>.</summary>
    /// <param name="reader">Fetches tiles (untrusted).</param>
    /// <param name="treeSize">The checkpoint's tree size.</param>
    /// <param name="root">The checkpoint's root hash.</param>
    public TileClient(ITileReader reader, long treeSize, MerkleHash root)
    {
        ArgumentNullException.ThrowIfNull(reader);
        TileLayout.CheckSize(treeSize);
        _reader = reader;
        TreeSize = treeSize;
        Root = root;
    }

    /// <summary>The checkpoint's tree size.</summary>
    public long TreeSize { get; }

    /// <summary>The checkpoint's root hash.</summary>
    public MerkleHash Root { get; }

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the checkpoint's tree.</summary>
    /// <param name="index">The leaf index.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    /// <exception cref="TileVerificationException">A tile does not match the checkpoint.</exception>
    public ValueTask<MerkleHash[]> InclusionProofAsync(long index, CancellationToken cancellationToken) =>
        InclusionProofAsync(index, TreeSize, cancellationToken);

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/> leaves (at most the checkpoint's).</summary>
    /// <param name="index">The leaf index.</param>
    /// <param name="treeSize">The tree size the proof is for.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public ValueTask<MerkleHash[]> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken)
    {
        TileProofs.CheckWithin(treeSize, TreeSize);
        return ExecuteAsync(ProofPlan.ForInclusion(index, treeSize), cancellationToken);
    }

    /// <summary>The consistency proof from <paramref name="oldSize"/> to the checkpoint's tree.</summary>
    /// <param name="oldSize">The older tree size.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public ValueTask<MerkleHash[]> ConsistencyProofAsync(long oldSize, CancellationToken cancellationToken) =>
        ConsistencyProofAsync(oldSize, TreeSize, cancellationToken);

    /// <summary>The consistency proof between two sizes at most the checkpoint's.</summary>
    /// <param name="size1">The older size.</param>
    /// <param name="size2">The newer size.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public ValueTask<MerkleHash[]> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken)
    {
        TileProofs.CheckWithin(size2, TreeSize);
        return ExecuteAsync(ProofPlan.ForConsistency(size1, size2), cancellationToken);
    }

    /// <summary>The root of the tree of <paramref name="treeSize"/> leaves, a prefix of the checkpoint's tree.</summary>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public async ValueTask<MerkleHash> RootAtAsync(long treeSize, CancellationToken cancellationToken)
    {
        TileProofs.CheckWithin(treeSize, TreeSize);
        var result = await ExecuteAsync(ProofPlan.ForRoot(treeSize), cancellationToken).ConfigureAwait(false);
        return result[0];
    }

    /// <summary>The verified hash of leaf <paramref name="index"/>.</summary>
    /// <param name="index">The leaf index.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public async ValueTask<MerkleHash> LeafHashAsync(long index, CancellationToken cancellationToken)
    {
        CheckIndex(index);
        var tile = TileLayout.HashTile(0, index >> TilePath.Height, TreeSize);
        var (tiles, _) = await VerifiedTilesAsync([tile], bundle: null, cancellationToken).ConfigureAwait(false);
        return tiles[tile][(int)(index & (TilePath.FullWidth - 1))];
    }

    /// <summary>
    /// Reads entry bundle <paramref name="bundleIndex"/> and verifies every entry's leaf hash against the verified
    /// level-0 tile of the same index.
    /// </summary>
    /// <param name="bundleIndex">The bundle index (entries 256·index onwards).</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    /// <exception cref="TileVerificationException">The bundle is malformed or an entry does not match its leaf hash.</exception>
    public async ValueTask<byte[][]> ReadBundleAsync(long bundleIndex, CancellationToken cancellationToken)
    {
        var bundlePath = TileLayout.EntryBundle(bundleIndex, TreeSize);
        var tile = TileLayout.HashTile(0, bundleIndex, TreeSize);
        var (tiles, bundleBytes) = await VerifiedTilesAsync([tile], bundlePath, cancellationToken).ConfigureAwait(false);
        if (!EntryBundle.TryParse(bundleBytes.Span, bundlePath.Width, out var entries, out var error))
        {
            throw new TileVerificationException($"Entry bundle {bundlePath} is malformed: {error}.");
        }

        var hashes = tiles[tile];
        for (var i = 0; i < entries.Length; i++)
        {
            if (TreeHasher.HashLeaf(entries[i]) != hashes[i])
            {
                throw new TileVerificationException($"Entry {(bundleIndex << TilePath.Height) + i} in {bundlePath} does not match its leaf hash in {tile}.");
            }
        }

        return entries;
    }

    /// <summary>Reads and verifies entry <paramref name="index"/> (fetching its whole bundle).</summary>
    /// <param name="index">The entry index.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    public async ValueTask<byte[]> ReadEntryAsync(long index, CancellationToken cancellationToken)
    {
        CheckIndex(index);
        var entries = await ReadBundleAsync(index >> TilePath.Height, cancellationToken).ConfigureAwait(false);
        return entries[(int)(index & (TilePath.FullWidth - 1))];
    }

    private void CheckIndex(long index)
    {
        if (index < 0 || index >= TreeSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), $"Leaf index {index} is not in a tree of size {TreeSize}.");
        }
    }

    private async ValueTask<MerkleHash[]> ExecuteAsync(ProofPlan plan, CancellationToken cancellationToken)
    {
        var needed = TileSet.TilesFor(plan.Nodes, TreeSize);
        var (tiles, _) = await VerifiedTilesAsync(needed, bundle: null, cancellationToken).ConfigureAwait(false);
        return plan.Assemble(TileSet.ResolveNodes(plan, TreeSize, tiles));
    }

    private async ValueTask<(IReadOnlyDictionary<TilePath, MerkleHash[]> Tiles, ReadOnlyMemory<byte> Bundle)> VerifiedTilesAsync(
        IReadOnlyList<TilePath> needed, TilePath? bundle, CancellationToken cancellationToken)
    {
        if (TreeSize == 0)
        {
            if (Root != TreeHasher.EmptyRoot)
            {
                throw new TileVerificationException("The checkpoint has size 0 but its root is not the empty-tree root.");
            }

            return (new Dictionary<TilePath, MerkleHash[]>(), default);
        }

        // Close the set: the right edge (for the root) and, for each full tile, its ancestors up to a verified tile.
        var rightEdge = TileLayout.RightEdgeTiles(TreeSize);
        var closure = new HashSet<TilePath>();
        if (!_rightEdgeVerified)
        {
            closure.UnionWith(rightEdge);
        }

        foreach (var tile in needed)
        {
            for (var t = tile; !_verified.ContainsKey(t) && closure.Add(t) && !t.IsPartial;)
            {
                t = TileLayout.HashTile(t.Level + 1, t.Index >> TilePath.Height, TreeSize);
            }
        }

        var fetch = closure.Where(t => !_verified.ContainsKey(t)).ToList();
        if (bundle is { } bundlePath)
        {
            fetch.Add(bundlePath);
        }

        ReadOnlyMemory<byte> bundleBytes = default;
        if (fetch.Count > 0)
        {
            var bytes = await _reader.ReadTilesAsync(fetch, cancellationToken).ConfigureAwait(false);
            if (bytes.Count != fetch.Count)
            {
                throw new TileVerificationException($"The tile reader returned {bytes.Count} tiles for {fetch.Count} requested.");
            }

            var fetched = new Dictionary<TilePath, MerkleHash[]>(fetch.Count);
            for (var i = 0; i < fetch.Count; i++)
            {
                if (fetch[i].IsEntries)
                {
                    bundleBytes = bytes[i];
                }
                else if (!HashTile.TryDecode(fetch[i], bytes[i].Span, out var hashes))
                {
                    throw new TileVerificationException($"Tile {fetch[i]} must be {fetch[i].HashTileLength} bytes, got {bytes[i].Length}.");
                }
                else
                {
                    fetched[fetch[i]] = hashes;
                }
            }

            Verify(fetched, rightEdge);
        }

        var result = new Dictionary<TilePath, MerkleHash[]>(needed.Count);
        foreach (var tile in needed)
        {
            result[tile] = _verified[tile];
        }

        return (result, bundleBytes);
    }

    private void Verify(Dictionary<TilePath, MerkleHash[]> fetched, TilePath[] rightEdge)
    {
        if (!_rightEdgeVerified)
        {
            var peaks = new List<MerkleHash>(TreeMath.MaxLevels);
            foreach (var tile in rightEdge)
            {
                TileWriter.AppendPeaks(fetched.TryGetValue(tile, out var hashes) ? hashes : _verified[tile], peaks);
            }

            if (TreeMath.FoldRight(peaks.ToArray()) != Root)
            {
                throw new TileVerificationException(
                    $"The right-edge tiles ({string.Join(", ", rightEdge)}) do not hash to the checkpoint root {Root.ToBase64()} of size {TreeSize}.");
            }

            foreach (var tile in rightEdge)
            {
                _verified.TryAdd(tile, fetched.TryGetValue(tile, out var hashes) ? hashes : _verified[tile]);
            }

            _rightEdgeVerified = true;
        }

        // Parents before children: a full tile is checked against the entry in its verified parent.
        foreach (var (tile, hashes) in fetched.Where(p => !p.Key.IsPartial).OrderByDescending(p => p.Key.Level))
        {
            var parent = TileLayout.HashTile(tile.Level + 1, tile.Index >> TilePath.Height, TreeSize);
            if (!_verified.TryGetValue(parent, out var parentHashes))
            {
                throw new TileVerificationException($"Tile {tile} cannot be verified: its parent {parent} was not verified.");
            }

            if (TreeHasher.ComputeRoot(hashes) != parentHashes[(int)(tile.Index & (TilePath.FullWidth - 1))])
            {
                throw new TileVerificationException($"Tile {tile} does not hash to its entry in {parent}.");
            }

            _verified.TryAdd(tile, hashes);
        }
    }
}
