namespace Attest.Log.Sequencing;

/// <summary>The durable side of the sequencer: owns the tree size and writes batches of new entries.</summary>
public interface IEntryAppender
{
    /// <summary>The number of entries durably in the log; the next entry gets this index.</summary>
    long Size { get; }

    /// <summary>The index of an already-durable document with this digest, or null.</summary>
    long? FindDuplicate(ReadOnlySpan<byte> digest);

    /// <summary>
    /// Appends <paramref name="entries"/> at indexes <see cref="Size"/> onward in one synced write and advances
    /// <see cref="Size"/>; when this returns the entries are durable. Called from one thread at a time.
    /// </summary>
    void Append(IReadOnlyList<LogEntry> entries);
}
