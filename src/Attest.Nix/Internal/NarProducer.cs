namespace Attest.Nix.Internal;

/// <summary>Runs a <see cref="NarFileSystemWalker"/> on a dedicated thread, filling a <see cref="NarBlockRing"/>.</summary>
internal sealed class NarProducer : IDisposable
{
    // Four 1 MiB blocks: large enough that each read() and hash call amortises its overhead, small enough to stay
    // in L2/L3 between the reader thread writing a block and the hashing thread reading it.
    private const int BlockCount = 4;
    private const int BlockSize = 1 << 20;

    private readonly CancellationTokenSource _cancellation;
    private readonly Thread _thread;
    private readonly string _path;
    private readonly int _maxDepth;
    private long _length;

    public NarProducer(string path, int maxDepth, CancellationToken cancellationToken)
    {
        if (!LibC.IsSupported)
        {
            throw new PlatformNotSupportedException("NAR serialisation of filesystem paths is implemented for Linux (x86-64, arm64).");
        }

        _path = path;
        _maxDepth = maxDepth;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Ring = new NarBlockRing(BlockCount, BlockSize, _cancellation.Token);
        _thread = new Thread(Run) { IsBackground = true, Name = "NAR reader" };
        _thread.Start();
    }

    public NarBlockRing Ring { get; }

    /// <summary>Total NAR length; valid once the ring reported completion without error.</summary>
    public long Length => Volatile.Read(ref _length);

    public void Dispose()
    {
        _cancellation.Cancel();
        _thread.Join();
        Ring.Dispose();
        _cancellation.Dispose();
    }

    private void Run()
    {
        Exception? error = null;
        try
        {
            var writer = new NarBlockWriter(Ring, _cancellation.Token);
            new NarFileSystemWalker(writer, _path, _maxDepth, _cancellation.Token).Run();
            writer.Finish();
            Volatile.Write(ref _length, writer.Length);
        }
#pragma warning disable CA1031 // Any failure on the reader thread is handed to the consumer and rethrown there.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
        }
        finally
        {
            Ring.Complete(error);
        }
    }
}
