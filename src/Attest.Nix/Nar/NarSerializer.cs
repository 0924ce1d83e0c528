using Attest.Nix.Internal;

namespace Attest.Nix.Nar;

/// <summary>
/// Writes the NAR serialisation of a filesystem path (<c>nix-store --dump</c>) to a stream, byte for byte as Nix
/// does. Filesystem paths are supported on Linux.
/// </summary>
public static class NarSerializer
{
    /// <summary>Writes the NAR of <paramref name="path"/> to <paramref name="destination"/>.</summary>
    /// <param name="path">A file, directory or symlink (not followed).</param>
    /// <param name="destination">Receives the NAR.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="NarSerializationException">The path cannot be serialised; the message names it.</exception>
    public static long Dump(string path, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(destination);
        using var producer = new NarProducer(path, NarHasher.DefaultMaxDepth, cancellationToken);
        while (producer.Ring.TryTake(out var block))
        {
            destination.Write(block);
            producer.Ring.Release();
        }

        return producer.Length;
    }

    /// <summary>Writes the NAR of <paramref name="path"/> to <paramref name="destination"/> asynchronously.</summary>
    /// <param name="path">A file, directory or symlink (not followed).</param>
    /// <param name="destination">Receives the NAR.</param>
    /// <param name="cancellationToken">Cancels the walk and the writes.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="NarSerializationException">The path cannot be serialised; the message names it.</exception>
    public static async Task<long> DumpAsync(string path, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(destination);
        using var producer = new NarProducer(path, NarHasher.DefaultMaxDepth, cancellationToken);
        while (await producer.Ring.TakeAsync().ConfigureAwait(false) is { } block)
        {
            await destination.WriteAsync(block, cancellationToken).ConfigureAwait(false);
            producer.Ring.Release();
        }

        return producer.Length;
    }
}
