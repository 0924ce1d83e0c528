namespace Attest.Log.Sequencing;

/// <summary>Why the sequencer refused or failed a submission.</summary>
public enum SequencerFailure
{
    /// <summary>The queue is full; retry later (HTTP 503 with Retry-After).</summary>
    QueueFull,

    /// <summary>The log is shutting down and takes no new submissions.</summary>
    ShuttingDown,

    /// <summary>A durable write failed; the log stopped sequencing to avoid an inconsistent state.</summary>
    StorageFailed,
}

/// <summary>A submission was not sequenced.</summary>
public sealed class SequencerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SequencerException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SequencerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SequencerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failure kind.</summary>
    public SequencerException(SequencerFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    /// <summary>What went wrong.</summary>
    public SequencerFailure Failure { get; }
}
