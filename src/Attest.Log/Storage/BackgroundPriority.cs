using System.Runtime.InteropServices;

namespace Attest.Log.Storage;

/// <summary>
/// Lowers the CPU priority of RocksDB's compaction threads on Linux. On a small machine a compaction can take a whole
/// core for a second or two; at normal priority that second is taken from the requests waiting for their
/// acknowledgement, which then queue. At a lower priority compactions use the time the log leaves idle and, when the
/// cores are saturated, still get a share (RocksDB slows writes itself if compactions fall far behind). Flush
/// threads keep normal priority: a memtable that cannot be flushed stops writes.
/// </summary>
internal static partial class BackgroundPriority
{
    /// <summary>The nice value given to compaction threads (0 is normal, 19 lowest).</summary>
    public const int CompactionNice = 10;

    private const string CompactionThreadName = "rocksdb:low";
    private const int PrioProcess = 0;

    /// <summary>Applies <see cref="CompactionNice"/> to this process's compaction threads; returns how many it changed.</summary>
    public static int LowerCompactionThreads()
    {
        if (!OperatingSystem.IsLinux() || !System.IO.Directory.Exists("/proc/self/task"))
        {
            return 0;
        }

        var changed = 0;
        foreach (var task in System.IO.Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n').StartsWith(CompactionThreadName, StringComparison.Ordinal) &&
                    int.TryParse(Path.GetFileName(task), out var tid) && SetPriority(PrioProcess, tid, CompactionNice) == 0)
                {
                    changed++;
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }

        return changed;
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
