using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Attest.Transparency.Checkpoints;

namespace Attest.Transparency.Witness;

/// <summary>
/// A durable witness state store: one file per origin in a directory, holding the latest cosigned checkpoint note.
/// Updates write a temporary file, flush it to disk, and rename it over the old one, so a crash leaves either the
/// old or the new state. One process may use a directory at a time; within it, updates are serialised.
/// </summary>
public sealed class FileWitnessStateStore : IWitnessStateStore, IDisposable
{
    private readonly string _directory;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Opens (creating if needed) a state directory.</summary>
    public FileWitnessStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    /// <inheritdoc/>
    public async ValueTask<WitnessLogState?> GetAsync(string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadAsync(origin, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CompareAndSetAsync(string origin, WitnessLogState? expected, WitnessLogState next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await ReadAsync(origin, cancellationToken).ConfigureAwait(false);
            bool matches = expected is null ? current is null : current is { } c && c.SameTree(expected.Value);
            if (!matches)
            {
                return false;
            }

            string path = PathFor(origin);
            string temporary = path + ".tmp";
            using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                await RandomAccess.WriteAsync(handle, next.CheckpointNote, 0, cancellationToken).ConfigureAwait(false);

                // fsync: the state must be on disk before the witness answers (c2sp.org/tlog-witness).
                RandomAccess.FlushToDisk(handle);
            }

            File.Move(temporary, path, overwrite: true);
            FlushDirectory();
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    private async Task<WitnessLogState?> ReadAsync(string origin, CancellationToken cancellationToken)
    {
        string path = PathFor(origin);
        if (!File.Exists(path))
        {
            return null;
        }

        var info = new FileInfo(path);
        if (info.Length > AddCheckpointRequest.MaxBodyBytes)
        {
            throw WitnessError.CorruptState(path, $"is {info.Length} bytes, larger than any checkpoint");
        }

        byte[] note = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (!SignedCheckpoint.TryParse(note, out var checkpoint, out string? error))
        {
            throw WitnessError.CorruptState(path, $"is corrupt: {error}");
        }

        if (!string.Equals(checkpoint.Checkpoint.Origin, origin, StringComparison.Ordinal))
        {
            throw WitnessError.CorruptState(path, $"holds origin '{checkpoint.Checkpoint.Origin}', not '{origin}'");
        }

        return new WitnessLogState(checkpoint.Checkpoint.TreeSize, checkpoint.Checkpoint.RootHash, note);
    }

    // Origins are arbitrary text; a hash makes a safe, fixed-length file name.
    private string PathFor(string origin) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin))) + ".checkpoint");

    // The rename is durable only once the directory entry is on disk (POSIX); .NET cannot open a directory, so this
    // goes to libc directly.
    private void FlushDirectory()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        int fd = NativeMethods.Open(_directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw WitnessError.FlushFailed(_directory, "open", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                throw WitnessError.FlushFailed(_directory, "fsync", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
