using System.Diagnostics;
using System.Globalization;

namespace Attest.LoadGen;

/// <summary>Inclusion-proof latency at the log's current size, from random indexes, over loopback (an upper bound on server time).</summary>
internal static class Proofs
{
    public static async Task<int> RunAsync(Options options)
    {
        var url = new Uri(options.String("url", "http://127.0.0.1:8080/"));
        var count = options.Long("count", 20_000);
        var concurrency = (int)options.Long("concurrency", 4);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency };
        using var http = new HttpClient(handler) { BaseAddress = url };
        var text = await http.GetStringAsync("checkpoint");
        var size = long.Parse(text.Split('\n')[1], CultureInfo.InvariantCulture);
        var latencies = new Latencies();
        var remaining = count;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var index = random.NextInt64(size);
                var begin = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync($"v1/proof/inclusion?index={index}&treeSize={size}");
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                latencies.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(started);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tree size {size}: {count} inclusion proofs in {elapsed.TotalSeconds:F1} s ({count / elapsed.TotalSeconds:F0}/s) with {concurrency} clients"));
        Console.WriteLine($"inclusion proof latency (client-side, loopback): {latencies.Summary()}");
        return 0;
    }
}
