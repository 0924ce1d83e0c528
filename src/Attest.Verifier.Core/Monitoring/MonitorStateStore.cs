using System.Security.Cryptography;
using System.Text;

namespace Attest.Verifier.Monitoring;

/// <summary>
/// Keeps each log's <see cref="MonitorState"/> in its own file under a directory, written atomically: a temp file is
/// written and fsynced, then renamed over the old one, so a crash leaves either the old or the new state.
/// </summary>
public sealed class MonitorStateStore
{
    /// <summary>Creates the store (and the directory).</summary>
    /// <param name="directory">The state directory.</param>
    public MonitorStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        DirectoryPath = directory;
    }

    /// <summary>Gets the state directory.</summary>
    public string DirectoryPath { get; }

    /// <summary>The file that holds the state of <paramref name="origin"/>: a readable prefix and a hash of the origin, since origins may hold any character.</summary>
    /// <param name="origin">The log's origin.</param>
    /// <returns>The file path.</returns>
    public string PathFor(string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        var readable = new string([.. origin.Take(48).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)))[..16];
        return Path.Combine(DirectoryPath, $"{readable}-{hash}.json");
    }

    /// <summary>Loads the state of <paramref name="origin"/>, or the empty state when there is none.</summary>
    /// <param name="origin">The log's origin.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state.</returns>
    /// <exception cref="FormatException">The file is corrupt or belongs to another origin.</exception>
    public async Task<MonitorState> LoadAsync(string origin, CancellationToken cancellationToken)
    {
        var path = PathFor(origin);
        if (!File.Exists(path))
        {
            return MonitorState.Empty(origin);
        }

        var length = new FileInfo(path).Length;
        if (length > MonitorState.MaxFileBytes)
        {
            throw new FormatException($"Monitor state file {path} is {length} bytes; the limit is {MonitorState.MaxFileBytes}.");
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (!MonitorState.TryParse(bytes, out var state, out var error))
        {
            throw new FormatException($"Monitor state file {path}: {error}");
        }

        if (!string.Equals(state.Origin, origin, StringComparison.Ordinal))
        {
            throw new FormatException($"Monitor state file {path} is for origin \"{state.Origin}\", not \"{origin}\".");
        }

        return state;
    }

    /// <summary>Saves the state atomically (write, fsync, rename).</summary>
    /// <param name="state">The state.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the state is durable.</returns>
    public async Task SaveAsync(MonitorState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var path = PathFor(state.Origin);
        var temp = path + ".tmp";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(state.ToJson(), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
#pragma warning disable CA1849 // Flush(true) is fsync; FlushAsync has no flush-to-disk form.
            stream.Flush(flushToDisk: true);
#pragma warning restore CA1849
        }

        File.Move(temp, path, overwrite: true);
    }
}
