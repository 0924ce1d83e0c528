using System.Buffers.Binary;
using System.Net.Sockets;

namespace Attest.Tpm.Transport;

/// <summary>How commands are framed on a TCP connection to a software TPM.</summary>
public enum TcpFraming
{
    /// <summary>The bare command and response bytes (swtpm's server socket).</summary>
    Raw,

    /// <summary>
    /// Microsoft simulator framing: u32 TPM_SEND_COMMAND (8), u8 locality, u32 length, command; the response is
    /// u32 length, bytes, u32 0. swtpm's server port accepts it too.
    /// </summary>
    Mssim,
}

/// <summary>
/// A TPM reached over TCP (swtpm or the Microsoft simulator). There is no resource manager: whoever creates
/// transient objects or sessions must flush them.
/// </summary>
public sealed class TcpTpmTransport : TpmTransport
{
    private const uint MssimSendCommand = 8;

    private readonly string _host;
    private readonly int _port;
    private readonly TcpFraming _framing;
    private Socket? _socket;

    /// <summary>Creates the transport; the connection is made on the first command.</summary>
    public TcpTpmTransport(string host, int port, TcpFraming framing, TimeSpan commandTimeout)
        : base(commandTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _host = host;
        _port = port;
        _framing = framing;
    }

    /// <summary>The locality sent with mssim framing (0 for ordinary software).</summary>
    public byte Locality { get; init; }

    /// <inheritdoc/>
    public override bool HasResourceManager => false;

    /// <inheritdoc/>
    public override string Description => $"{(_framing == TcpFraming.Mssim ? "mssim" : "swtpm")} {_host}:{_port}";

    /// <inheritdoc/>
    protected override async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
    {
        Socket socket = _socket ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (_framing == TcpFraming.Raw)
        {
            await socket.SendAsync(command, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            byte[] header = new byte[HeaderSize];
            await ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false);
            int size = ReadResponseSize(header, Description);
            byte[] response = new byte[size];
            header.CopyTo(response, 0);
            await ReceiveExactlyAsync(socket, response.AsMemory(HeaderSize), cancellationToken).ConfigureAwait(false);
            return response;
        }

        byte[] prefix = new byte[9];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, MssimSendCommand);
        prefix[4] = Locality;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(5), (uint)command.Length);
        await socket.SendAsync(prefix, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(command, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        byte[] word = new byte[4];
        await ReceiveExactlyAsync(socket, word, cancellationToken).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (length is < HeaderSize or > MaxResponseSize)
        {
            throw new TpmTransportException($"{Description}: mssim response length {length} is outside {HeaderSize}..{MaxResponseSize}.");
        }

        byte[] body = new byte[length];
        await ReceiveExactlyAsync(socket, body, cancellationToken).ConfigureAwait(false);
        await ReceiveExactlyAsync(socket, word, cancellationToken).ConfigureAwait(false);
        uint trailer = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (trailer != 0)
        {
            throw new TpmTransportException($"{Description}: mssim acknowledgement is {trailer}, expected 0.");
        }

        return body;
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new TpmTransportException($"{Description}: connection closed in the middle of a response.");
            }

            buffer = buffer[read..];
        }
    }

    /// <inheritdoc/>
    protected override void DisposeTransport()
    {
        _socket?.Dispose();
        _socket = null;
    }
}
