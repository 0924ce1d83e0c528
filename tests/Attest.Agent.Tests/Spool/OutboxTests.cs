using System.Diagnostics;
using System.Text;
using Attest.Agent.Core.Spool;
using Attest.Agent.Tests.Infrastructure;

namespace Attest.Agent.Tests.Spool;

public sealed class OutboxTests
{
    private static readonly byte[] Document = Encoding.UTF8.GetBytes("""{"dsse":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}""");

    [Fact]
    public void Enqueue_Document_IsListedWithExactBytes()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);

        var spooled = outbox.Enqueue(Document);

        var pending = Assert.Single(outbox.ListPending());
        Assert.Equal(spooled, pending);
        Assert.Equal(Document, Outbox.Read(pending));
        Assert.EndsWith(".json", spooled.Name, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(outbox.PendingDirectory, ".tmp-*"));
    }

    [Fact]
    public void Enqueue_File_HasModeWithoutWorldAccess()
    {
        using var dir = new TempDirectory();
        var spooled = new Outbox(dir.Path).Enqueue(Document);

        var mode = File.GetUnixFileMode(spooled.FullPath);

        Assert.Equal(UnixFileMode.None, mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));
    }

    [Fact]
    public void Enqueue_EmptyDocument_ThrowsAndWritesNothing()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);

        Assert.Throws<SpoolException>(() => outbox.Enqueue([]));
        Assert.Empty(outbox.ListPending());
    }

    [Fact]
    public void ListPending_SeveralDocuments_InWriteOrder()
    {
        using var dir = new TempDirectory();
        var time = new SteppingTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var outbox = new Outbox(dir.Path, time);
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            names.Add(outbox.Enqueue(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")).Name);
        }

        Assert.Equal(names, outbox.ListPending().Select(d => d.Name));
    }

    [Fact]
    public void CleanTemporaryFiles_LeftoverOfDeadWriter_RemovedAndNeverListed()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.EnsureCreated();
        var deadPid = ExitedProcessId();
        var leftover = Path.Combine(outbox.PendingDirectory, $".tmp-{deadPid}-{Guid.NewGuid():N}");
        File.WriteAllBytes(leftover, Document.AsSpan(0, 10).ToArray());

        Assert.Empty(outbox.ListPending());
        Assert.Equal(1, outbox.CleanTemporaryFiles(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public void CleanTemporaryFiles_RecentFileOfLiveWriter_Kept()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.EnsureCreated();
        var inFlight = Path.Combine(outbox.PendingDirectory, $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllBytes(inFlight, [1, 2, 3]);

        Assert.Equal(0, outbox.CleanTemporaryFiles(TimeSpan.FromHours(1)));
        Assert.True(File.Exists(inFlight));
    }

    [Fact]
    public void Enqueue_DiskFull_FailsClearlyAndLeavesNoPartialFile()
    {
        using var dir = new TempDirectory();
        using var disk = TmpfsMount.Create(dir.Combine("spool"), sizeKiB: 64);
        var outbox = new Outbox(disk.Path);
        outbox.Enqueue(Document);
        var big = new byte[200 * 1024];
        Array.Fill(big, (byte)'x');

        var error = Assert.Throws<SpoolException>(() => outbox.Enqueue(big));

        Assert.Contains("outbox", error.Message, StringComparison.Ordinal);
        Assert.Single(outbox.ListPending());
        Assert.Empty(Directory.EnumerateFiles(outbox.PendingDirectory, ".tmp-*"));
        Assert.Equal(Document, Outbox.Read(outbox.ListPending()[0]));
    }

    [Fact]
    public void DeadLetter_Document_MovedWithReason()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        var spooled = outbox.Enqueue(Document);

        outbox.DeadLetter(spooled, new DeadLetterReason(spooled.Name, new Uri("http://127.0.0.1:1/"), 400,
            """{"title":"bad subject"}""", DateTimeOffset.UnixEpoch));

        Assert.Empty(outbox.ListPending());
        Assert.Equal(1, outbox.CountDeadLetters());
        Assert.Equal(Document, File.ReadAllBytes(Path.Combine(outbox.DeadLetterDirectory, spooled.Name)));
        Assert.Contains("bad subject", File.ReadAllText(Path.Combine(outbox.DeadLetterDirectory, spooled.Stem + ".reason.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteReceipt_ThenComplete_ReceiptKeptDocumentGone()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        var spooled = outbox.Enqueue(Document);
        var log = new Uri("http://127.0.0.1:9/");

        Assert.False(outbox.HasReceipt(spooled, Outbox.LogKey(log)));
        outbox.WriteReceipt(spooled, new DeliveryReceipt(spooled.Name, log, 42, 201, DateTimeOffset.UnixEpoch));
        Outbox.Complete(spooled);

        Assert.True(outbox.HasReceipt(spooled, Outbox.LogKey(log)));
        Assert.Empty(outbox.ListPending());
        Assert.Equal(42, Assert.Single(outbox.ReadReceipts()).Index);
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
