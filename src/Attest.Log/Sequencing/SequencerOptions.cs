namespace Attest.Log.Sequencing;

/// <summary>How the sequencer batches submissions.</summary>
public sealed class SequencerOptions
{
    /// <summary>Most entries in one synced write.</summary>
    public int MaxBatchSize { get; set; } = 2048;

    /// <summary>Longest a batch waits for more entries after its first one arrived.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Most submissions waiting to be sequenced; beyond it submissions are refused (HTTP 503).</summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Checks the values and throws naming the first bad one.</summary>
    public void Validate()
    {
        if (MaxBatchSize is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "The batch size must be between 1 and 1,000,000.");
        }

        if (BatchInterval < TimeSpan.Zero || BatchInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(BatchInterval), BatchInterval, "The batch interval must be between 0 and 10 s.");
        }

        if (QueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "The queue capacity must be at least 1.");
        }
    }
}
