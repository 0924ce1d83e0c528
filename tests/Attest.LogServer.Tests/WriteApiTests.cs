using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Log.Engine;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Microsoft.Extensions.DependencyInjection;

namespace Attest.LogServer.Tests;

public sealed class WriteApiTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task PostEntry_ValidAttestation_Returns201AndEntryIsReadable()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        var document = Samples.Document(key, "hello-2.12.1");

        using var response = await Samples.PostAsync(server.Client, document);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonAsync(response);
        var index = body.GetProperty("index").GetInt64();
        Assert.Equal(1, index); // index 0 is the registration
        Assert.False(body.GetProperty("duplicate").GetBoolean());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("/v1/entries/1", response.Headers.Location?.OriginalString);
        var canonical = Attest.Provenance.Attestations.AttestationDocument.Parse(document).CanonicalBytes.Span;
        Assert.Equal(TreeHasher.HashLeaf(canonical).ToBase64(), body.GetProperty("leafHash").GetString());

        var entry = await JsonAsync(await server.Client.GetAsync($"v1/entries/{index}"));
        Assert.Equal(index, entry.GetProperty("index").GetInt64());
        Assert.Equal(JsonDocument.Parse(document).RootElement.GetProperty("dsse").GetProperty("payload").GetString(),
            entry.GetProperty("document").GetProperty("dsse").GetProperty("payload").GetString());
    }

    [Theory]
    [InlineData(0L, false)]
    [InlineData(1L, true)]
    [InlineData(9_876_543_210L, false)]
    [InlineData(long.MaxValue, true)]
    public void WriteAcknowledgement_WritesIndexLeafHashAndDuplicate(long index, bool duplicate)
    {
        var leaf = TreeHasher.HashLeaf(Encoding.UTF8.GetBytes($"leaf {index}"));
        var outcome = Attest.Log.Admission.SubmissionOutcome.Accepted(index, leaf, duplicate);
        var buffer = new byte[128];
        var length = Apis.WriteApi.WriteAcknowledgement(buffer, outcome);

        // The same members and values as the general JSON writer (which would escape '+' as \u002B).
        using var json = JsonDocument.Parse(buffer.AsMemory(0, length));
        Assert.Equal(["index", "leafHash", "duplicate"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(index, json.RootElement.GetProperty("index").GetInt64());
        Assert.Equal(leaf.ToBase64(), json.RootElement.GetProperty("leafHash").GetString());
        Assert.Equal(duplicate, json.RootElement.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task PostEntry_SameDocumentAgain_Returns200WithExistingIndex()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        var document = Samples.Document(key, "hello");

        var first = await JsonAsync(await Samples.PostAsync(server.Client, document));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Samples.PostAsync(server.Client, document)));
        Assert.All(concurrent, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in concurrent)
        {
            var body = await JsonAsync(response);
            Assert.Equal(first.GetProperty("index").GetInt64(), body.GetProperty("index").GetInt64());
            Assert.True(body.GetProperty("duplicate").GetBoolean());
        }

        Assert.Equal(2, server.Services.GetRequiredService<LogEngine>().DurableHead.Size);
    }

    [Fact]
    public async Task PostEntry_LargerThanEntryLimit_Returns413NamingTheLimit()
    {
        await using var server = await TestServer.StartAsync();
        var body = Encoding.UTF8.GetBytes("{\"dsse\":\"" + new string('a', 65_536) + "\"}");

        using var response = await Samples.PostAsync(server.Client, body);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        var problem = await JsonAsync(response);
        Assert.Equal(65_535, problem.GetProperty("limit").GetInt32());
        Assert.Contains("65535", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"dsse\":", "$")]
    [InlineData("[1,2]", "$")]
    [InlineData("{\"dsse\":{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\"}}", "$.dsse")]
    public async Task PostEntry_MalformedDocument_Returns400NamingTheField(string json, string fieldPrefix)
    {
        await using var server = await TestServer.StartAsync();
        using var response = await Samples.PostAsync(server.Client, Encoding.UTF8.GetBytes(json));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var field = (await JsonAsync(response)).GetProperty("field").GetString();
        Assert.StartsWith(fieldPrefix, field, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEntry_UnregisteredBuilder_Returns403()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        using var response = await Samples.PostAsync(server.Client, Samples.Document(key, "hello"));
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PostEntry_SignatureNotOverThisPayload_Returns401()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        var good = JsonDocument.Parse(Samples.Document(key, "a")).RootElement;
        var other = JsonDocument.Parse(Samples.Document(key, "b")).RootElement;

        // The envelope of "a" with the signature made over "b".
        var forged = good.GetRawText().Replace(
            good.GetProperty("dsse").GetProperty("signatures")[0].GetProperty("sig").GetString()!,
            other.GetProperty("dsse").GetProperty("signatures")[0].GetProperty("sig").GetString()!,
            StringComparison.Ordinal);
        using var response = await Samples.PostAsync(server.Client, Encoding.UTF8.GetBytes(forged));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task PostEntry_RevokedBuilder_Returns403()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        using (var revoke = new HttpRequestMessage(HttpMethod.Post, $"v1/admin/builders/{key.KeyId}/revoke")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { @operator = "tests", reason = "key lost" }),
        })
        {
            revoke.Headers.Authorization = new("Bearer", TestServer.AdminToken);
            using var revoked = await server.Client.SendAsync(revoke);
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        using var response = await Samples.PostAsync(server.Client, Samples.Document(key, "after-revocation"));
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PostEntry_OverBuilderRateLimit_Returns429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(null, "--builder-rate", "0.01", "--builder-burst", "2");
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);

        var r1 = Samples.Document(key, "r1");
        Assert.Equal(HttpStatusCode.Created, (await Samples.PostAsync(server.Client, r1)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Samples.PostAsync(server.Client, Samples.Document(key, "r2"))).StatusCode);
        using var limited = await Samples.PostAsync(server.Client, Samples.Document(key, "r3"));
        await AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        // Re-sending a document already in the log is answered from the dedup index, not limited.
        Assert.Equal(HttpStatusCode.OK, (await Samples.PostAsync(server.Client, r1)).StatusCode);
    }

    [Fact]
    public async Task PostEntry_SequencerClosed_Returns503WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        await server.Services.GetRequiredService<LogEngine>().Sequencer.DrainAsync(CancellationToken.None);

        using var response = await Samples.PostAsync(server.Client, Samples.Document(key, "late"));
        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task PostEntry_WaitCheckpoint_ReturnsVerifiableTlogProof()
    {
        await using var server = await TestServer.StartAsync();
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);
        var document = Samples.Document(key, "waited");

        using var response = await Samples.PostAsync(server.Client, document, "?wait=checkpoint");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonAsync(response);
        var proof = TlogProof.Parse(Encoding.UTF8.GetBytes(body.GetProperty("proof").GetString()!));
        Assert.Equal((ulong)body.GetProperty("index").GetInt64(), proof.Index);

        var logKey = NoteVerifier.Import((await server.Client.GetStringAsync("v1/log/key")).Trim());
        var stored = (await JsonAsync(await server.Client.GetAsync($"v1/entries/{proof.Index}"))).GetProperty("document").GetRawText();
        var verdict = proof.Verify(Encoding.UTF8.GetBytes(stored), new CheckpointPolicy("test.example/log", [logKey]));
        Assert.True(verdict.IsValid, verdict.ToString());
    }
}
