using System.Buffers.Binary;
using System.Globalization;

namespace Attest.Tpm.Transport;

/// <summary>
/// Base of the TPM transports: serialises commands (one in flight at a time), applies a per-command timeout and
/// checks response frames. <see cref="Open"/> picks a transport from a TCTI-style string.
/// </summary>
public abstract class TpmTransport : ITpmTransport
{
    /// <summary>Hard cap on a response: TPM responses are at most a few KiB (TPM 2.0 Part 2 MAX_RESPONSE_SIZE is 4096 on PC TPMs).</summary>
    public const int MaxResponseSize = 64 * 1024;

    /// <summary>Largest command this library will send.</summary>
    public const int MaxCommandSize = 64 * 1024;

    /// <summary>The size of a TPM response header: tag, responseSize, responseCode (TPM 2.0 Part 1 §18.8).</summary>
    public const int HeaderSize = 10;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _disposed;
    private bool _faulted;

    /// <summary>Creates the transport.</summary>
    protected TpmTransport(TimeSpan commandTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(commandTimeout, TimeSpan.Zero);
        CommandTimeout = commandTimeout;
    }

    /// <summary>How long one command may take before the transport gives up (RSA key generation on a hardware TPM can take tens of seconds).</summary>
    public TimeSpan CommandTimeout { get; }

    /// <inheritdoc/>
    public abstract bool HasResourceManager { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>
    /// Opens a transport from a TCTI-style string: <c>device:/dev/tpmrm0</c>, <c>device:/dev/tpm0</c>,
    /// <c>swtpm:host=127.0.0.1,port=2321</c> (raw commands over TCP) or <c>mssim:host=127.0.0.1,port=2321</c>
    /// (Microsoft simulator framing). Missing host/port default to 127.0.0.1 and 2321; a bare <c>device</c> means /dev/tpmrm0.
    /// </summary>
    /// <exception cref="ArgumentException">The string is not a supported TCTI.</exception>
    /// <exception cref="TpmTransportException">The TPM could not be opened.</exception>
    public static TpmTransport Open(string tcti, TimeSpan? commandTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(tcti);
        TimeSpan timeout = commandTimeout ?? TimeSpan.FromMinutes(2);
        int colon = tcti.IndexOf(':', StringComparison.Ordinal);
        string kind = (colon < 0 ? tcti : tcti[..colon]).Trim();
        string config = colon < 0 ? string.Empty : tcti[(colon + 1)..].Trim();
        switch (kind)
        {
            case "device":
                return new DeviceTpmTransport(config.Length == 0 ? "/dev/tpmrm0" : config, timeout);
            case "swtpm":
            case "mssim":
                (string host, int port) = ParseHostPort(tcti, config);
                return new TcpTpmTransport(host, port, kind == "mssim" ? TcpFraming.Mssim : TcpFraming.Raw, timeout);
            default:
                throw new ArgumentException($"Unsupported TCTI '{tcti}': expected device:, swtpm: or mssim:.", nameof(tcti));
        }
    }

    private static (string Host, int Port) ParseHostPort(string tcti, string config)
    {
        string host = "127.0.0.1";
        int port = 2321;
        if (config.Length == 0)
        {
            return (host, port);
        }

        foreach (string part in config.Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? string.Empty : part[..eq];
            string value = eq < 0 ? string.Empty : part[(eq + 1)..];
            switch (key)
            {
                case "host" when value.Length > 0:
                    host = value;
                    break;
                case "port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535:
                    port = p;
                    break;
                default:
                    throw new ArgumentException($"Unsupported TCTI option '{part}' in '{tcti}': expected host=<name> and port=<1-65535>.", nameof(tcti));
            }
        }

        return (host, port);
    }

    /// <inheritdoc/>
    public async Task<byte[]> ExecuteAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (command.Length is < HeaderSize or > MaxCommandSize)
        {
            throw new ArgumentException($"A TPM command is {HeaderSize} to {MaxCommandSize} bytes, not {command.Length}.", nameof(command));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_faulted)
            {
                throw new TpmTransportException($"{Description}: an earlier command was interrupted, so the stream position is unknown; reopen the transport.");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            try
            {
                byte[] response = await ExchangeAsync(command, timeout.Token).ConfigureAwait(false);
                CheckFrame(response);
                return response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _faulted = true;
                throw new TpmTransportException($"{Description}: no response within {CommandTimeout.TotalSeconds:0.#} s.");
            }
            catch (OperationCanceledException)
            {
                _faulted = true;
                throw;
            }
            catch (TpmTransportException)
            {
                _faulted = true;
                throw;
            }
            catch (IOException ex)
            {
                _faulted = true;
                throw new TpmTransportException($"{Description}: {ex.Message}", ex);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                _faulted = true;
                throw new TpmTransportException($"{Description}: {ex.Message}", ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes the command and reads one complete response frame (implementations read exactly the framed bytes).</summary>
    protected abstract Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a response header's size against the bytes received and the cap; the length comes from the TPM,
    /// so it is never used to allocate more than <see cref="MaxResponseSize"/>.
    /// </summary>
    protected static int ReadResponseSize(ReadOnlySpan<byte> header, string description)
    {
        uint size = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(2, 4));
        if (size is < HeaderSize or > MaxResponseSize)
        {
            throw new TpmTransportException($"{description}: response size {size} is outside {HeaderSize}..{MaxResponseSize}.");
        }

        return (int)size;
    }

    private void CheckFrame(byte[] response)
    {
        if (response.Length < HeaderSize)
        {
            throw new TpmTransportException($"{Description}: response of {response.Length} bytes is shorter than a header.");
        }

        int size = ReadResponseSize(response, Description);
        if (size != response.Length)
        {
            throw new TpmTransportException($"{Description}: response header says {size} bytes but {response.Length} arrived.");
        }
    }

    /// <summary>Releases the connection or device.</summary>
    protected abstract void DisposeTransport();

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            DisposeTransport();
            _gate.Dispose();
        }
    }
}
