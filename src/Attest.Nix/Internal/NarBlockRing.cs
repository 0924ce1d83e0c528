using System.Runtime.ExceptionServices;

namespace Attest.Nix.Internal;

/// <summary>
/// A single-producer single-consumer ring of large pinned blocks: the NAR walker fills blocks on its own thread
/// while the caller hashes or writes the previous ones, so reading overlaps hashing.
/// </summary>
internal sealed class NarBlockRing : IDisposable
{
    // One set of blocks is kept between walks (the hook hashes several outputs in a row), so repeated hashing does
    // not allocate megabytes of pinned memory each time; concurrent walks simply allocate their own.
    private static byte[][]? _cachedBlocks;

    private readonly byte[][] _blocks;
    private readonly int[] _lengths;
    private readonly SemaphoreSlim _free;
    private readonly SemaphoreSlim _filled;
    private int _produced;
    private int _published;
    private int _consumed;
    private volatile ExceptionDispatchInfo? _error;

    public NarBlockRing(int blockCount, int blockSize)
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
        _free = new SemaphoreSlim(blockCount, blockCount);
        _filled = new SemaphoreSlim(0, blockCount + 1);
    }

    /// <summary>Producer: waits for a free block.</summary>
    public byte[] AcquireFree(CancellationToken cancellationToken)
    {
        _free.Wait(cancellationToken);
        return _blocks[_produced % _blocks.Length];
    }

    /// <summary>Producer: hands the block from <see cref="AcquireFree"/> with <paramref name="length"/> bytes to the consumer.</summary>
    public void Publish(int length)
    {
        _lengths[_produced % _blocks.Length] = length;
        _produced++;
        Volatile.Write(ref _published, _produced);
        _filled.Release();
    }

    /// <summary>Producer: no more blocks follow; <paramref name="error"/> is rethrown to the consumer if set.</summary>
    public void Complete(Exception? error)
    {
        if (error is not null)
        {
            _error = ExceptionDispatchInfo.Capture(error);
        }

        _filled.Release();
    }

    /// <summary>Consumer: waits for the next block; false once the producer completed.</summary>
    public bool TryTake(CancellationToken cancellationToken, out ArraySegment<byte> block)
    {
        _filled.Wait(cancellationToken);
        return Next(out block);
    }

    /// <summary>Consumer: waits asynchronously for the next block; null once the producer completed.</summary>
    public async ValueTask<ArraySegment<byte>?> TakeAsync(CancellationToken cancellationToken)
    {
        await _filled.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Next(out var block) ? block : (ArraySegment<byte>?)null;
    }

    /// <summary>Consumer: returns the block from the last successful take.</summary>
    public void Release()
    {
        _consumed++;
        _free.Release();
    }

    /// <summary>Releases the semaphores and offers the blocks for reuse; call only after both sides have stopped.</summary>
    public void Dispose()
    {
        _free.Dispose();
        _filled.Dispose();
        Interlocked.CompareExchange(ref _cachedBlocks, _blocks, null);
    }

    private bool Next(out ArraySegment<byte> block)
    {
        if (_consumed < Volatile.Read(ref _published))
        {
            var index = _consumed % _blocks.Length;
            block = new ArraySegment<byte>(_blocks[index], 0, _lengths[index]);
            return true;
        }

        block = default;
        _error?.Throw();
        return false;
    }
}
