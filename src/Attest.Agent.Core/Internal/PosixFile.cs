using System.Runtime.InteropServices;

namespace Attest.Agent.Core.Internal;

/// <summary>Durable file operations: write-then-rename with fsync of the file and its directory.</summary>
internal static partial class PosixFile
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux
    private const int CloseOnExec = 0x80000; // O_CLOEXEC on Linux

    /// <summary>Prefix of temporary files; readers ignore them and <see cref="Spool.Outbox"/> cleans up leftovers.</summary>
    public const string TemporaryPrefix = ".tmp-";

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="directory"/>/<paramref name="name"/> so that a crash at
    /// any point leaves either no file or the complete file: write to a temporary file, fsync it, rename it over
    /// the final name, fsync the directory (the rename is only durable once the directory is).
    /// </summary>
    /// <exception cref="IOException">The write failed (the temporary file has been removed).</exception>
    public static void WriteAtomically(string directory, string name, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var temporary = Path.Combine(directory, $"{TemporaryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
                // Reserving the space up front makes a full disk fail here, before any byte is written.
                PreallocationSize = content.Length,
            }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path.Combine(directory, name), overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        SyncDirectory(directory);
    }

    /// <summary>Renames a file and makes the rename durable in both directories.</summary>
    public static void MoveDurably(string source, string destination)
    {
        File.Move(source, destination, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(destination)!);
        var sourceDirectory = Path.GetDirectoryName(source)!;
        if (!string.Equals(sourceDirectory, Path.GetDirectoryName(destination), StringComparison.Ordinal))
        {
            SyncDirectory(sourceDirectory);
        }
    }

    /// <summary>Deletes a file and makes the deletion durable.</summary>
    public static void DeleteDurably(string path)
    {
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>fsyncs a directory so that entries created, renamed or removed in it survive a crash.</summary>
    /// <exception cref="IOException">The directory cannot be opened or synced.</exception>
    public static void SyncDirectory(string directory)
    {
        var fd = Open(directory, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException(
                $"Cannot open directory '{directory}' to sync it: errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed: errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Deletes a file, ignoring failures (used to clean up after another failure).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is what the caller reports; a leftover temporary file is removed by the next
            // clean-up pass.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
