using Attest.Transparency.Tiles;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Tiles;

public sealed class EntryBundleTests
{
    [Fact]
    public void Encode_TwoEntries_PrefixesBigEndianLengths()
    {
        var bundle = EntryBundle.Encode([new byte[] { 0xAA }, new byte[300]]);
        Assert.Equal([0x00, 0x01, 0xAA, 0x01, 0x2C], bundle[..5]);
        Assert.Equal(2 + 1 + 2 + 300, bundle.Length);
    }

    [Property(MaxTest = 200)]
    public void Parse_EncodedEntries_RoundTrips(byte[][] entries)
    {
        if (entries.Length is 0 or > EntryBundle.MaxEntries)
        {
            return;
        }

        var bundle = EntryBundle.Encode(entries.Select(e => new ReadOnlyMemory<byte>(e)).ToArray());
        var parsed = EntryBundle.Parse(bundle, entries.Length);
        Assert.Equal(entries, parsed);

        // One entry fewer leaves bytes over; one more runs out; a truncated bundle fails.
        if (entries.Length > 1)
        {
            Assert.False(EntryBundle.TryParse(bundle, entries.Length - 1, out _));
        }

        Assert.False(EntryBundle.TryParse(bundle, entries.Length + 1, out _));
        Assert.False(EntryBundle.TryParse(bundle.AsSpan(0, bundle.Length - 1), entries.Length, out _));
        Assert.False(EntryBundle.TryParse([.. bundle, 0], entries.Length, out _));
    }

    [Theory]
    [InlineData("", 1, "entry 0 at offset 0: a 2-byte length is needed, 0 bytes remain")]
    [InlineData("00", 1, "entry 0 at offset 0: a 2-byte length is needed, 1 bytes remain")]
    [InlineData("0002aa", 1, "entry 0 at offset 0: entry length 2 exceeds the 1 bytes remaining")]
    [InlineData("0001aa0001", 2, "entry 1 at offset 3: entry length 1 exceeds the 0 bytes remaining")]
    [InlineData("0001aa00", 1, "1 bytes remain after the 1 expected entries")]
    [InlineData("0000", 0, "a bundle holds 1..256 entries, 0 requested")]
    [InlineData("0000", 257, "a bundle holds 1..256 entries, 257 requested")]
    public void Parse_Malformed_ThrowsNamingOffset(string hex, int count, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => EntryBundle.Parse(Convert.FromHexString(hex), count));
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void TryReadEntry_Failure_ConsumesNothing()
    {
        Assert.False(EntryBundle.TryReadEntry([0xFF, 0xFF, 1], out var entry, out var consumed));
        Assert.Equal(0, consumed);
        Assert.True(entry.IsEmpty);
        Assert.True(EntryBundle.TryReadEntry([0, 0, 9], out entry, out consumed));
        Assert.Equal(2, consumed);
        Assert.True(entry.IsEmpty);
    }

    [Fact]
    public void Encode_TooManyOrTooLong_Throws()
    {
        Assert.Throws<ArgumentException>(() => EntryBundle.Encode([new byte[65536]]));
        Assert.Throws<ArgumentException>(() => EntryBundle.Encode(Enumerable.Repeat(new ReadOnlyMemory<byte>([1]), 257).ToArray()));
        Assert.Throws<ArgumentException>(() => EntryBundle.Encode([]));
        Assert.Equal(2 + 65535, EntryBundle.Encode([new byte[65535]]).Length);
    }

    [Property(MaxTest = 500)]
    public void TryParse_RandomBytes_NeverThrowsAndOnlyAcceptsExactBundles(byte[] bytes, byte count)
    {
        var expected = Math.Max(1, (int)count);
        if (EntryBundle.TryParse(bytes, expected, out var entries))
        {
            Assert.Equal(expected, entries.Length);
            Assert.Equal(bytes, EntryBundle.Encode(entries.Select(e => new ReadOnlyMemory<byte>(e)).ToArray()));
        }
    }
}
