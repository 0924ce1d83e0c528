using System.Diagnostics;
using System.Globalization;
using System.Text;
using Attest.Log;
using Attest.Log.Engine;
using Attest.Log.Sequencing;
using Attest.Transparency.Notes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.LoadGen;

/// <summary>
/// Appends synthetic entries (small distinct JSON documents, not attestations) straight through the engine of a
/// stopped log, to build a large tree for proof-latency runs without hours of HTTP submissions.
/// </summary>
internal static class Fill
{
    public static async Task<int> RunAsync(Options options)
    {
        var logOptions = new LogOptions
        {
            DataDirectory = options.String("data-dir"),
            Origin = options.String("origin", "localhost/attest-log"),
            Sequencer = { MaxBatchSize = 50_000, QueueCapacity = 200_000, BatchInterval = TimeSpan.FromMilliseconds(20) },
        };
        var keyText = (await File.ReadAllTextAsync(options.String("key-file", Path.Combine(logOptions.DataDirectory, "log.key")))).Trim();
        var signer = Ed25519NoteSigner.Import(keyText);
        var entries = options.Long("entries");
        await using var engine = await LogEngine.OpenAsync(logOptions, signer, NullLogger.Instance);
        var started = Stopwatch.GetTimestamp();
        var run = Guid.NewGuid().ToString("N")[..8];
        const int Window = 100_000;
        for (long first = 0; first < entries; first += Window)
        {
            var count = (int)Math.Min(Window, entries - first);
            var pending = new Task<AppendResult>[count];
            for (var i = 0; i < count; i++)
            {
                var document = Encoding.UTF8.GetBytes($"{{\"fill\":\"{run}\",\"n\":{first + i}}}");
                pending[i] = engine.SubmitAsync(new LogEntry(document, []));
            }

            await Task.WhenAll(pending);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{first + count} entries, {(first + count) / Stopwatch.GetElapsedTime(started).TotalSeconds:F0}/s"));
        }

        await engine.WaitForCheckpointAsync(engine.DurableHead.Size, CancellationToken.None);
        await engine.ShutdownAsync(CancellationToken.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tree size {engine.DurableHead.Size} after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s"));
        return 0;
    }
}
