namespace Attest.Tpm.Transport;

/// <summary>
/// Carries one marshalled TPM command to a TPM and returns its response. Implementations run one command at a
/// time (callers may share an instance across threads) and cap the response size.
/// </summary>
public interface ITpmTransport : IDisposable
{
    /// <summary>
    /// True when a resource manager sits between us and the TPM (the kernel's /dev/tpmrm0) and flushes what a
    /// connection leaves behind; false for /dev/tpm0 and TCP simulators, where transient objects must be flushed.
    /// </summary>
    bool HasResourceManager { get; }

    /// <summary>A description for logs and errors, e.g. "swtpm 127.0.0.1:2321".</summary>
    string Description { get; }

    /// <summary>Sends <paramref name="command"/> and returns the complete response (header included).</summary>
    /// <exception cref="TpmTransportException">The TPM could not be reached or answered with a malformed frame.</exception>
    Task<byte[]> ExecuteAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken);
}

/// <summary>The transport to the TPM failed: connection, I/O, framing or a size cap.</summary>
public sealed class TpmTransportException : IOException
{
    /// <summary>Creates the exception.</summary>
    public TpmTransportException()
        : base("TPM transport failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
