using Attest.Transparency.Tiles;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Tiles;

public sealed class TilePathTests
{
    [Theory]
    [InlineData(0, 0L, 256, "tile/0/000")]
    [InlineData(0, 1L, 44, "tile/0/001.p/44")]
    [InlineData(1, 0L, 1, "tile/1/000.p/1")]
    [InlineData(2, 1234067L, 256, "tile/2/x001/x234/067")]
    [InlineData(0, 1000L, 255, "tile/0/x001/000.p/255")]
    [InlineData(5, 0L, 7, "tile/5/000.p/7")]
    public void ToString_HashTile_IsCanonical(int level, long index, int width, string expected)
    {
        var path = TilePath.Hash(level, index, width);
        Assert.Equal(expected, path.ToString());
        Assert.Equal(path, TilePath.Parse(expected));
    }

    [Theory]
    [InlineData(0L, 256, "tile/entries/000")]
    [InlineData(1234067L, 3, "tile/entries/x001/x234/067.p/3")]
    public void ToString_EntryBundle_IsCanonical(long index, int width, string expected)
    {
        var path = TilePath.Entries(index, width);
        Assert.Equal(expected, path.ToString());
        var parsed = TilePath.Parse(expected);
        Assert.True(parsed.IsEntries);
        Assert.Equal(path, parsed);
    }

    [Theory]
    [InlineData("", "does not start")]
    [InlineData("tile/0", "missing the index")]
    [InlineData("tile/00/000", "level")]
    [InlineData("tile/6/000", "level")]
    [InlineData("tile/-1/000", "level")]
    [InlineData("tile/data/000", "level")]
    [InlineData("tile/0/00", "three digits")]
    [InlineData("tile/0/0000", "after the last")]
    [InlineData("tile/0/x000/001", "leading zero group")]
    [InlineData("tile/0/001/002", "after the last")]
    [InlineData("tile/0/x001", "followed by '/'")]
    [InlineData("tile/0/x001/", "three digits")]
    [InlineData("tile/0/x1/002", "three digits")]
    [InlineData("tile/0/000.p/0", "1..255")]
    [InlineData("tile/0/000.p/256", "below 256")]
    [InlineData("tile/0/000.p/044", "1..255")]
    [InlineData("tile/0/000.p/", "1..255")]
    [InlineData("tile/0/000.p/1x", "1..255")]
    [InlineData("tile/0/000.q/1", "'.p/<width>'")]
    [InlineData("tile/0/x001.p/3/000", "1..255")]
    [InlineData("tile/0/x001/x002/x003/x004/x005/x006/007", "too many groups")]
    [InlineData("tile/5/001", "not in 0..0")]
    [InlineData("tile/0/x001/x099/x511/x627/776", "not in 0..")]
    [InlineData("tile/0/0a0", "three digits")]
    [InlineData("TILE/0/000", "does not start")]
    public void Parse_Malformed_ThrowsNamingTheProblem(string path, string expected)
    {
        Assert.False(TilePath.TryParse(path, out _));
        var ex = Assert.Throws<FormatException>(() => TilePath.Parse(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 300)]
    public bool Parse_FormattedPath_RoundTrips(byte level, long index, byte width, bool entries)
    {
        var l = level % (TilePath.MaxLevel + 1);
        var max = TilePath.MaxTreeSize >> ((l + 1) * TilePath.Height);
        var n = max == 0 ? 0 : (long)(unchecked((ulong)index) % (ulong)(max + 1));
        var w = width == 0 ? 256 : width;
        var path = entries ? TilePath.Entries(n % ((TilePath.MaxTreeSize >> 8) + 1), w) : TilePath.Hash(l, n, w);
        return TilePath.Parse(path.ToString()) == path;
    }

    [Property(MaxTest = 500)]
    public void TryParse_RandomText_NeverThrows(string text)
    {
        if (TilePath.TryParse(text ?? string.Empty, out var path))
        {
            Assert.Equal(text, path.ToString());
        }
    }

    [Property(MaxTest = 500)]
    public void TryParse_MutatedValidPath_AcceptsOnlyCanonicalPaths(NonNegativeInt position, char replacement, long index)
    {
        var valid = TilePath.Hash(0, (long)(unchecked((ulong)index) % (1UL << 40)), 17).ToString();
        var chars = valid.ToCharArray();
        chars[position.Get % chars.Length] = replacement;
        var mutated = new string(chars);
        // Any accepted mutation must be canonical: formatting it gives back exactly the same text.
        if (TilePath.TryParse(mutated, out var parsed))
        {
            Assert.Equal(mutated, parsed.ToString());
        }
    }

    [Fact]
    public void Hash_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, 0, 257));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Entries(1L << 40));
    }
}
