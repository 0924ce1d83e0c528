using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Tiles;

public sealed class HashTileTests
{
    [Fact]
    public void Encode_Decode_RoundTrips()
    {
        var hashes = Enumerable.Range(0, 44).Select(i => TreeHasher.HashLeaf([(byte)i])).ToArray();
        var bytes = HashTile.Encode(hashes);
        Assert.Equal(44 * 32, bytes.Length);
        Assert.Equal(hashes, HashTile.Decode(TilePath.Hash(0, 1, 44), bytes));
        Assert.Equal(hashes[3].ToArray(), bytes[(3 * 32)..(4 * 32)]);
    }

    [Fact]
    public void Decode_WrongLengthOrBundle_Fails()
    {
        var bytes = new byte[44 * 32];
        var ex = Assert.Throws<InvalidDataException>(() => HashTile.Decode(TilePath.Hash(0, 1, 45), bytes));
        Assert.Equal("Tile tile/0/001.p/45 must be 1440 bytes (45 hashes), got 1408.", ex.Message);
        Assert.False(HashTile.TryDecode(TilePath.Entries(1, 44), bytes, out _));
        Assert.Throws<ArgumentException>(() => HashTile.Encode([]));
        Assert.Throws<ArgumentException>(() => HashTile.Encode(new MerkleHash[257]));
    }

    [Property(MaxTest = 300)]
    public void TryDecode_RandomBytes_AcceptsOnlyExactLength(byte[] bytes, byte width)
    {
        var path = TilePath.Hash(0, 0, width == 0 ? 256 : width);
        var ok = HashTile.TryDecode(path, bytes, out var hashes);
        Assert.Equal(bytes.Length == path.Width * 32, ok);
        if (ok)
        {
            Assert.Equal(bytes, HashTile.Encode(hashes));
        }
    }
}
