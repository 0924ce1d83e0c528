using Attest.Log.Storage;

namespace Attest.Log.Tests.Storage;

public sealed class BackgroundPriorityTests
{
    /// <summary>The nice value of a thread of this process (field 19 of /proc/self/task/&lt;tid&gt;/stat).</summary>
    private static int Nice(string task)
    {
        var stat = File.ReadAllText(Path.Combine(task, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // fields after "(comm)" start at field 3
    }

    [Fact]
    public void Open_OnLinux_RunsCompactionThreadsAtLowerPriorityAndFlushThreadsAtNormal()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // priorities are set on Linux only, where the log is built and tested
        }

        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);

        var threads = Directory.EnumerateDirectories("/proc/self/task")
            .Select(task => (Task: task, Name: File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n')))
            .ToList();
        var compaction = threads.Where(t => t.Name.StartsWith("rocksdb:low", StringComparison.Ordinal)).ToList();
        var flush = threads.Where(t => t.Name.StartsWith("rocksdb:high", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(compaction);
        Assert.NotEmpty(flush);
        Assert.All(compaction, t => Assert.Equal(BackgroundPriority.CompactionNice, Nice(t.Task)));
        Assert.All(flush, t => Assert.Equal(0, Nice(t.Task)));
    }
}
