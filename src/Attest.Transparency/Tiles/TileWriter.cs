using Attest.Transparency.Internal;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tiles;

/// <summary>One tile produced by a <see cref="TileWriter"/>: its path (with width) and bytes.</summary>
/// <param name="Path">The tile path.</param>
/// <param name="Bytes">The tile bytes.</param>
public readonly record struct TileData(TilePath Path, ReadOnlyMemory<byte> Bytes);

/// <summary>The result of appending a batch to a <see cref="TileWriter"/>.</summary>
/// <param name="PreviousSize">The tree size before the batch.</param>
/// <param name="Size">The tree size after the batch.</param>
/// <param name="Root">The root of the new tree.</param>
/// <param name="Tiles">Every tile and entry bundle whose bytes are new: completed full tiles and the new partial tiles, lowest level first.</param>
public sealed record TileUpdate(long PreviousSize, long Size, MerkleHash Root, IReadOnlyList<TileData> Tiles);

/// <summary>
/// Writes a c2sp.org/tlog-tiles log incrementally. It keeps only the right edge (the partial tile of each level, the
/// partial entry bundle and the compact tree state), so appending a batch never rereads old leaves: each leaf costs
/// amortised one node hash, and a batch yields the new root and every full or partial tile whose bytes changed.
/// </summary>
/// <remarks>Not thread-safe: the log's single sequencer owns it. A failed append (invalid input) changes nothing.</remarks>
public sealed class TileWriter
{
    private readonly CompactTree _tree;
    private readonly MerkleHash[][] _partial = new MerkleHash[TilePath.MaxLevel + 1][];
    private readonly int[] _partialCount = new int[TilePath.MaxLevel + 1];
    private readonly MerkleHash[] _completed = new MerkleHash[TreeMath.MaxLevels];
    private readonly List<ReadOnlyMemory<byte>> _bundle = new(TilePath.FullWidth);
    private bool _bundleKnown;

    private TileWriter(CompactTree tree, bool bundleKnown)
    {
        _tree = tree;
        _bundleKnown = bundleKnown;
        for (var level = 0; level <= TilePath.MaxLevel; level++)
        {
            _partial[level] = new MerkleHash[TilePath.FullWidth];
        }
    }

    /// <summary>Creates a writer for an empty log.</summary>
    public TileWriter()
        : this(new CompactTree(), bundleKnown: true)
    {
    }

    /// <summary>The current tree size.</summary>
    public long Size => _tree.Size;

    /// <summary>A snapshot of the current tree state.</summary>
    public CompactTree TreeState => _tree.Clone();

    /// <summary>Whether <see cref="AppendEntries"/> may be used (the partial entry bundle is known).</summary>
    public bool CanAppendEntries => _bundleKnown;

    /// <summary>The root of the current tree.</summary>
    public MerkleHash ComputeRoot() => _tree.ComputeRoot();

    /// <summary>
    /// Resumes a log of <paramref name="size"/> leaves from its right-edge partial tiles (exactly those of
    /// <see cref="TileLayout.RightEdgeTiles"/>, in that order) and, to append entries, its partial entry bundle.
    /// </summary>
    /// <param name="size">The tree size.</param>
    /// <param name="rightEdgeTiles">The bytes of each right-edge partial tile.</param>
    /// <param name="partialBundle">The partial entry bundle's bytes when <c>size</c> is not a multiple of 256 and
    /// entries will be appended; <see langword="null"/> to append leaf hashes only.</param>
    /// <exception cref="InvalidDataException">A tile or the bundle is malformed.</exception>
    public static TileWriter Resume(long size, IReadOnlyList<ReadOnlyMemory<byte>> rightEdgeTiles, ReadOnlyMemory<byte>? partialBundle = null)
    {
        ArgumentNullException.ThrowIfNull(rightEdgeTiles);
        var paths = TileLayout.RightEdgeTiles(size);
        if (rightEdgeTiles.Count != paths.Length)
        {
            ThrowHelper.ThrowArgument(nameof(rightEdgeTiles), $"A tree of size {size} has {paths.Length} right-edge tiles, got {rightEdgeTiles.Count}.");
        }

        var peaks = new List<MerkleHash>(TreeMath.MaxLevels);
        var decoded = new MerkleHash[paths.Length][];
        for (var i = 0; i < paths.Length; i++)
        {
            decoded[i] = HashTile.Decode(paths[i], rightEdgeTiles[i].Span);
            AppendPeaks(decoded[i], peaks);
        }

        var bundleWidth = (int)(size & (TilePath.FullWidth - 1));
        var writer = new TileWriter(CompactTree.FromPeaks(size, peaks.ToArray()), bundleWidth == 0 || partialBundle is not null);
        for (var i = 0; i < paths.Length; i++)
        {
            decoded[i].CopyTo(writer._partial[paths[i].Level], 0);
            writer._partialCount[paths[i].Level] = decoded[i].Length;
        }

        if (bundleWidth != 0 && partialBundle is { } bundle)
        {
            foreach (var entry in EntryBundle.Parse(bundle.Span, bundleWidth))
            {
                writer._bundle.Add(entry);
            }
        }

        return writer;
    }

    /// <summary>Resumes a log by reading its right-edge tiles (and partial bundle, if <paramref name="withEntries"/>) from a tile store.</summary>
    /// <param name="reader">The log's tile store.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="withEntries">Whether to read the partial entry bundle so entries can be appended.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async ValueTask<TileWriter> LoadAsync(ITileReader reader, long size, bool withEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var paths = new List<TilePath>(TileLayout.RightEdgeTiles(size));
        var hashTiles = paths.Count;
        var bundleWidth = (int)(size & (TilePath.FullWidth - 1));
        if (withEntries && bundleWidth != 0)
        {
            paths.Add(TilePath.Entries(size >> TilePath.Height, bundleWidth));
        }

        var bytes = await reader.ReadTilesAsync(paths, cancellationToken).ConfigureAwait(false);
        if (bytes.Count != paths.Count)
        {
            ThrowHelper.ThrowInvalidData($"The tile reader returned {bytes.Count} tiles for {paths.Count} requested.");
        }

        // The cast matters: without it the null converts through byte[] to an empty ReadOnlyMemory<byte>, which
        // Resume would then read as an empty partial bundle instead of "bundle unknown".
        var bundle = paths.Count > hashTiles ? bytes[hashTiles] : (ReadOnlyMemory<byte>?)null;
        return Resume(size, bytes.Take(hashTiles).ToArray(), bundle);
    }

    /// <summary>
    /// Appends leaves by their hashes and returns the new root and changed hash tiles (no entry bundles). For logs
    /// that store entries elsewhere; afterwards <see cref="CanAppendEntries"/> is false, since the entry bundles no
    /// longer follow the tree.
    /// </summary>
    /// <param name="leafHashes">The new leaf hashes, in order.</param>
    /// <exception cref="InvalidOperationException">The tree would exceed <see cref="TilePath.MaxTreeSize"/>.</exception>
    public TileUpdate AppendLeafHashes(ReadOnlySpan<MerkleHash> leafHashes)
    {
        CheckCapacity(leafHashes.Length);
        // Appending bare hashes would leave the entry bundles behind the tree; once hashes are appended, the bundle is unknown.
        if (leafHashes.Length > 0)
        {
            _bundleKnown = false;
            _bundle.Clear();
        }

        var previous = Size;
        var tiles = new List<TileData>();
        var dirty = 0;
        foreach (ref readonly var leaf in leafHashes)
        {
            dirty |= AppendHash(leaf, tiles);
        }

        AddPartialTiles(dirty, tiles);
        return new TileUpdate(previous, Size, ComputeRoot(), tiles);
    }

    /// <summary>
    /// Appends entries: hashes each as a leaf (RFC 9162), and returns the new root, the changed hash tiles and the
    /// changed entry bundles.
    /// </summary>
    /// <param name="entries">The new entries, each at most 65,535 bytes.</param>
    /// <exception cref="ArgumentException">An entry is too long.</exception>
    /// <exception cref="InvalidOperationException">The partial entry bundle is unknown, or the tree would be too large.</exception>
    public TileUpdate AppendEntries(IReadOnlyList<ReadOnlyMemory<byte>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!_bundleKnown)
        {
            ThrowHelper.ThrowInvalidOperation("The partial entry bundle is unknown; resume the writer with it to append entries.");
        }

        CheckCapacity(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Length > EntryBundle.MaxEntryLength)
            {
                ThrowHelper.ThrowArgument(nameof(entries), $"Entry {i} is {entries[i].Length} bytes; a tiled log entry is at most {EntryBundle.MaxEntryLength}.");
            }
        }

        var previous = Size;
        var tiles = new List<TileData>();
        var dirty = 0;
        foreach (var entry in entries)
        {
            _bundle.Add(entry);
            if (_bundle.Count == TilePath.FullWidth)
            {
                tiles.Add(new TileData(TilePath.Entries(Size >> TilePath.Height), EntryBundle.Encode(_bundle)));
                _bundle.Clear();
            }

            dirty |= AppendHash(TreeHasher.HashLeaf(entry.Span), tiles);
        }

        if (entries.Count > 0 && _bundle.Count > 0)
        {
            tiles.Add(new TileData(TilePath.Entries(Size >> TilePath.Height, _bundle.Count), EntryBundle.Encode(_bundle)));
        }

        AddPartialTiles(dirty, tiles);
        return new TileUpdate(previous, Size, ComputeRoot(), tiles);
    }

    // Appends one leaf; returns a bit mask of the levels whose partial tile changed.
    private int AppendHash(in MerkleHash leaf, List<TileData> tiles)
    {
        var oldSize = Size;
        var completed = _tree.Append(leaf, _completed);
        var dirty = 0;
        for (var nodeLevel = 0; nodeLevel < completed; nodeLevel += TilePath.Height)
        {
            var level = nodeLevel / TilePath.Height;
            var buffer = _partial[level];
            buffer[_partialCount[level]++] = _completed[nodeLevel];
            dirty |= 1 << level;
            if (_partialCount[level] == TilePath.FullWidth)
            {
                var nodeIndex = ((oldSize + 1) >> nodeLevel) - 1;
                tiles.Add(new TileData(TilePath.Hash(level, nodeIndex >> TilePath.Height), HashTile.Encode(buffer)));
                _partialCount[level] = 0;
            }
        }

        return dirty;
    }

    private void AddPartialTiles(int dirty, List<TileData> tiles)
    {
        for (var level = 0; level <= TilePath.MaxLevel; level++)
        {
            var count = _partialCount[level];
            if ((dirty & (1 << level)) != 0 && count > 0)
            {
                var index = TileLayout.NodeCount(level, Size) >> TilePath.Height;
                tiles.Add(new TileData(TilePath.Hash(level, index, count), HashTile.Encode(_partial[level].AsSpan(0, count))));
            }
        }
    }

    private void CheckCapacity(int count)
    {
        if (count > TilePath.MaxTreeSize - Size)
        {
            ThrowHelper.ThrowInvalidOperation($"Appending {count} leaves to a tree of {Size} exceeds the tiled-log limit of {TilePath.MaxTreeSize}.");
        }
    }

    // The perfect subtrees of a partial tile, largest first: one per set bit of its width (see TileLayout.RightEdgeTiles).
    internal static void AppendPeaks(ReadOnlySpan<MerkleHash> hashes, List<MerkleHash> peaks)
    {
        var start = 0;
        for (var bit = TilePath.Height - 1; bit >= 0; bit--)
        {
            var chunk = 1 << bit;
            if ((hashes.Length & chunk) != 0)
            {
                peaks.Add(TreeHasher.ComputeRoot(hashes.Slice(start, chunk)));
                start += chunk;
            }
        }
    }
}
