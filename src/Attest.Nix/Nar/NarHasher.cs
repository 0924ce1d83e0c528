using System.Security.Cryptography;
using Attest.Nix.Internal;

namespace Attest.Nix.Nar;

/// <summary>
/// Computes Nix's NAR hash (<c>nix hash path</c>, <c>nix path-info</c>'s <c>narHash</c>/<c>narSize</c>) of a
/// filesystem path without materialising the NAR.
/// </summary>
/// <remarks>
/// One thread walks the tree and reads files into large blocks while the calling thread hashes the previous
/// blocks, so reading overlaps SHA-256. Filesystem paths are supported on Linux.
/// </remarks>
public static class NarHasher
{
    /// <summary>Default limit on directory nesting; deeper trees exceed PATH_MAX in any case.</summary>
    public const int DefaultMaxDepth = 2048;

    /// <summary>Hashes the NAR serialisation of <paramref name="path"/> with SHA-256.</summary>
    /// <param name="path">A file, directory or symlink (not followed).</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The NAR hash and size.</returns>
    /// <exception cref="NarSerializationException">The path cannot be serialised; the message names it.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux x86-64 or arm64.</exception>
    public static NarHashResult HashPath(string path, CancellationToken cancellationToken = default) =>
        HashPath(path, DefaultMaxDepth, cancellationToken);

    /// <summary>Hashes the NAR serialisation of <paramref name="path"/> with SHA-256, limiting nesting.</summary>
    /// <param name="path">A file, directory or symlink (not followed).</param>
    /// <param name="maxDepth">Maximum directory nesting below <paramref name="path"/>.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The NAR hash and size.</returns>
    /// <exception cref="NarSerializationException">The path cannot be serialised; the message names it.</exception>
    public static NarHashResult HashPath(string path, int maxDepth, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var producer = new NarProducer(path, maxDepth, cancellationToken);
        while (producer.Ring.TryTake(out var block))
        {
            hash.AppendData(block);
            producer.Ring.Release();
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new NarHashResult(NixHash.FromSha256(digest), producer.Length);
    }

    /// <summary>Hashes NAR bytes read from <paramref name="nar"/> (for example a downloaded, decompressed NAR).</summary>
    /// <param name="nar">The NAR stream, read to its end.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>SHA-256 and length of the bytes read.</returns>
    public static async Task<NarHashResult> HashNarAsync(Stream nar, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nar);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        int read;
        while ((read = await nar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            size += read;
        }

        return new NarHashResult(NixHash.FromSha256(hash.GetHashAndReset()), size);
    }
}
