namespace Attest.Nix.Nar;

/// <summary>
/// Thrown when a filesystem path cannot be serialised to a NAR: it is missing or unreadable, it is (or contains) a
/// socket, FIFO or device, it changed while being read, or it exceeds a limit. The message names the path.
/// </summary>
public sealed class NarSerializationException : IOException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public NarSerializationException()
        : this("The path cannot be serialised to a NAR.")
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/>.</summary>
    /// <param name="message">What was wrong.</param>
    public NarSerializationException(string message)
        : this(message, string.Empty, 0)
    {
    }

    /// <summary>Creates an exception wrapping <paramref name="innerException"/>.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public NarSerializationException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    /// <summary>Creates an exception about <paramref name="path"/>.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="path">The offending path.</param>
    /// <param name="errorNumber">The operating system error number, or 0.</param>
    public NarSerializationException(string message, string path, int errorNumber)
        : base(message)
    {
        Path = path;
        ErrorNumber = errorNumber;
    }

    /// <summary>The path that could not be serialised.</summary>
    public string Path { get; }

    /// <summary>The operating system error number (errno), or 0 when the problem was not a failed call.</summary>
    public int ErrorNumber { get; }
}
