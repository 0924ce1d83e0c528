using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;

namespace Attest.LogServer.Tests;

/// <summary>
/// The log server runs as a separate process and is SIGKILLed again and again while a client appends. After every
/// restart, each acknowledged index must hold the same leaf, and every checkpoint seen before a kill must be
/// consistent with the checkpoint after it.
/// </summary>
public sealed class CrashTests
{
    private const int Rounds = 5;

    [Fact]
    public async Task Server_KilledRepeatedlyUnderLoad_KeepsAcknowledgedEntriesAndConsistentCheckpoints()
    {
        var directory = Path.Combine(Path.GetTempPath(), "attest-log-crash-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var key = Samples.Builder();
        var acknowledged = new ConcurrentDictionary<long, MerkleHash>();
        var seen = new ConcurrentDictionary<ulong, MerkleHash>();
        var random = new Random(1234);
        var counter = 0;
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                using var server = StartServer(directory, port);
                try
                {
                    await WaitUntilUpAsync(http, server);
                    var after = SignedCheckpoint.Parse(await http.GetByteArrayAsync("checkpoint")).Checkpoint;
                    await CheckAgainstHistoryAsync(http, after, acknowledged, seen);
                    if (round == 0)
                    {
                        await Samples.RegisterAsync(http, key);
                    }

                    using var stop = new CancellationTokenSource();
                    var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => AppendUntilStoppedAsync(http, key, acknowledged, () => Interlocked.Increment(ref counter), stop.Token))).ToArray();
                    var watcher = Task.Run(() => WatchCheckpointsAsync(http, seen, stop.Token));
                    await Task.Delay(random.Next(400, 1200));
                    server.Kill(entireProcessTree: false); // SIGKILL on Unix
                    await server.WaitForExitAsync();
                    await stop.CancelAsync();
                    await Task.WhenAll([.. writers, watcher]);
                }
                finally
                {
                    if (!server.HasExited)
                    {
                        server.Kill();
                    }
                }
            }

            using var final = StartServer(directory, port);
            try
            {
                await WaitUntilUpAsync(http, final);
                var last = SignedCheckpoint.Parse(await http.GetByteArrayAsync("checkpoint")).Checkpoint;
                await CheckAgainstHistoryAsync(http, last, acknowledged, seen);
                Assert.True(acknowledged.Count > Rounds, $"only {acknowledged.Count} entries were acknowledged; the test needs load to mean anything");
            }
            finally
            {
                final.Kill();
                await final.WaitForExitAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Leftover temp data does not affect the result.
            }
        }
    }

    private static async Task CheckAgainstHistoryAsync(HttpClient http, Checkpoint now, ConcurrentDictionary<long, MerkleHash> acknowledged, ConcurrentDictionary<ulong, MerkleHash> seen)
    {
        var size = (long)now.TreeSize;

        // Every acknowledged index is in the tree with the same leaf (read from the level-0 hash tiles).
        var tiles = new Dictionary<long, byte[]>();
        foreach (var (index, leaf) in acknowledged)
        {
            Assert.True(index < size, $"acknowledged index {index} is beyond the restarted log's size {size}");
            var tileIndex = index / 256;
            if (!tiles.TryGetValue(tileIndex, out var tile))
            {
                var width = Math.Min(256, size - (tileIndex * 256));
                var path = width == 256 ? Attest.Transparency.Tiles.TilePath.Hash(0, tileIndex) : Attest.Transparency.Tiles.TilePath.Hash(0, tileIndex, (int)width);
                tile = await http.GetByteArrayAsync(path.ToString());
                tiles[tileIndex] = tile;
            }

            Assert.Equal(leaf, new MerkleHash(tile.AsSpan((int)(index % 256) * 32, 32)));
        }

        // Every checkpoint seen earlier is a prefix of the current one.
        foreach (var (oldSize, oldRoot) in seen)
        {
            Assert.True(oldSize <= now.TreeSize, $"a checkpoint of size {oldSize} was seen but the log restarted at {now.TreeSize}");
            var body = JsonDocument.Parse(await http.GetStringAsync($"v1/proof/consistency?from={oldSize}&to={now.TreeSize}")).RootElement;
            var proof = body.GetProperty("hashes").EnumerateArray().Select(h => MerkleHash.FromBase64(h.GetString()!)).ToArray();
            Assert.True(MerkleProof.IsValidConsistency((long)oldSize, size, oldRoot, now.RootHash, proof), $"checkpoint {oldSize} is not consistent with {now.TreeSize}");
        }
    }

    private static async Task AppendUntilStoppedAsync(HttpClient http, Provenance.Signing.IdentityKey key, ConcurrentDictionary<long, MerkleHash> acknowledged, Func<int> next, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await Samples.PostAsync(http, Samples.Document(key, $"crash-{next()}"));
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None)).RootElement;
                    acknowledged[body.GetProperty("index").GetInt64()] = MerkleHash.FromBase64(body.GetProperty("leafHash").GetString()!);
                }
            }
            catch (HttpRequestException)
            {
                // The server was killed mid-request: that submission was not acknowledged.
            }
            catch (TaskCanceledException)
            {
                // Likewise.
            }
            catch (IOException)
            {
                // Likewise.
            }
        }
    }

    private static async Task WatchCheckpointsAsync(HttpClient http, ConcurrentDictionary<ulong, MerkleHash> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var checkpoint = SignedCheckpoint.Parse(await http.GetByteArrayAsync("checkpoint", stop)).Checkpoint;
                seen[checkpoint.TreeSize] = checkpoint.RootHash;
                await Task.Delay(20, stop);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The server is gone or the round is over.
            }
        }
    }

    private static Process StartServer(string directory, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "attest-log.dll"), "--urls", $"http://127.0.0.1:{port}", "--data-dir", directory,
            "--origin", "test.example/log", "--admin-token", TestServer.AdminToken, "--Logging:LogLevel:Default", "Warning",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start attest-log");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilUpAsync(HttpClient http, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(server.HasExited, $"attest-log exited with code {(server.HasExited ? server.ExitCode : 0)} during start-up");
            try
            {
                using var response = await http.GetAsync("health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        Assert.Fail("attest-log did not start within 30 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
