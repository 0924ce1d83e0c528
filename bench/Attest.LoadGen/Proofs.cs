using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Attest.LoadGen;

/// <summary>
/// Inclusion-proof latency at the log's current size, from random indexes: client-side over loopback (an upper bound),
/// and server-side from the difference of the server's <c>attest_log_inclusion_proof_seconds</c> histogram before and
/// after the run (percentiles as bucket upper bounds).
/// </summary>
internal static class Proofs
{
    private const string Histogram = "attest_log_inclusion_proof_seconds";

    public static async Task<int> RunAsync(Options options)
    {
        var url = new Uri(options.String("url", "http://127.0.0.1:8080/"));
        var count = options.Long("count", 20_000);
        var concurrency = (int)options.Long("concurrency", 4);
        using var probe = await RawHttpConnection.ConnectAsync(url, CancellationToken.None);
        var checkpoint = await probe.SendAsync("GET", "/checkpoint", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        var size = long.Parse(Encoding.UTF8.GetString(checkpoint.Body.Span).Split('\n')[1], CultureInfo.InvariantCulture);
        var before = await ScrapeAsync(probe);
        var latencies = new Latencies();
        var remaining = count;
        var failures = 0L;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            using var connection = await RawHttpConnection.ConnectAsync(url, CancellationToken.None);
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var index = random.NextInt64(size);
                var begin = Stopwatch.GetTimestamp();
                var response = await connection.SendAsync("GET", $"/v1/proof/inclusion?index={index}&treeSize={size}", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
                latencies.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                if (response.Status != 200)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var after = await ScrapeAsync(probe);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tree size {size}: {count} inclusion proofs in {elapsed.TotalSeconds:F1} s ({count / elapsed.TotalSeconds:F0}/s) with {concurrency} clients, {failures} failed"));
        Console.WriteLine($"inclusion proof latency (client-side, loopback): {latencies.Summary()}");
        Console.WriteLine($"inclusion proof latency (server-side, from /metrics; percentile <= bucket bound): {ServerSide(before, after)}");
        return failures == 0 ? 0 : 3;
    }

    /// <summary>The cumulative bucket counts of the proof histogram, by upper bound in seconds.</summary>
    private static async Task<SortedDictionary<double, long>> ScrapeAsync(RawHttpConnection connection)
    {
        var response = await connection.SendAsync("GET", "/metrics", ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        var buckets = new SortedDictionary<double, long>();
        foreach (var line in Encoding.UTF8.GetString(response.Body.Span).Split('\n'))
        {
            const string Prefix = Histogram + "_bucket{le=\"";
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.IndexOf('"', Prefix.Length);
            var bound = line[Prefix.Length..close];
            buckets[bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture)] =
                long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }

        return buckets;
    }

    private static string ServerSide(SortedDictionary<double, long> before, SortedDictionary<double, long> after)
    {
        if (after.Count == 0)
        {
            return "n/a (the server has no proof histogram)";
        }

        var total = after.Last().Value - before.GetValueOrDefault(double.PositiveInfinity);
        if (total <= 0)
        {
            return "n=0";
        }

        string Quantile(double q)
        {
            foreach (var (bound, cumulative) in after)
            {
                if (cumulative - before.GetValueOrDefault(bound) >= q * total)
                {
                    return double.IsPositiveInfinity(bound) ? "> last bucket" : string.Create(CultureInfo.InvariantCulture, $"{bound * 1000:0.###} ms");
                }
            }

            return "?";
        }

        return string.Create(CultureInfo.InvariantCulture, $"n={total} p50<={Quantile(0.50)} p90<={Quantile(0.90)} p99<={Quantile(0.99)}");
    }
}
