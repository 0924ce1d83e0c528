using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Attest.Verifier.Monitoring;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Verifier.Tests.Monitoring;

public sealed class MonitorStateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-monitor-state-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static MonitorState StateOf(int entries, int indexed)
    {
        var writer = new TileWriter();
        var payloads = Enumerable.Range(0, entries).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes("entry " + i)).ToList();
        var tiles = new Dictionary<TilePath, ReadOnlyMemory<byte>>();
        ReadOnlyMemory<byte> bundle = ReadOnlyMemory<byte>.Empty;
        foreach (var tile in writer.AppendEntries(payloads).Tiles)
        {
            if (tile.Path.IsEntries)
            {
                bundle = tile.Path.IsPartial ? tile.Bytes : ReadOnlyMemory<byte>.Empty;
            }
            else
            {
                tiles[tile.Path] = tile.Bytes;
            }
        }

        var signer = Ed25519NoteSigner.Generate("example.com/log");
        var checkpoint = new Checkpoint("example.com/log", (ulong)entries, writer.ComputeRoot()).Sign(signer);
        var index = Enumerable.Range(0, Math.Min(indexed, entries)).ToDictionary(i => "/nix/store/path" + i, i => new long[] { i }, StringComparer.Ordinal);
        return new MonitorState("example.com/log", checkpoint, [.. TileLayout.RightEdgeTiles(entries).Select(p => tiles[p])], bundle, index);
    }

    [Property(MaxTest = 40)]
    public void TryParse_RoundTrip_Identical(PositiveInt entries, byte indexed)
    {
        var state = StateOf(Math.Min(entries.Get, 700), indexed);

        Assert.True(MonitorState.TryParse(state.ToJson(), out var parsed, out var error), error);

        Assert.Equal(state.ToJson(), parsed.ToJson());
        Assert.Equal(state.TreeSize, parsed.TreeSize);
        Assert.Equal(state.Root, parsed.Root);
    }

    [Property(MaxTest = 200)]
    public void TryParse_MutatedFile_RejectsOrReturnsConsistentState(int seed)
    {
        var json = StateOf(300, 3).ToJson();
        var random = new Random(seed);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            json[random.Next(json.Length)] = (byte)random.Next(256);
        }

        if (MonitorState.TryParse(json, out var state, out var error))
        {
            Assert.Equal(TileLayout.RightEdgeTiles(state.TreeSize).Length, state.RightEdgeTiles.Count);
            Assert.All(state.Index.Values, v => Assert.All(v, i => Assert.InRange(i, 0, state.TreeSize - 1)));
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            Assert.False(MonitorState.TryParse(bytes, out _, out _));
        }
    }

    [Fact]
    public void TryParse_TileOfWrongLength_RejectedNamingTheField()
    {
        var json = Encoding.UTF8.GetString(StateOf(3, 0).ToJson());
        var state = StateOf(3, 0);
        var tile = Convert.ToBase64String(state.RightEdgeTiles[0].Span);
        var broken = json.Replace(tile, Convert.ToBase64String(new byte[64]), StringComparison.Ordinal);

        Assert.False(MonitorState.TryParse(Encoding.UTF8.GetBytes(broken), out _, out var error));
        Assert.Contains("$.rightEdgeTiles[0]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_IndexBeyondTreeSize_Rejected()
    {
        var state = StateOf(3, 0) with { Index = new Dictionary<string, long[]> { ["/nix/store/x"] = [3] } };

        Assert.False(MonitorState.TryParse(state.ToJson(), out _, out var error));
        Assert.Contains("$.index", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveAsync_ThenLoadAsync_ReturnsSameStateAndLeavesNoTempFile()
    {
        var store = new MonitorStateStore(_directory);
        var state = StateOf(513, 5);

        await store.SaveAsync(state, CancellationToken.None);
        var loaded = await store.LoadAsync("example.com/log", CancellationToken.None);

        Assert.Equal(state.ToJson(), loaded.ToJson());
        Assert.Single(Directory.GetFiles(_directory));
        await Assert.ThrowsAsync<FormatException>(() => store.LoadAsyncForOtherOrigin(state));
    }
}

internal static class MonitorStateStoreTestExtensions
{
    // A state file copied under another origin's name must be refused, not silently used.
    public static async Task LoadAsyncForOtherOrigin(this MonitorStateStore store, MonitorState state)
    {
        File.Copy(store.PathFor(state.Origin), store.PathFor("other.example/log"));
        await store.LoadAsync("other.example/log", CancellationToken.None);
    }
}
