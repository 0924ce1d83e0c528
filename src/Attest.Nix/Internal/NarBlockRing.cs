using System.Runtime.ExceptionServices;

namespace Attest.Nix.Internal;

/// <summary>
/// A single-producer single-consumer ring of large pinned blocks: the NAR walker fills blocks on its own thread
/// while the caller hashes or writes the previous ones, so reading overlaps hashing.
/// </summary>
/// <remarks>
/// Hand-offs use <see cref="Monitor"/> waits rather than <see cref="SemaphoreSlim"/>, whose spin-before-block burns
/// CPU on every block when the machine is busy; a side that has to wait sleeps at once.
/// </remarks>
internal sealed class NarBlockRing : IDisposable
{
    // One set of blocks is kept between walks (the hook hashes several outputs in a row), so repeated hashing does
    // not allocate megabytes of pinned memory each time; concurrent walks simply allocate their own.
    private static byte[][]? _cachedBlocks;

    private readonly byte[][] _blocks;
    private readonly int[] _lengths;
    private readonly object _gate = new(); // Monitor.Wait/Pulse need a monitor, not System.Threading.Lock.
    private readonly CancellationTokenRegistration _registration;
    private readonly CancellationToken _cancellationToken;
    private long _produced;
    private long _consumed;
    private bool _completed;
    private ExceptionDispatchInfo? _error;
    private TaskCompletionSource? _asyncWaiter;

    public NarBlockRing(int blockCount, int blockSize, CancellationToken cancellationToken)
    {
        var cached = Interlocked.Exchange(ref _cachedBlocks, null);
        if (cached is not null && cached.Length == blockCount && cached[0].Length == blockSize)
        {
            _blocks = cached;
        }
        else
        {
            _blocks = new byte[blockCount][];
            for (var i = 0; i < blockCount; i++)
            {
                _blocks[i] = GC.AllocateUninitializedArray<byte>(blockSize, pinned: true);
            }
        }

        _lengths = new int[blockCount];
        _cancellationToken = cancellationToken;
        _registration = cancellationToken.Register(static state => ((NarBlockRing)state!).WakeAll(), this);
    }

    /// <summary>Producer: waits for a free block.</summary>
    public byte[] AcquireFree()
    {
        lock (_gate)
        {
            while (_produced - _consumed >= _blocks.Length)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_gate);
            }

            _cancellationToken.ThrowIfCancellationRequested();
            return _blocks[_produced % _blocks.Length];
        }
    }

    /// <summary>Producer: hands the block from <see cref="AcquireFree"/> with <paramref name="length"/> bytes to the consumer.</summary>
    public void Publish(int length)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _lengths[_produced % _blocks.Length] = length;
            _produced++;
            waiter = _asyncWaiter;
            _asyncWaiter = null;
            Monitor.PulseAll(_gate);
        }

        waiter?.TrySetResult();
    }

    /// <summary>Producer: no more blocks follow; <paramref name="error"/> is rethrown to the consumer if set.</summary>
    public void Complete(Exception? error)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            if (error is not null)
            {
                _error = ExceptionDispatchInfo.Capture(error);
            }

            _completed = true;
            waiter = _asyncWaiter;
            _asyncWaiter = null;
            Monitor.PulseAll(_gate);
        }

        waiter?.TrySetResult();
    }

    /// <summary>Consumer: waits for the next block; false once the producer completed.</summary>
    public bool TryTake(out ArraySegment<byte> block)
    {
        lock (_gate)
        {
            while (_consumed == _produced && !_completed)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_gate);
            }

            return Next(out block);
        }
    }

    /// <summary>Consumer: waits asynchronously for the next block; null once the producer completed.</summary>
    public async ValueTask<ArraySegment<byte>?> TakeAsync()
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (_consumed < _produced || _completed)
                {
                    return Next(out var block) ? block : (ArraySegment<byte>?)null;
                }

                _asyncWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _asyncWaiter.Task;
            }

            await wait.WaitAsync(_cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Consumer: returns the block from the last successful take.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _consumed++;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Offers the blocks for reuse; call only after both sides have stopped.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        Interlocked.CompareExchange(ref _cachedBlocks, _blocks, null);
    }

    private void WakeAll()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _asyncWaiter;
            _asyncWaiter = null;
            Monitor.PulseAll(_gate);
        }

        waiter?.TrySetCanceled(_cancellationToken);
    }

    // Called under the lock.
    private bool Next(out ArraySegment<byte> block)
    {
        if (_consumed < _produced)
        {
            var index = (int)(_consumed % _blocks.Length);
            block = new ArraySegment<byte>(_blocks[index], 0, _lengths[index]);
            return true;
        }

        block = default;
        _error?.Throw();
        return false;
    }
}
