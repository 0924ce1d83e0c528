using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Attest.LoadGen;

/// <summary>
/// One persistent HTTP/1.1 connection with the least client work per request: the request head is formatted into a
/// reused buffer, head and body go out in one gathered send, and the response is parsed in place (status code,
/// Content-Length, body). The load generator shares the server's two cores, so every microsecond it spends is one
/// the server cannot use; HttpClient costs about 100 µs of CPU per request here, this a small fraction of that.
/// Only what the log server sends is understood (Content-Length bodies, no chunking): anything else is an error.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private const int MaxResponseBytes = 1 << 20;

    private readonly Socket _socket;
    private readonly string _host;
    private readonly byte[] _head = new byte[512];
    private readonly List<ArraySegment<byte>> _segments = new(2);
    private byte[] _buffer = new byte[16 * 1024];
    private int _buffered;

    private RawHttpConnection(Socket socket, string host)
    {
        _socket = socket;
        _host = host;
    }

    public static async Task<RawHttpConnection> ConnectAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(url.Host, url.Port), cancellationToken);
            return new RawHttpConnection(socket, url.Authority);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request and reads its response; the body is valid until the next call.</summary>
    public async ValueTask<RawResponse> SendAsync(string method, string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var head = Encoding.ASCII.GetBytes(
            $"{method} {path} HTTP/1.1\r\nHost: {_host}\r\n" + (method == "GET" ? "\r\n" : $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"),
            _head);
        _segments.Clear();
        _segments.Add(new ArraySegment<byte>(_head, 0, head));
        if (!body.IsEmpty)
        {
            _segments.Add(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var array) ? array : new ArraySegment<byte>(body.ToArray()));
        }

        var total = head + body.Length;
        var sent = await _socket.SendAsync(_segments, SocketFlags.None);
        if (sent != total)
        {
            // A blocking-mode socket sends everything or throws; anything else is a broken connection.
            throw new IOException($"sent {sent} of {total} bytes");
        }

        return await ReadResponseAsync(cancellationToken);
    }

    private async ValueTask<RawResponse> ReadResponseAsync(CancellationToken cancellationToken)
    {
        _buffered = 0;
        var headEnd = -1;
        while (headEnd < 0)
        {
            await FillAsync(cancellationToken);
            headEnd = _buffer.AsSpan(0, _buffered).IndexOf("\r\n\r\n"u8);
        }

        var head = _buffer.AsSpan(0, headEnd);
        if (head.Length < 12 || !head.StartsWith("HTTP/1.1 "u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
        {
            throw new IOException("malformed HTTP response status line");
        }

        var contentLength = 0;
        var at = head.IndexOf("\r\nContent-Length: "u8);
        if (at >= 0 && !Utf8Parser.TryParse(head[(at + 18)..], out contentLength, out _))
        {
            throw new IOException("malformed Content-Length");
        }

        if (contentLength is < 0 or > MaxResponseBytes)
        {
            throw new IOException($"response body of {contentLength} bytes is out of range");
        }

        var bodyStart = headEnd + 4;
        var end = bodyStart + contentLength;
        if (end > _buffer.Length)
        {
            Array.Resize(ref _buffer, end);
        }

        while (_buffered < end)
        {
            await FillAsync(cancellationToken);
        }

        if (_buffered != end)
        {
            throw new IOException("the server sent more than one response");
        }

        return new RawResponse(status, new ReadOnlyMemory<byte>(_buffer, bodyStart, contentLength));
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_buffered == _buffer.Length)
        {
            if (_buffer.Length >= MaxResponseBytes)
            {
                throw new IOException("response head too large");
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_buffered), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _buffered += read;
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A response: its status code and body.</summary>
internal readonly record struct RawResponse(int Status, ReadOnlyMemory<byte> Body)
{
    /// <summary>The value of the first <c>"index":</c> member of a JSON body, or -1.</summary>
    public long Index()
    {
        var span = Body.Span;
        var at = span.IndexOf("\"index\":"u8);
        return at >= 0 && Utf8Parser.TryParse(span[(at + 8)..], out long value, out _) ? value : -1;
    }
}
