namespace Attest.Tpm.Transport;

/// <summary>
/// A Linux TPM character device: /dev/tpmrm0 (the kernel resource manager, which flushes a connection's
/// transient objects and sessions when it is closed) or /dev/tpm0 (direct, exclusive access). One write()
/// carries the whole command and read() returns the response.
/// </summary>
public sealed class DeviceTpmTransport : TpmTransport
{
    private readonly string _path;
    private readonly FileStream _stream;

    /// <summary>Opens the device.</summary>
    /// <exception cref="TpmTransportException">The device does not exist or cannot be opened.</exception>
    public DeviceTpmTransport(string path, TimeSpan commandTimeout)
        : base(commandTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = path;
        try
        {
            // bufferSize 0: no FileStream buffering, so each write() is exactly one command as the driver requires.
            _stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0, FileOptions.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TpmTransportException($"Cannot open TPM device {path}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public override bool HasResourceManager => _path.Contains("tpmrm", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string Description => $"device {_path}";

    /// <inheritdoc/>
    protected override async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(command, cancellationToken).ConfigureAwait(false);

        // The driver hands back the response from its own buffer (4 KiB); read until the header's size is in.
        byte[] buffer = new byte[MaxResponseSize];
        int filled = 0;
        int expected = int.MaxValue;
        while (filled < expected)
        {
            int read = await _stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new TpmTransportException($"{Description}: end of stream after {filled} response bytes.");
            }

            filled += read;
            if (expected == int.MaxValue && filled >= HeaderSize)
            {
                expected = ReadResponseSize(buffer, Description);
            }
        }

        if (filled != expected)
        {
            throw new TpmTransportException($"{Description}: read {filled} bytes but the response header says {expected}.");
        }

        return buffer.AsSpan(0, filled).ToArray();
    }

    /// <inheritdoc/>
    protected override void DisposeTransport() => _stream.Dispose();
}
