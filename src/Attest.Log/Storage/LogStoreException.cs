namespace Attest.Log.Storage;

/// <summary>The log's store could not be opened or is not in the state the log needs.</summary>
public sealed class LogStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogStoreException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LogStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LogStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
