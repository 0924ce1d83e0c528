using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;

namespace Attest.LogServer.Tests;

public sealed class ReadApiTests
{
    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<SignedCheckpoint> CheckpointAsync(HttpClient client)
    {
        var key = NoteVerifier.Import((await client.GetStringAsync("v1/log/key")).Trim());
        var checkpoint = SignedCheckpoint.Parse(await client.GetByteArrayAsync("checkpoint"));
        Assert.True(checkpoint.Verify(new CheckpointPolicy("test.example/log", [key])).IsValid);
        return checkpoint;
    }

    /// <summary>Fills a log with <paramref name="count"/> attestations (after one registration) and waits for the checkpoint.</summary>
    private static async Task<(TestServer Server, string[] Packages, Provenance.Signing.IdentityKey Key)> FilledAsync(int count)
    {
        var server = await TestServer.StartAsync();
        var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        var packages = Enumerable.Range(0, count).Select(i => $"pkg-{i}").ToArray();
        var responses = await Task.WhenAll(packages.Select(p => Samples.PostAsync(server.Client, Samples.Document(key, p))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        using var last = await Samples.PostAsync(server.Client, Samples.Document(key, "last"), "?wait=checkpoint");
        Assert.Equal(HttpStatusCode.Created, last.StatusCode);
        return (server, packages, key);
    }

    [Fact]
    public async Task Tiles_ReadBackWithTileClient_VerifyAgainstCheckpointAndMatchEntries()
    {
        var (server, _, key) = await FilledAsync(300);
        await using var _ = server;
        using var __ = key;
        var checkpoint = (await CheckpointAsync(server.Client)).Checkpoint;
        var size = (long)checkpoint.TreeSize;
        Assert.Equal(302, size);

        var reader = TileReader.FromFetch(async (path, ct) =>
        {
            using var response = await server.Client.GetAsync(path.ToString(), ct);
            return response.StatusCode == HttpStatusCode.NotFound
                ? throw new TileNotFoundException(path)
                : (ReadOnlyMemory<byte>)await response.Content.ReadAsByteArrayAsync(ct);
        });
        var client = new TileClient(reader, size, checkpoint.RootHash);
        foreach (var index in new long[] { 0, 1, 255, 256, 300, 301 })
        {
            var entry = await client.ReadEntryAsync(index, CancellationToken.None);
            var served = (await GetJsonAsync(server.Client, $"v1/entries/{index}")).GetProperty("document").GetRawText();
            Assert.Equal(served, Encoding.UTF8.GetString(entry));
            var proof = await client.InclusionProofAsync(index, CancellationToken.None);
            Assert.True(MerkleProof.IsValidInclusion(index, size, TreeHasher.HashLeaf(entry), proof, checkpoint.RootHash));
        }
    }

    [Fact]
    public async Task Tiles_FullAndPartial_HaveCacheHeadersAndUnknownOnesAre404()
    {
        var (server, _, key) = await FilledAsync(260);
        await using var _ = server;
        using var __ = key;

        using var full = await server.Client.GetAsync("tile/0/000");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(256 * 32, (await full.Content.ReadAsByteArrayAsync()).Length);
        Assert.Contains("immutable", full.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        using var partial = await server.Client.GetAsync("tile/0/001.p/6");
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal(6 * 32, (await partial.Content.ReadAsByteArrayAsync()).Length);
        Assert.DoesNotContain("immutable", partial.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        using var bundle = await server.Client.GetAsync("tile/entries/000");
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        Assert.Equal(256, EntryBundle.Parse(await bundle.Content.ReadAsByteArrayAsync(), 256).Length);

        foreach (var missing in new[] { "tile/0/001", "tile/0/001.p/7", "tile/1/000", "tile/entries/001", "tile/0/x", "tile/9/000", "tile/0/000.p/0" })
        {
            using var response = await server.Client.GetAsync(missing);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Proofs_InclusionAndConsistency_VerifyAndBadParametersAre400()
    {
        var (server, _, key) = await FilledAsync(40);
        await using var _ = server;
        using var __ = key;
        var checkpoint = (await CheckpointAsync(server.Client)).Checkpoint;
        var size = (long)checkpoint.TreeSize;

        var inclusion = await GetJsonAsync(server.Client, $"v1/proof/inclusion?index=7&treeSize={size}");
        Assert.Equal(checkpoint.RootHash.ToBase64(), inclusion.GetProperty("rootHash").GetString());
        var entry = (await GetJsonAsync(server.Client, "v1/entries/7")).GetProperty("document").GetRawText();
        var hashes = inclusion.GetProperty("hashes").EnumerateArray().Select(h => MerkleHash.FromBase64(h.GetString()!)).ToArray();
        Assert.True(MerkleProof.IsValidInclusion(7, size, TreeHasher.HashLeaf(Encoding.UTF8.GetBytes(entry)), hashes, checkpoint.RootHash));

        var oldRoot = MerkleHash.FromBase64((await GetJsonAsync(server.Client, "v1/proof/inclusion?index=0&treeSize=10")).GetProperty("rootHash").GetString()!);
        var consistency = await GetJsonAsync(server.Client, $"v1/proof/consistency?from=10&to={size}");
        var path = consistency.GetProperty("hashes").EnumerateArray().Select(h => MerkleHash.FromBase64(h.GetString()!)).ToArray();
        Assert.True(MerkleProof.IsValidConsistency(10, size, oldRoot, checkpoint.RootHash, path));

        foreach (var bad in new[]
        {
            $"v1/proof/inclusion?index={size}&treeSize={size}", $"v1/proof/inclusion?index=1&treeSize={size + 1}", "v1/proof/inclusion?index=-1",
            "v1/proof/inclusion?index=abc", $"v1/proof/consistency?from=5&to=4", $"v1/proof/consistency?from=1&to={size + 1}", "v1/entries/x",
        })
        {
            using var response = await server.Client.GetAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using var unknown = await server.Client.GetAsync("v1/entries/100000");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Search_ByEachIndex_FindsTheEntry()
    {
        var (server, packages, key) = await FilledAsync(5);
        await using var _ = server;
        using var __ = key;
        var statement = Samples.Statement(packages[3], key.Name);

        var byPath = await GetJsonAsync(server.Client, $"v1/search?storePath={Uri.EscapeDataString(statement.Outputs[0].Path.ToString())}");
        var index = Assert.Single(byPath.GetProperty("entries").EnumerateArray()).GetProperty("index").GetInt64();
        var byDrv = await GetJsonAsync(server.Client, $"v1/search?drvPath={Uri.EscapeDataString(statement.Derivation.ToString())}");
        Assert.Equal(index, Assert.Single(byDrv.GetProperty("entries").EnumerateArray()).GetProperty("index").GetInt64());
        var byNar = await GetJsonAsync(server.Client, $"v1/search?narHash={Uri.EscapeDataString(statement.Outputs[0].NarHash.ToString())}");
        Assert.Equal(index, Assert.Single(byNar.GetProperty("entries").EnumerateArray()).GetProperty("index").GetInt64());

        var byBuilder = await GetJsonAsync(server.Client, $"v1/search?builder={key.KeyId}&limit=3");
        Assert.Equal(3, byBuilder.GetProperty("entries").GetArrayLength());
        var next = byBuilder.GetProperty("next").GetInt64();
        var rest = await GetJsonAsync(server.Client, $"v1/search?builder={key.KeyId}&after={next}");
        Assert.Equal(7 - 3, rest.GetProperty("entries").GetArrayLength()); // registration + 5 + "last"

        using var none = await server.Client.GetAsync("v1/search");
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        using var two = await server.Client.GetAsync("v1/search?storePath=a&drvPath=b");
        Assert.Equal(HttpStatusCode.BadRequest, two.StatusCode);
    }

    [Fact]
    public async Task Search_Registry_ReturnsOnlyThatBuildersRegistryChanges()
    {
        var (server, _, key) = await FilledAsync(3);
        await using var _ = server;
        using var __ = key;
        using var other = Provenance.Signing.IdentityKey.Generate("other-builder");
        await Samples.RegisterAsync(server.Client, other);

        var byBuilder = await GetJsonAsync(server.Client, $"v1/search?builder={key.KeyId}");
        var registration = byBuilder.GetProperty("entries").EnumerateArray().First().GetProperty("index").GetInt64();
        var registry = await GetJsonAsync(server.Client, $"v1/search?registry={key.KeyId}");
        var found = Assert.Single(registry.GetProperty("entries").EnumerateArray());
        Assert.Equal(registration, found.GetProperty("index").GetInt64());
        Assert.Contains("registry-change", found.GetProperty("document").GetRawText(), StringComparison.Ordinal);

        var otherRegistry = await GetJsonAsync(server.Client, $"v1/search?registry={other.KeyId}");
        Assert.True(Assert.Single(otherRegistry.GetProperty("entries").EnumerateArray()).GetProperty("index").GetInt64() > registration);
        var after = await GetJsonAsync(server.Client, $"v1/search?registry={key.KeyId}&after={registration}");
        Assert.Equal(0, after.GetProperty("entries").GetArrayLength());
        var unknown = await GetJsonAsync(server.Client, "v1/search?registry=0000000000000000");
        Assert.Equal(0, unknown.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Operations_HealthMetricsAndKeys_AreServed()
    {
        await using var server = await TestServer.StartAsync();
        using (await Samples.PostAsync(server.Client, "{"u8.ToArray()))
        {
        }

        var health = await GetJsonAsync(server.Client, "health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var metrics = await server.Client.GetStringAsync("metrics");
        Assert.Contains("attest_log_tree_size 0", metrics, StringComparison.Ordinal);
        Assert.Contains("attest_log_rejections_total{reason=\"malformed-json\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("attest_log_integration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.StartsWith("test.example/log+", await server.Client.GetStringAsync("v1/log/key"), StringComparison.Ordinal);
        Assert.StartsWith("log-admin+", await server.Client.GetStringAsync("v1/log/admin-key"), StringComparison.Ordinal);
    }
}
