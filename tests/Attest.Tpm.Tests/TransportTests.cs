using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Attest.Tpm.Transport;

namespace Attest.Tpm.Tests;

public sealed class TransportTests
{
    private static readonly byte[] StartupCommand = Convert.FromHexString("80010000000C000001440000");
    private static readonly byte[] SuccessResponse = Convert.FromHexString("80010000000A00000000");

    [Theory]
    [InlineData("swtpm:host=127.0.0.1,port=2400", "swtpm 127.0.0.1:2400")]
    [InlineData("swtpm:port=2400,host=localhost", "swtpm localhost:2400")]
    [InlineData("swtpm", "swtpm 127.0.0.1:2321")]
    [InlineData("mssim:", "mssim 127.0.0.1:2321")]
    [InlineData("mssim:host=10.0.0.1", "mssim 10.0.0.1:2321")]
    public void Open_TcpTcti_ParsesHostAndPort(string tcti, string description)
    {
        using TpmTransport transport = TpmTransport.Open(tcti);

        Assert.IsType<TcpTpmTransport>(transport);
        Assert.Equal(description, transport.Description);
        Assert.False(transport.HasResourceManager);
    }

    [Theory]
    [InlineData("tabrmd:")]
    [InlineData("swtpm:port=0")]
    [InlineData("swtpm:port=70000")]
    [InlineData("swtpm:port=abc")]
    [InlineData("swtpm:bogus=1")]
    [InlineData("swtpm:host=")]
    [InlineData("mssim:127.0.0.1")]
    public void Open_InvalidTcti_ThrowsArgumentException(string tcti) =>
        Assert.Throws<ArgumentException>(() => TpmTransport.Open(tcti));

    [Fact]
    public void Open_MissingDevice_ThrowsTransportException()
    {
        TpmTransportException ex = Assert.Throws<TpmTransportException>(() => TpmTransport.Open("device:/nonexistent/tpmrm0"));

        Assert.Contains("/nonexistent/tpmrm0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_Fifo_WritesCommandAndReadsFramedResponse()
    {
        // A FIFO opened read-write hands back what was written: a 10-byte header that is both a valid command and
        // a valid success response exercises the device transport's write()/read() path on a real descriptor.
        string dir = Directory.CreateTempSubdirectory("attest-fifo-").FullName;
        string fifo = Path.Combine(dir, "tpm");
        try
        {
            (int exit, string output) = await Swtpm.SwtpmInstance.RunAsync("mkfifo", fifo);
            Assert.True(exit == 0, output);
            using TpmTransport transport = TpmTransport.Open($"device:{fifo}");

            byte[] response = await transport.ExecuteAsync(SuccessResponse, CancellationToken.None);

            Assert.IsType<DeviceTpmTransport>(transport);
            Assert.False(transport.HasResourceManager);
            Assert.Equal(SuccessResponse, response);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Device_ResponseSizeAboveCap_ThrowsTransportException()
    {
        string dir = Directory.CreateTempSubdirectory("attest-fifo-").FullName;
        string fifo = Path.Combine(dir, "tpmrm0");
        try
        {
            (int exit, string output) = await Swtpm.SwtpmInstance.RunAsync("mkfifo", fifo);
            Assert.True(exit == 0, output);
            using TpmTransport transport = TpmTransport.Open($"device:{fifo}");

            await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(Convert.FromHexString("80010001000100000000"), CancellationToken.None));
            Assert.True(transport.HasResourceManager);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Execute_ResponseSizeAboveCap_ThrowsAndFaultsTheTransport()
    {
        byte[] huge = Convert.FromHexString("8001FFFFFFFF00000000");
        await using FakeTpmServer server = FakeTpmServer.Start(_ => huge);
        using TpmTransport transport = TpmTransport.Open($"swtpm:port={server.Port}");

        TpmTransportException ex = await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(StartupCommand, CancellationToken.None));
        TpmTransportException after = await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(StartupCommand, CancellationToken.None));

        Assert.Contains("outside", ex.Message, StringComparison.Ordinal);
        Assert.Contains("interrupted", after.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ConnectionClosedMidResponse_ThrowsTransportException()
    {
        await using FakeTpmServer server = FakeTpmServer.Start(_ => SuccessResponse[..6]);
        using TpmTransport transport = TpmTransport.Open($"swtpm:port={server.Port}");

        await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(StartupCommand, CancellationToken.None));
    }

    [Fact]
    public async Task Execute_Mssim_FramesCommandAndChecksTrailer()
    {
        byte[]? seen = null;
        await using FakeTpmServer server = FakeTpmServer.Start(received =>
        {
            seen = received;
            byte[] framed = new byte[4 + SuccessResponse.Length + 4];
            BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)SuccessResponse.Length);
            SuccessResponse.CopyTo(framed, 4);
            return framed;
        }, mssimRequest: true);
        using TpmTransport transport = TpmTransport.Open($"mssim:port={server.Port}");

        byte[] response = await transport.ExecuteAsync(StartupCommand, CancellationToken.None);

        Assert.Equal(SuccessResponse, response);
        Assert.Equal(Convert.FromHexString("00000008" + "00" + "0000000C") , seen![..9]);
        Assert.Equal(StartupCommand, seen[9..]);
    }

    [Fact]
    public async Task Execute_MssimNonZeroTrailer_ThrowsTransportException()
    {
        await using FakeTpmServer server = FakeTpmServer.Start(_ =>
        {
            byte[] framed = new byte[4 + SuccessResponse.Length + 4];
            BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)SuccessResponse.Length);
            SuccessResponse.CopyTo(framed, 4);
            framed[^1] = 1;
            return framed;
        }, mssimRequest: true);
        using TpmTransport transport = TpmTransport.Open($"mssim:port={server.Port}");

        await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(StartupCommand, CancellationToken.None));
    }

    [Fact]
    public async Task Execute_NoResponseWithinTimeout_ThrowsTransportException()
    {
        await using FakeTpmServer server = FakeTpmServer.Start(_ => [], keepOpen: true);
        using var transport = new TcpTpmTransport("127.0.0.1", server.Port, TcpFraming.Raw, TimeSpan.FromMilliseconds(200));

        TpmTransportException ex = await Assert.ThrowsAsync<TpmTransportException>(() => transport.ExecuteAsync(StartupCommand, CancellationToken.None));

        Assert.Contains("no response", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_CommandShorterThanHeader_ThrowsArgumentException()
    {
        using TpmTransport transport = TpmTransport.Open("swtpm:port=1");

        await Assert.ThrowsAsync<ArgumentException>(() => transport.ExecuteAsync(new byte[9], CancellationToken.None));
    }

    [Fact]
    public async Task Device_RetryCodeTwiceThenSuccess_ResendsCommand()
    {
        var transport = new ScriptedTransport(0x922, 0x908, 0);
        await using var tpm = new TpmDevice(transport);

        await tpm.StartupAsync(TpmStartupType.Clear, CancellationToken.None);

        Assert.Equal(3, transport.Calls);
    }

    [Fact]
    public async Task Device_RetryForever_GivesUpWithTheRetryCode()
    {
        var transport = new ScriptedTransport(Enumerable.Repeat(0x922u, 100).ToArray());
        await using var tpm = new TpmDevice(transport);

        TpmException ex = await Assert.ThrowsAsync<TpmException>(() => tpm.StartupAsync(TpmStartupType.Clear, CancellationToken.None));

        Assert.Equal(TpmResponseCode.Retry, ex.ResponseCode.Value);
        Assert.Equal(TpmDevice.MaxRetries + 1, transport.Calls);
    }

    [Fact]
    public async Task Device_NonRetryableError_IsNotResent()
    {
        var transport = new ScriptedTransport(0x101, 0);
        await using var tpm = new TpmDevice(transport);

        TpmException ex = await Assert.ThrowsAsync<TpmException>(() => tpm.StartupAsync(TpmStartupType.Clear, CancellationToken.None));

        Assert.Equal("TPM_RC_FAILURE", ex.ResponseCode.Name);
        Assert.Equal(1, transport.Calls);
    }

    /// <summary>Answers each command with the next response code from a script (header-only responses).</summary>
    private sealed class ScriptedTransport(params uint[] codes) : ITpmTransport
    {
        public int Calls { get; private set; }

        public bool HasResourceManager => true;

        public string Description => "scripted";

        public Task<byte[]> ExecuteAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
        {
            byte[] response = Convert.FromHexString("80010000000A00000000");
            BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(6), codes[Calls++]);
            return Task.FromResult(response);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A loopback TCP server that reads one command and answers with whatever the handler returns.</summary>
    private sealed class FakeTpmServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task _loop;
        private readonly CancellationTokenSource _stop = new();

        private FakeTpmServer(Func<byte[], byte[]> handler, bool mssimRequest, bool keepOpen)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = ServeAsync(handler, mssimRequest, keepOpen);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static FakeTpmServer Start(Func<byte[], byte[]> handler, bool mssimRequest = false, bool keepOpen = false) => new(handler, mssimRequest, keepOpen);

        private async Task ServeAsync(Func<byte[], byte[]> handler, bool mssimRequest, bool keepOpen)
        {
            try
            {
                using Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                int prefix = mssimRequest ? 9 : 0;
                byte[] buffer = new byte[prefix + 12];
                int filled = 0;
                while (filled < buffer.Length)
                {
                    int read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                await client.SendAsync(handler(buffer), SocketFlags.None, _stop.Token);
                if (keepOpen)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
