namespace Attest.Agent.Core.Spool;

/// <summary>The spool could not be written or read (full disk, permissions, ...).</summary>
public sealed class SpoolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SpoolException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed and where.</param>
    public SpoolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">What failed and where.</param>
    /// <param name="innerException">The cause.</param>
    public SpoolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
