using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Transparency.Tests.Tiles;

public sealed class TileLayoutTests
{
    [Fact]
    public void RightEdgeTiles_Size300_AreTheSunlightPartials()
    {
        Assert.Equal(["tile/1/000.p/1", "tile/0/001.p/44"], TileLayout.RightEdgeTiles(300).Select(t => t.ToString()));
        Assert.Empty(TileLayout.RightEdgeTiles(0));
        Assert.Equal(["tile/2/000.p/1"], TileLayout.RightEdgeTiles(65536).Select(t => t.ToString()));
        Assert.Equal(["tile/1/000.p/1"], TileLayout.RightEdgeTiles(256).Select(t => t.ToString()));
    }

    [Theory]
    [InlineData(0, 0L, 300L, 256)]
    [InlineData(0, 1L, 300L, 44)]
    [InlineData(1, 0L, 300L, 1)]
    [InlineData(0, 1L, 512L, 256)]
    [InlineData(1, 0L, 65536L * 3, 256)]
    [InlineData(2, 0L, 65536L * 3, 3)]
    public void HashTile_Widths_FollowTreeSize(int level, long index, long size, int width)
    {
        Assert.Equal(width, TileLayout.HashTile(level, index, size).Width);
    }

    [Fact]
    public void HashTile_NotInTree_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.HashTile(0, 2, 300));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.HashTile(2, 0, 300));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.HashTile(0, 0, TilePath.MaxTreeSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.EntryBundle(2, 512));
    }

    [Fact]
    public void EntryBundleFor_Index_NamesBundleWithWidth()
    {
        Assert.Equal("tile/entries/001.p/44", TileLayout.EntryBundleFor(299, 300).ToString());
        Assert.Equal("tile/entries/000", TileLayout.EntryBundleFor(5, 300).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.EntryBundleFor(300, 300));
    }

    [Fact]
    public void Locate_Nodes_MapToTileAndRange()
    {
        TileLayout.Locate(new NodeId(0, 299), 300, out var tile, out var offset, out var count);
        Assert.Equal(("tile/0/001.p/44", 43, 1), (tile.ToString(), offset, count));
        TileLayout.Locate(new NodeId(5, 1), 300, out tile, out offset, out count);
        Assert.Equal(("tile/0/000", 32, 32), (tile.ToString(), offset, count));
        TileLayout.Locate(new NodeId(8, 0), 300, out tile, out offset, out count);
        Assert.Equal(("tile/1/000.p/1", 0, 1), (tile.ToString(), offset, count));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.Locate(new NodeId(6, 4), 300, out _, out _, out _));
    }

    [Fact]
    public void SupersededTiles_Growth_ListsReplacedPartials()
    {
        Assert.Equal(
            ["tile/1/000.p/1", "tile/0/001.p/44", "tile/entries/001.p/44"],
            TileLayout.SupersededTiles(300, 512).Select(t => t.ToString()));
        // Growing by 0 replaces nothing; growing within one level-0 tile leaves the level-1 tile alone.
        Assert.Empty(TileLayout.SupersededTiles(300, 300));
        Assert.Equal(["tile/0/001.p/44", "tile/entries/001.p/44"], TileLayout.SupersededTiles(300, 301).Select(t => t.ToString()));
        Assert.Empty(TileLayout.SupersededTiles(512, 600));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.SupersededTiles(10, 9));
    }
}
