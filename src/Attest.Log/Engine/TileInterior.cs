using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Log.Engine;

/// <summary>
/// The interior nodes of a full hash tile: levels 1 to 7 above its 256 hashes (128 + 64 + ... + 2 = 254 hashes,
/// 8,128 bytes), stored beside the tile when it fills up. A full tile never changes, so neither do these; with them an
/// inclusion or consistency proof is a few lookups instead of folding up to 255 hashes per tile level
/// (c2sp.org/tlog-tiles: node (l, i) is the root of 2^(l mod 8) consecutive hashes of a level-⌊l/8⌋ tile).
/// </summary>
internal static class TileInterior
{
    /// <summary>Hashes in the interior of a full tile.</summary>
    public const int HashCount = TilePath.FullWidth - 2;

    /// <summary>Bytes of the stored interior.</summary>
    public const int Length = HashCount * MerkleHash.Size;

    /// <summary>Computes the interior of a full tile from its 256 hashes (8,192 bytes), level 1 first.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> fullTile)
    {
        if (fullTile.Length != TilePath.FullWidth * MerkleHash.Size)
        {
            throw new ArgumentException($"A full hash tile is {TilePath.FullWidth * MerkleHash.Size} bytes, not {fullTile.Length}.", nameof(fullTile));
        }

        var result = new byte[Length];
        var below = fullTile;
        var written = 0;
        for (var width = TilePath.FullWidth / 2; width >= 2; width /= 2)
        {
            var level = result.AsSpan(written, width * MerkleHash.Size);
            for (var i = 0; i < width; i++)
            {
                var left = MerkleHash.Read(below.Slice(2 * i * MerkleHash.Size, MerkleHash.Size));
                var right = MerkleHash.Read(below.Slice((2 * i + 1) * MerkleHash.Size, MerkleHash.Size));
                TreeHasher.HashChildren(left, right).CopyTo(level.Slice(i * MerkleHash.Size, MerkleHash.Size));
            }

            below = level;
            written += level.Length;
        }

        return result;
    }

    /// <summary>
    /// The node <paramref name="shift"/> levels above the tile's hashes (1..7) whose first descendant is at
    /// <paramref name="offset"/> in the tile, read from a stored interior.
    /// </summary>
    public static MerkleHash Node(ReadOnlySpan<byte> interior, int shift, int offset)
    {
        if (interior.Length != Length)
        {
            throw new InvalidDataException($"A stored tile interior is {Length} bytes, not {interior.Length}.");
        }

        // Level s starts after levels 1..s-1: 128 + 64 + ... + (256 >> (s-1)) = 256 - (512 >> s) hashes.
        var start = TilePath.FullWidth - (2 * TilePath.FullWidth >> shift);
        var position = start + (offset >> shift);
        return MerkleHash.Read(interior.Slice(position * MerkleHash.Size, MerkleHash.Size));
    }
}
