using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Attest.LoadGen;

/// <summary>
/// Submits pre-generated attestations over persistent raw HTTP/1.1 connections: closed-loop with
/// <c>--concurrency</c> connections (sustained throughput) or open-loop at <c>--rate</c> per second over
/// <c>--connections</c> connections (latency measured from each request's scheduled time, so a stalled server
/// cannot hide its queueing). A poller watches <c>/checkpoint</c> to time acknowledgement → signed checkpoint.
/// </summary>
internal static class Load
{
    public static async Task<int> RunAsync(Options options)
    {
        var url = new Uri(options.String("url", "http://127.0.0.1:8080/"));
        var duration = TimeSpan.FromSeconds(options.Double("duration", 60));
        var rate = options.Double("rate", 0);
        var connections = (int)(rate > 0 ? options.Long("connections", 512) : options.Long("concurrency", 64));
        var documents = ReadDocuments(options.String("docs"), options.Long("skip", 0),
            options.Long("count", rate > 0 ? (long)Math.Ceiling(rate * duration.TotalSeconds) : long.MaxValue));
        var state = new RunState(documents);

        using var stopPolling = new CancellationTokenSource();
        var poller = Task.Run(() => PollCheckpointsAsync(url, state, stopPolling.Token));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task[connections];
        var total = (long)(rate * duration.TotalSeconds);
        var slots = System.Threading.Channels.Channel.CreateUnbounded<long>(new() { SingleWriter = true });
        var pacer = rate > 0 ? Task.Run(() => PaceAsync(slots.Writer, started, rate, total)) : Task.CompletedTask;
        for (var i = 0; i < connections; i++)
        {
            workers[i] = rate > 0
                ? Task.Run(() => OpenLoopWorkerAsync(url, state, slots.Reader, started, rate))
                : Task.Run(() => ClosedLoopWorkerAsync(url, state, end));
        }

        await pacer;
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        await Task.Delay(TimeSpan.FromSeconds(3)); // let the last checkpoints land
        await stopPolling.CancelAsync();
        await poller;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode={(rate > 0 ? $"open-loop {rate}/s over {connections} connections" : $"closed-loop x{connections}")} elapsed={elapsed.TotalSeconds:F1} s sent={state.Sent} created={state.Created} duplicates={state.Duplicates} " +
            $"other={string.Join(',', state.Statuses.Select(s => $"{s.Key}:{s.Value}"))} errors={state.Errors}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged (durable) entries/s: {state.Created / elapsed.TotalSeconds:F0}"));
        Console.WriteLine($"per-second acks (min/median/max over full seconds): {state.PerSecond(started, elapsed)}");
        Console.WriteLine($"ack latency: {state.AckLatency.Summary()}");
        Console.WriteLine($"ack -> signed checkpoint: {state.CheckpointLatency().Summary()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"load generator CPU: {cpu.TotalSeconds:F2} s, {(state.Sent == 0 ? 0 : cpu.TotalMilliseconds * 1000 / state.Sent):F0} us per request"));
        return 0;
    }

    /// <summary>
    /// Reads the documents after the first <paramref name="skip"/> (at most <paramref name="max"/>), each straight into
    /// its own array: files of a million documents are larger than one array may be, and most runs use a slice.
    /// </summary>
    internal static byte[][] ReadDocuments(string path, long skip, long max)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var length = new byte[4];
        var documents = new List<byte[]>();
        for (long i = 0; documents.Count < max; i++)
        {
            var read = file.ReadAtLeast(length, 4, throwOnEndOfStream: false);
            if (read == 0)
            {
                break;
            }

            var size = read == 4 ? BinaryPrimitives.ReadInt32BigEndian(length) : -1;
            if (size < 0 || size > file.Length - file.Position)
            {
                throw new InvalidDataException($"document {i} at offset {file.Position - read} has a bad length or runs past the end of {path}");
            }

            if (i < skip)
            {
                file.Seek(size, SeekOrigin.Current);
                continue;
            }

            var document = new byte[size];
            file.ReadExactly(document);
            documents.Add(document);
        }

        return [.. documents];
    }

    private static async Task ClosedLoopWorkerAsync(Uri url, RunState state, long end)
    {
        RawHttpConnection? connection = null;
        var timeout = new CancellationTokenSource();
        try
        {
            while (Stopwatch.GetTimestamp() < end && state.TryTake(out var document))
            {
                (connection, timeout) = await SendAsync(connection, timeout, url, state, document, Stopwatch.GetTimestamp());
            }
        }
        finally
        {
            connection?.Dispose();
            timeout.Dispose();
        }
    }

    /// <summary>
    /// Releases open-loop slot k at its scheduled time k / rate. One pacer for all connections, waking about once a
    /// millisecond, costs far less than a timer per request (a slot released late still counts its latency from its
    /// scheduled time).
    /// </summary>
    private static async Task PaceAsync(System.Threading.Channels.ChannelWriter<long> slots, long start, double rate, long total)
    {
        long next = 0;
        while (next < total)
        {
            var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate) + 1);
            for (; next < due; next++)
            {
                slots.TryWrite(next);
            }

            await Task.Delay(1);
        }

        slots.Complete();
    }

    private static async Task OpenLoopWorkerAsync(Uri url, RunState state, System.Threading.Channels.ChannelReader<long> slots, long start, double rate)
    {
        RawHttpConnection? connection = null;
        var timeout = new CancellationTokenSource();
        try
        {
            await foreach (var k in slots.ReadAllAsync())
            {
                if (!state.TryTake(out var document))
                {
                    return;
                }

                var scheduled = start + (long)(k / rate * Stopwatch.Frequency);
                (connection, timeout) = await SendAsync(connection, timeout, url, state, document, scheduled);
            }
        }
        finally
        {
            connection?.Dispose();
            timeout.Dispose();
        }
    }

    /// <summary>Sends one document; returns the connection to reuse, or null after a failure (a new one is opened next time).</summary>
    /// <remarks>The worker's timeout source is reset and reused (a new timer per request costs the generator CPU the server needs).</remarks>
    private static async Task<(RawHttpConnection? Connection, CancellationTokenSource Timeout)> SendAsync(
        RawHttpConnection? connection, CancellationTokenSource timeout, Uri url, RunState state, byte[] document, long scheduled)
    {
        Interlocked.Increment(ref state.Sent);
        if (!timeout.TryReset())
        {
            timeout.Dispose();
            timeout = new CancellationTokenSource();
        }

        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            connection ??= await RawHttpConnection.ConnectAsync(url, CancellationToken.None);
            var response = await connection.SendAsync("POST", "/v1/entries", document, timeout.Token);
            var acked = Stopwatch.GetTimestamp();
            state.AckLatency.Add(Stopwatch.GetElapsedTime(scheduled, acked).TotalMilliseconds);
            switch (response.Status)
            {
                case 201:
                    state.Ack(response.Index(), acked);
                    break;
                case 200:
                    Interlocked.Increment(ref state.Duplicates);
                    break;
                default:
                    state.Statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
                    break;
            }

            return (connection, timeout);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // Connection failures and client timeouts (the server could not keep up) count as errors.
            Interlocked.Increment(ref state.Errors);
            connection?.Dispose();
            return (null, timeout);
        }
    }

    private static async Task PollCheckpointsAsync(Uri url, RunState state, CancellationToken stop)
    {
        RawHttpConnection? connection = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    connection ??= await RawHttpConnection.ConnectAsync(url, stop);
                    var response = await connection.SendAsync("GET", "/checkpoint", ReadOnlyMemory<byte>.Empty, stop);
                    var body = response.Body.Span;
                    var line = body.IndexOf((byte)'\n');
                    if (response.Status == 200 && line >= 0 && Utf8Parser.TryParse(body[(line + 1)..], out long size, out _))
                    {
                        state.SawCheckpoint(size, Stopwatch.GetTimestamp());
                    }

                    await Task.Delay(5, stop);
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                {
                    connection?.Dispose();
                    connection = null;
                    await Task.Delay(100, stop);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private sealed class RunState(byte[][] documents)
    {
        private readonly ConcurrentQueue<(long Index, long Time)> _acks = new();
        private readonly List<(long Size, long Time)> _checkpoints = [];
        private int _next = -1;

        public long Sent;
        public long Created;
        public long Duplicates;
        public long Errors;

        public ConcurrentDictionary<int, long> Statuses { get; } = new();

        public Latencies AckLatency { get; } = new();

        public bool TryTake(out byte[] document)
        {
            var i = Interlocked.Increment(ref _next);
            document = i < documents.Length ? documents[i] : [];
            return i < documents.Length;
        }

        public void Ack(long index, long time)
        {
            Interlocked.Increment(ref Created);
            _acks.Enqueue((index, time));
        }

        public void SawCheckpoint(long size, long time)
        {
            if (_checkpoints.Count == 0 || size > _checkpoints[^1].Size)
            {
                _checkpoints.Add((size, time));
            }
        }

        public Latencies CheckpointLatency()
        {
            var result = new Latencies();
            foreach (var (index, ackTime) in _acks)
            {
                // The first checkpoint seen that covers the entry.
                var lo = 0;
                var hi = _checkpoints.Count;
                while (lo < hi)
                {
                    var mid = (lo + hi) / 2;
                    if (_checkpoints[mid].Size > index)
                    {
                        hi = mid;
                    }
                    else
                    {
                        lo = mid + 1;
                    }
                }

                if (lo < _checkpoints.Count)
                {
                    result.Add(Math.Max(0, Stopwatch.GetElapsedTime(ackTime, _checkpoints[lo].Time).TotalMilliseconds));
                }
            }

            return result;
        }

        public string PerSecond(long started, TimeSpan elapsed)
        {
            var seconds = (int)elapsed.TotalSeconds;
            if (seconds == 0)
            {
                return "n/a";
            }

            var buckets = new long[seconds];
            foreach (var (_, time) in _acks)
            {
                var second = (int)Stopwatch.GetElapsedTime(started, time).TotalSeconds;
                if (second < seconds)
                {
                    buckets[second]++;
                }
            }

            Array.Sort(buckets);
            return string.Create(CultureInfo.InvariantCulture, $"{buckets[0]}/{buckets[seconds / 2]}/{buckets[^1]}");
        }
    }
}
