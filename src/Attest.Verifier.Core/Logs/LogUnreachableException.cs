using System.Net;

namespace Attest.Verifier.Logs;

/// <summary>
/// Thrown when a log cannot be read (connection failure, an error status): not evidence of misbehaviour. It is an
/// <see cref="HttpRequestException"/>, so callers that treat any HTTP failure as "unreachable" need no extra case.
/// </summary>
public sealed class LogUnreachableException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    public LogUnreachableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public LogUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LogUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message, cause and the status the log answered.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    /// <param name="statusCode">The HTTP status, if the log answered.</param>
    public LogUnreachableException(string message, Exception? innerException, HttpStatusCode? statusCode)
        : base(message, innerException, statusCode)
    {
    }
}
