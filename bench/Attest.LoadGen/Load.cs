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
        if (rate > 0)
        {
            await OpenLoopAsync(url, state, started, rate, (long)(rate * duration.TotalSeconds), connections);
        }
        else
        {
            var workers = new Task[connections];
            for (var i = 0; i < connections; i++)
            {
                workers[i] = Task.Run(() => ClosedLoopWorkerAsync(url, state, end));
            }

            await Task.WhenAll(workers);
        }

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
    /// The open loop: slot k is due at k / rate. A pacer, waking about once a millisecond, starts each due slot on an
    /// idle connection itself; the connection's own response completion (inline on the socket engine's thread) then
    /// takes the next queued slot or goes back to the idle set. No thread hand-off or timer per request: the generator
    /// shares the server's cores. A slot that finds every connection busy waits in a queue, and its latency still
    /// counts from its scheduled time.
    /// </summary>
    private static async Task OpenLoopAsync(Uri url, RunState state, long start, double rate, long total, int connections)
    {
        var idle = new ConcurrentStack<Lane>();
        var backlog = new ConcurrentQueue<long>();
        var lanes = 0;
        var running = new List<Task>();
        long next = 0;
        while (true)
        {
            var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate) + 1);
            for (; next < due; next++)
            {
                backlog.Enqueue(next);
            }

            while (!backlog.IsEmpty)
            {
                Lane? lane;
                if (!idle.TryPop(out lane))
                {
                    if (lanes == connections)
                    {
                        break;
                    }

                    lanes++;
                    lane = new Lane();
                }

                if (!backlog.TryDequeue(out var slot))
                {
                    idle.Push(lane);
                    break;
                }

                running.Add(RunLaneAsync(lane, slot, url, state, start, rate, idle, backlog));
            }

            if (next >= total && backlog.IsEmpty)
            {
                break;
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(running);
        foreach (var lane in idle)
        {
            lane.Dispose();
        }
    }

    private static async Task RunLaneAsync(
        Lane lane, long slot, Uri url, RunState state, long start, double rate, ConcurrentStack<Lane> idle, ConcurrentQueue<long> backlog)
    {
        do
        {
            if (!state.TryTake(out var document))
            {
                break;
            }

            var scheduled = start + (long)(slot / rate * Stopwatch.Frequency);
            (lane.Connection, lane.Timeout) = await SendAsync(lane.Connection, lane.Timeout, url, state, document, scheduled);
        }
        while (backlog.TryDequeue(out slot));

        idle.Push(lane);
    }

    /// <summary>One open-loop connection and its reusable timeout.</summary>
    private sealed class Lane : IDisposable
    {
        public RawHttpConnection? Connection { get; set; }

        public CancellationTokenSource Timeout { get; set; } = new();

        public void Dispose()
        {
            Connection?.Dispose();
            Timeout.Dispose();
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
