namespace Attest.Agent.Core.Hook;

/// <summary>A build could not be attested; the message says what was wrong and where. Nothing was spooled.</summary>
public sealed class AttestationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AttestationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong and where.</param>
    public AttestationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">What was wrong and where.</param>
    /// <param name="innerException">The cause.</param>
    public AttestationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
