using System.Diagnostics;
using System.Threading.Channels;
using Attest.Log.Metrics;

namespace Attest.Log.Sequencing;

/// <summary>
/// Orders submissions into batches and writes each batch with one synced write through an <see cref="IEntryAppender"/>.
/// A submission completes only after its batch is durable. Deduplication is exact: a single loop assigns indexes,
/// checking every document against the store and against the other entries of the batch it is in.
/// </summary>
public sealed class Sequencer : IAsyncDisposable
{
    private readonly IEntryAppender _appender;
    private readonly SequencerOptions _options;
    private readonly LogMetrics _metrics;
    private readonly Channel<Pending> _queue;
    private readonly Task _loop;
    private volatile Exception? _fault;
    private volatile bool _closed;

    /// <summary>Starts the sequencing loop.</summary>
    public Sequencer(IEntryAppender appender, SequencerOptions options, LogMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(appender);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        options.Validate();
        _appender = appender;
        _options = options;
        _metrics = metrics;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Raised on the sequencing thread after each durable batch, with the new tree size.</summary>
    public event Action<long>? BatchCommitted;

    /// <summary>Submissions waiting to be sequenced.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>
    /// Queues <paramref name="entry"/> and completes once it is durable (or was already in the log).
    /// </summary>
    /// <exception cref="SequencerException">The queue is full, the log is shutting down, or storage failed.</exception>
    public Task<AppendResult> SubmitAsync(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_fault is { } fault)
        {
            throw new SequencerException(SequencerFailure.StorageFailed, "The log stopped sequencing after a storage failure.", fault);
        }

        var pending = new Pending(entry);
        if (!_queue.Writer.TryWrite(pending))
        {
            // TryWrite fails both when the queue is full and after DrainAsync closed it.
            throw _closed
                ? new SequencerException(SequencerFailure.ShuttingDown, "The log is shutting down.")
                : new SequencerException(SequencerFailure.QueueFull, $"The sequencing queue is full ({_options.QueueCapacity} submissions).");
        }

        return pending.Completion.Task;
    }

    /// <summary>Stops taking submissions, sequences everything already queued, and waits for the last batch to be durable.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            var deadline = Stopwatch.GetTimestamp() + (long)(_options.BatchInterval.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count >= _options.MaxBatchSize)
                {
                    break;
                }

                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                var more = reader.WaitToReadAsync().AsTask();
                if (await Task.WhenAny(more, Task.Delay(remaining)) != more || !await more)
                {
                    break;
                }
            }

            if (batch.Count > 0)
            {
                Commit(batch);
            }
        }
    }

    private void Commit(List<Pending> batch)
    {
        if (_fault is { } fault)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(new SequencerException(SequencerFailure.StorageFailed, "The log stopped sequencing after a storage failure.", fault));
            }

            return;
        }

        var started = Stopwatch.GetTimestamp();
        var inBatch = new Dictionary<byte[], long>(batch.Count, ByteArrayComparer.Instance);
        var fresh = new List<LogEntry>(batch.Count);
        var results = new AppendResult[batch.Count];
        var next = _appender.Size;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch[i].Entry;
            if (inBatch.TryGetValue(entry.Digest, out var earlier))
            {
                results[i] = new AppendResult(earlier, Duplicate: true);
            }
            else if (_appender.FindDuplicate(entry.Digest) is { } stored)
            {
                results[i] = new AppendResult(stored, Duplicate: true);
            }
            else
            {
                inBatch.Add(entry.Digest, next);
                results[i] = new AppendResult(next, Duplicate: false);
                fresh.Add(entry);
                next++;
            }
        }

        if (fresh.Count > 0)
        {
            try
            {
                _appender.Append(fresh);
            }
#pragma warning disable CA1031 // Any storage failure must fail the waiting submissions rather than crash the loop silently.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _fault = ex;
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(new SequencerException(SequencerFailure.StorageFailed, "Writing the batch failed; nothing in it was acknowledged.", ex));
                }

                return;
            }
        }

        _metrics.ObserveBatch(fresh.Count, Stopwatch.GetElapsedTime(started));
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        if (fresh.Count > 0)
        {
            BatchCommitted?.Invoke(_appender.Size);
        }
    }

    private sealed class Pending(LogEntry entry)
    {
        public LogEntry Entry { get; } = entry;

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
