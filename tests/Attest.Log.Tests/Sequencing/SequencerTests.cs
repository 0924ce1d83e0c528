using System.Text;
using Attest.Log.Metrics;
using Attest.Log.Sequencing;

namespace Attest.Log.Tests.Sequencing;

public sealed class SequencerTests
{
    private static LogEntry Entry(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new LogEntry(bytes, []);
    }

    [Fact]
    public async Task SubmitAsync_DistinctDocuments_GetConsecutiveIndexesAfterDurableAppend()
    {
        var appender = new MemoryAppender();
        await using var sequencer = new Sequencer(appender, new SequencerOptions(), new LogMetrics());
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => sequencer.SubmitAsync(Entry($"doc {i}"))));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.False(r.Duplicate));
        foreach (var result in results)
        {
            Assert.NotNull(appender.Entries[(int)result.Index]);
        }
    }

    [Fact]
    public async Task SubmitAsync_SameDocumentTwiceInOneBatch_SecondIsDuplicateOfFirst()
    {
        var appender = new MemoryAppender();
        var options = new SequencerOptions { BatchInterval = TimeSpan.FromMilliseconds(200), MaxBatchSize = 10 };
        await using var sequencer = new Sequencer(appender, options, new LogMetrics());
        var first = sequencer.SubmitAsync(Entry("same"));
        var second = sequencer.SubmitAsync(Entry("same"));
        var results = await Task.WhenAll(first, second);

        Assert.Equal(results[0].Index, results[1].Index);
        Assert.Equal(1, results.Count(r => r.Duplicate));
        Assert.Single(appender.Entries);
    }

    [Fact]
    public async Task SubmitAsync_DocumentAlreadyStored_ReturnsStoredIndexWithoutWriting()
    {
        var appender = new MemoryAppender();
        await using var sequencer = new Sequencer(appender, new SequencerOptions(), new LogMetrics());
        var original = await sequencer.SubmitAsync(Entry("x"));
        await sequencer.SubmitAsync(Entry("y"));
        var again = await sequencer.SubmitAsync(Entry("x"));

        Assert.True(again.Duplicate);
        Assert.Equal(original.Index, again.Index);
        Assert.Equal(2, appender.Entries.Count);
    }

    [Fact]
    public async Task SubmitAsync_QueueFull_ThrowsQueueFull()
    {
        var appender = new MemoryAppender { Gate = new ManualResetEventSlim(false) };
        var options = new SequencerOptions { QueueCapacity = 2, MaxBatchSize = 1, BatchInterval = TimeSpan.Zero };
        await using var sequencer = new Sequencer(appender, options, new LogMetrics());
        var submitted = new List<Task<AppendResult>>();
        SequencerException? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                submitted.Add(sequencer.SubmitAsync(Entry($"q{i}")));
            }
            catch (SequencerException ex)
            {
                refused = ex;
            }
        }

        appender.Gate.Set();
        await Task.WhenAll(submitted);
        Assert.NotNull(refused);
        Assert.Equal(SequencerFailure.QueueFull, refused.Failure);
    }

    [Fact]
    public async Task DrainAsync_QueuedSubmissions_AreAllDurableThenNewOnesRefused()
    {
        var appender = new MemoryAppender();
        var sequencer = new Sequencer(appender, new SequencerOptions { BatchInterval = TimeSpan.FromMilliseconds(50) }, new LogMetrics());
        var queued = Enumerable.Range(0, 50).Select(i => sequencer.SubmitAsync(Entry($"d{i}"))).ToList();
        await sequencer.DrainAsync(CancellationToken.None);

        Assert.All(queued, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(50, appender.Entries.Count);
        var ex = await Assert.ThrowsAsync<SequencerException>(() => sequencer.SubmitAsync(Entry("late")));
        Assert.Equal(SequencerFailure.ShuttingDown, ex.Failure);
        await sequencer.DisposeAsync();
    }

    [Fact]
    public async Task SubmitAsync_AppendFails_FailsBatchAndLaterSubmissions()
    {
        var appender = new MemoryAppender { Fail = true };
        await using var sequencer = new Sequencer(appender, new SequencerOptions(), new LogMetrics());
        var ex = await Assert.ThrowsAsync<SequencerException>(() => sequencer.SubmitAsync(Entry("a")));
        Assert.Equal(SequencerFailure.StorageFailed, ex.Failure);
        var later = await Assert.ThrowsAsync<SequencerException>(() => sequencer.SubmitAsync(Entry("b")));
        Assert.Equal(SequencerFailure.StorageFailed, later.Failure);
        Assert.Empty(appender.Entries);
    }

    private sealed class MemoryAppender : IEntryAppender
    {
        private readonly Dictionary<byte[], long> _digests = new(new DigestComparer());

        public List<byte[]> Entries { get; } = [];

        public ManualResetEventSlim? Gate { get; init; }

        public bool Fail { get; init; }

        public long Size => Entries.Count;

        public long? FindDuplicate(ReadOnlySpan<byte> digest) => _digests.TryGetValue(digest.ToArray(), out var index) ? index : null;

        public void Append(IReadOnlyList<LogEntry> entries)
        {
            Gate?.Wait();
            if (Fail)
            {
                throw new IOException("disk full");
            }

            foreach (var entry in entries)
            {
                _digests.Add(entry.Digest, Entries.Count);
                Entries.Add(entry.Document);
            }
        }
    }

    private sealed class DigestComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj[0];
    }
}
