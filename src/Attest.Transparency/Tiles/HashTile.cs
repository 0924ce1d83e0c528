using System.Runtime.InteropServices;
using Attest.Transparency.Internal;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Tiles;

/// <summary>Encoding of hash tiles: the concatenation of their 32-byte hashes, nothing else (c2sp.org/tlog-tiles).</summary>
public static class HashTile
{
    /// <summary>Decodes a hash tile, which must be exactly <c>32·Width</c> bytes for <paramref name="path"/>.</summary>
    /// <param name="path">The tile the bytes claim to be.</param>
    /// <param name="bytes">The tile bytes.</param>
    /// <exception cref="InvalidDataException">The length does not match the tile's width.</exception>
    public static MerkleHash[] Decode(TilePath path, ReadOnlySpan<byte> bytes)
    {
        if (!TryDecode(path, bytes, out var hashes))
        {
            ThrowHelper.ThrowInvalidData($"Tile {path} must be {path.HashTileLength} bytes ({path.Width} hashes), got {bytes.Length}.");
        }

        return hashes;
    }

    /// <summary>Decodes a hash tile if its length is exactly <c>32·Width</c> bytes.</summary>
    /// <param name="path">The tile the bytes claim to be.</param>
    /// <param name="bytes">The tile bytes.</param>
    /// <param name="hashes">The hashes, or an empty array on failure.</param>
    /// <returns><see langword="false"/> when the path is an entry bundle or the length is wrong.</returns>
    public static bool TryDecode(TilePath path, ReadOnlySpan<byte> bytes, out MerkleHash[] hashes)
    {
        hashes = [];
        if (path.IsEntries || path.Width == 0 || bytes.Length != path.HashTileLength)
        {
            return false;
        }

        hashes = MemoryMarshal.Cast<byte, MerkleHash>(bytes).ToArray();
        return true;
    }

    /// <summary>Encodes hashes as tile bytes.</summary>
    /// <param name="hashes">1 to 256 hashes.</param>
    public static byte[] Encode(ReadOnlySpan<MerkleHash> hashes)
    {
        if (hashes.Length is 0 or > TilePath.FullWidth)
        {
            ThrowHelper.ThrowArgument(nameof(hashes), $"A tile holds 1..{TilePath.FullWidth} hashes, got {hashes.Length}.");
        }

        return MemoryMarshal.AsBytes(hashes).ToArray();
    }
}
