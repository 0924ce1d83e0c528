namespace Attest.Verifier.Logs;

/// <summary>
/// A log proved dishonest or unusable: a checkpoint that does not verify, a fork from a checkpoint seen earlier, a tile
/// or entry that does not match the signed tree. Never a quiet "not trusted": the caller reports it loudly.
/// </summary>
public sealed class LogIntegrityException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogIntegrityException()
    {
    }

    /// <summary>Creates the exception with a message naming the log and what did not match.</summary>
    /// <param name="message">The message.</param>
    public LogIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LogIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets whether the log was caught presenting two views that cannot both be true (a fork).</summary>
    public bool IsFork { get; init; }
}
