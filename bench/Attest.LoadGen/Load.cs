using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Attest.LoadGen;

/// <summary>
/// Submits pre-generated attestations: closed-loop with <c>--concurrency</c> workers (sustained throughput) or
/// open-loop at <c>--rate</c> per second (latency measured from each request's scheduled time, so a stalled server
/// cannot hide its queueing). A poller watches <c>/checkpoint</c> to time acknowledgement → signed checkpoint.
/// </summary>
internal static class Load
{
    public static async Task<int> RunAsync(Options options)
    {
        var url = new Uri(options.String("url", "http://127.0.0.1:8080/"));
        var documents = ReadDocuments(options.String("docs"));
        var duration = TimeSpan.FromSeconds(options.Double("duration", 60));
        var rate = options.Double("rate", 0);
        var concurrency = (int)options.Long("concurrency", 64);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = rate > 0 ? 1024 : concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };

        var state = new RunState(documents, (int)options.Long("skip", 0));
        using var stopPolling = new CancellationTokenSource();
        var poller = Task.Run(() => PollCheckpointsAsync(http, state, stopPolling.Token));
        var started = Stopwatch.GetTimestamp();
        if (rate > 0)
        {
            await OpenLoopAsync(http, state, rate, duration);
        }
        else
        {
            var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => ClosedLoopAsync(http, state, end))));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.Delay(TimeSpan.FromSeconds(3)); // let the last checkpoints land
        await stopPolling.CancelAsync();
        await poller;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mode={(rate > 0 ? $"open-loop {rate}/s" : $"closed-loop x{concurrency}")} elapsed={elapsed.TotalSeconds:F1} s sent={state.Sent} created={state.Created} duplicates={state.Duplicates} " +
            $"other={string.Join(',', state.Statuses.Select(s => $"{s.Key}:{s.Value}"))} errors={state.Errors}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged (durable) entries/s: {state.Created / elapsed.TotalSeconds:F0}"));
        Console.WriteLine($"per-second acks (min/median/max over full seconds): {state.PerSecond(started, elapsed)}");
        Console.WriteLine($"ack latency: {state.AckLatency.Summary()}");
        Console.WriteLine($"ack -> signed checkpoint: {state.CheckpointLatency().Summary()}");
        return 0;
    }

    private static byte[][] ReadDocuments(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var documents = new List<byte[]>();
        for (var offset = 0; offset + 4 <= bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            if (length < 0 || length > bytes.Length - offset - 4)
            {
                throw new InvalidDataException($"document length {length} at offset {offset} runs past the end of {path}");
            }

            documents.Add(bytes.AsSpan(offset + 4, length).ToArray());
            offset += 4 + length;
        }

        return [.. documents];
    }

    private static async Task ClosedLoopAsync(HttpClient http, RunState state, long end)
    {
        while (Stopwatch.GetTimestamp() < end && state.TryTake(out var document))
        {
            await SendAsync(http, state, document, Stopwatch.GetTimestamp());
        }
    }

    private static async Task OpenLoopAsync(HttpClient http, RunState state, double rate, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        var total = (long)(rate * duration.TotalSeconds);
        var inFlight = new List<Task>();
        for (long k = 0; k < total;)
        {
            var now = Stopwatch.GetTimestamp();
            var due = (long)(Stopwatch.GetElapsedTime(start, now).TotalSeconds * rate);
            for (; k < Math.Min(due, total); k++)
            {
                if (!state.TryTake(out var document))
                {
                    k = total;
                    break;
                }

                var scheduled = start + (long)(k / rate * Stopwatch.Frequency);
                inFlight.Add(SendAsync(http, state, document, scheduled));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
    }

    private static async Task SendAsync(HttpClient http, RunState state, byte[] document, long scheduled)
    {
        Interlocked.Increment(ref state.Sent);
        try
        {
            using var content = new ByteArrayContent(document);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("v1/entries", content);
            var body = await response.Content.ReadAsByteArrayAsync();
            var acked = Stopwatch.GetTimestamp();
            state.AckLatency.Add(Stopwatch.GetElapsedTime(scheduled, acked).TotalMilliseconds);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                using var json = JsonDocument.Parse(body);
                state.Ack(json.RootElement.GetProperty("index").GetInt64(), acked);
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                Interlocked.Increment(ref state.Duplicates);
            }
            else
            {
                state.Statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Connection failures and client timeouts (the server could not keep up) count as errors.
            Interlocked.Increment(ref state.Errors);
        }
    }

    private static async Task PollCheckpointsAsync(HttpClient http, RunState state, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var text = await http.GetStringAsync("checkpoint", stop);
                var size = long.Parse(text.Split('\n')[1], CultureInfo.InvariantCulture);
                state.SawCheckpoint(size, Stopwatch.GetTimestamp());
                await Task.Delay(2, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed class RunState(byte[][] documents, int skip)
    {
        private readonly ConcurrentQueue<(long Index, long Time)> _acks = new();
        private readonly List<(long Size, long Time)> _checkpoints = [];
        private int _next = skip - 1;

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
