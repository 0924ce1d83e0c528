using System.Buffers.Binary;
using System.Numerics;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Merkle;

/// <summary>
/// The incremental state of an append-only RFC 9162 tree: its size and the roots of the perfect subtrees along its
/// right edge (a compact range over <c>[0, size)</c>), one per set bit of the size, largest first. Appending a leaf
/// costs one leaf-independent hash per trailing one bit of the size (amortised one hash); the root costs one hash
/// per remaining subtree. Serialisable so a log can persist it next to its checkpoint.
/// </summary>
/// <remarks>Not thread-safe: one writer appends, readers take <see cref="Clone"/> snapshots.</remarks>
public sealed class CompactTree
{
    private const int SerializedHeaderSize = 8;

    private readonly MerkleHash[] _peaks = new MerkleHash[TreeMath.MaxLevels];
    private int _count;

    /// <summary>Creates the state of the empty tree.</summary>
    public CompactTree()
    {
    }

    private CompactTree(long size, int count, MerkleHash[] peaks)
    {
        Size = size;
        _count = count;
        Array.Copy(peaks, _peaks, count);
    }

    /// <summary>The number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>The right-edge perfect subtree roots, largest (leftmost) first; one per set bit of <see cref="Size"/>.</summary>
    public ReadOnlySpan<MerkleHash> Peaks => _peaks.AsSpan(0, _count);

    /// <summary>The ids of <see cref="Peaks"/>, in the same order.</summary>
    public NodeId[] PeakIds()
    {
        var ids = new NodeId[_count];
        var i = 0;
        long begin = 0;
        for (var level = 62; level >= 0; level--)
        {
            if ((Size & (1L << level)) != 0)
            {
                ids[i++] = new NodeId(level, begin >> level);
                begin += 1L << level;
            }
        }

        return ids;
    }

    /// <summary>Creates a state from a size and its right-edge subtree roots (as from <see cref="Peaks"/>).</summary>
    /// <param name="size">The tree size.</param>
    /// <param name="peaks">Exactly one hash per set bit of <paramref name="size"/>, largest subtree first.</param>
    /// <exception cref="ArgumentException">The number of peaks does not match the size.</exception>
    public static CompactTree FromPeaks(long size, ReadOnlySpan<MerkleHash> peaks)
    {
        if (size < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size), $"Tree size {size} is negative.");
        }

        if (peaks.Length != BitOperations.PopCount((ulong)size))
        {
            ThrowHelper.ThrowArgument(nameof(peaks), $"A tree of size {size} has {BitOperations.PopCount((ulong)size)} right-edge subtrees, got {peaks.Length}.");
        }

        var tree = new CompactTree { Size = size, _count = peaks.Length };
        peaks.CopyTo(tree._peaks);
        return tree;
    }

    /// <summary>Creates the state of a tree of <paramref name="size"/> leaves by reading its right-edge subtrees from a node store.</summary>
    /// <param name="reader">A store holding at least <paramref name="size"/> leaves.</param>
    /// <param name="size">The tree size.</param>
    public static CompactTree FromNodeStore(IMerkleNodeReader reader, long size)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var ids = FromPeaks(size, new MerkleHash[BitOperations.PopCount((ulong)size)]).PeakIds();
        var hashes = new MerkleHash[ids.Length];
        reader.ReadNodes(ids, hashes);
        return FromPeaks(size, hashes);
    }

    /// <summary>Appends a leaf by its hash.</summary>
    /// <param name="leafHash">The leaf hash, <c>SHA-256(0x00 || entry)</c>.</param>
    public void Append(in MerkleHash leafHash) => Append(leafHash, Span<MerkleHash>.Empty);

    /// <summary>
    /// Appends a leaf and reports the subtrees it completes: the leaf itself (level 0, index = old size), then one
    /// node per level it merges, up to the largest. These are the hashes a node store keeps for the new leaf.
    /// </summary>
    /// <param name="leafHash">The leaf hash.</param>
    /// <param name="completed">Receives the completed subtree hashes, level 0 first; empty to discard them, otherwise at least 64 long.</param>
    /// <returns>The number of hashes written to <paramref name="completed"/> (0 when it is empty).</returns>
    public int Append(in MerkleHash leafHash, Span<MerkleHash> completed)
    {
        if (Size == long.MaxValue)
        {
            ThrowHelper.ThrowInvalidOperation("The tree is full.");
        }

        if (!completed.IsEmpty && completed.Length < TreeMath.MaxLevels)
        {
            ThrowHelper.ThrowArgument(nameof(completed), $"The buffer for completed subtrees must hold {TreeMath.MaxLevels} hashes.");
        }

        var node = leafHash;
        var written = 0;
        if (!completed.IsEmpty)
        {
            completed[written++] = node;
        }

        // Each trailing one bit of the old size is a perfect subtree of the same height as the one being carried.
        for (var n = Size; (n & 1) == 1; n >>= 1)
        {
            node = TreeHasher.HashChildren(_peaks[--_count], node);
            if (!completed.IsEmpty)
            {
                completed[written++] = node;
            }
        }

        _peaks[_count++] = node;
        Size++;
        return written;
    }

    /// <summary>Hashes an entry as a leaf and appends it.</summary>
    /// <param name="entry">The entry bytes.</param>
    public void AppendEntry(ReadOnlySpan<byte> entry) => Append(TreeHasher.HashLeaf(entry));

    /// <summary>Computes the root of the current tree (RFC 9162 §2.1.1); the empty root for size 0.</summary>
    public MerkleHash ComputeRoot() => TreeMath.FoldRight(Peaks);

    /// <summary>Returns an independent copy of this state.</summary>
    public CompactTree Clone() => new(Size, _count, _peaks);

    /// <summary>The length of <see cref="Serialize()"/>'s output: 8 bytes of size then 32 bytes per peak.</summary>
    public int SerializedLength => SerializedHeaderSize + (_count * MerkleHash.Size);

    /// <summary>Serialises the state: the size as a big-endian 64-bit integer, then the peaks, largest first.</summary>
    public byte[] Serialize()
    {
        var bytes = new byte[SerializedLength];
        Serialize(bytes);
        return bytes;
    }

    /// <summary>Serialises the state into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="SerializedLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public int Serialize(Span<byte> destination)
    {
        if (destination.Length < SerializedLength)
        {
            ThrowHelper.ThrowArgument(nameof(destination), $"The state needs {SerializedLength} bytes, got {destination.Length}.");
        }

        BinaryPrimitives.WriteInt64BigEndian(destination, Size);
        for (var i = 0; i < _count; i++)
        {
            _peaks[i].CopyTo(destination[(SerializedHeaderSize + (i * MerkleHash.Size))..]);
        }

        return SerializedLength;
    }

    /// <summary>Parses a state written by <see cref="Serialize()"/>; the input must be consumed exactly.</summary>
    /// <param name="source">The serialised state.</param>
    /// <exception cref="InvalidDataException">The bytes are not a serialised state.</exception>
    public static CompactTree Deserialize(ReadOnlySpan<byte> source)
    {
        if (!TryDeserialize(source, out var tree, out var error))
        {
            ThrowHelper.ThrowInvalidData(error);
        }

        return tree;
    }

    /// <summary>Parses a state written by <see cref="Serialize()"/>; the input must be consumed exactly.</summary>
    /// <param name="source">The candidate bytes.</param>
    /// <param name="tree">The state, or <see langword="null"/> on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryDeserialize(ReadOnlySpan<byte> source, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CompactTree? tree) =>
        TryDeserialize(source, out tree, out _);

    private static bool TryDeserialize(ReadOnlySpan<byte> source, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CompactTree? tree, out string error)
    {
        tree = null;
        if (source.Length < SerializedHeaderSize)
        {
            error = $"A tree state starts with an 8-byte size; only {source.Length} bytes.";
            return false;
        }

        var size = BinaryPrimitives.ReadInt64BigEndian(source);
        if (size < 0)
        {
            error = $"The tree state's size {size} is negative.";
            return false;
        }

        var count = BitOperations.PopCount((ulong)size);
        var expected = SerializedHeaderSize + (count * MerkleHash.Size);
        if (source.Length != expected)
        {
            error = $"A tree state of size {size} is {expected} bytes; got {source.Length}.";
            return false;
        }

        var peaks = new MerkleHash[TreeMath.MaxLevels];
        for (var i = 0; i < count; i++)
        {
            peaks[i] = MerkleHash.Read(source[(SerializedHeaderSize + (i * MerkleHash.Size))..]);
        }

        tree = new CompactTree(size, count, peaks);
        error = string.Empty;
        return true;
    }
}
