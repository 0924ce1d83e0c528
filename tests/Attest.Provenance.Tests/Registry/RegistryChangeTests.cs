using System.Text;
using System.Text.Json.Nodes;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;

namespace Attest.Provenance.Tests.Registry;

public sealed class RegistryChangeTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 22, 17, 30, 0, TimeSpan.Zero);

    [Fact]
    public void ToLogEntry_ThenParse_RoundTripsAndVerifies()
    {
        using var admin = Samples.Admin();
        using var builder = Samples.Builder();
        var change = new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", "hydra", When, "new builder");
        var entry = change.ToLogEntry(admin);
        Assert.True(JsonCanonicalizer.IsCanonical(entry));
        Assert.True(RegistryChange.TryParseLogEntry(entry, admin.PublicKey, out var parsed, out var error), error?.ToString());
        Assert.Equal(change, parsed);
        var payload = Encoding.UTF8.GetString(change.ToPayloadJson());
        Assert.Equal(
            "{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"" + builder.PublicKey +
            "\",\"group\":\"hydra\",\"operator\":\"alice\",\"reason\":\"new builder\",\"time\":\"2026-11-22T17:30:00Z\"}",
            payload);
    }

    [Fact]
    public void TryParseLogEntry_WrongAdminKey_Returns401()
    {
        using var admin = Samples.Admin();
        using var impostor = IdentityKey.Generate("impostor");
        using var builder = Samples.Builder();
        var entry = new RegistryChange(RegistryAction.Revoke, builder.PublicKey, "mallory", null, When, "").ToLogEntry(impostor);
        Assert.False(RegistryChange.TryParseLogEntry(entry, admin.PublicKey, out var change, out var error));
        Assert.Null(change);
        Assert.Equal(DocumentErrorCode.BadSignature, error!.Code);
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public void TryParseLogEntry_TamperedPayload_Returns401()
    {
        using var admin = Samples.Admin();
        using var builder = Samples.Builder();
        var entry = new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", null, When, "").ToLogEntry(admin);
        var node = JsonNode.Parse(entry)!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)node["dsse"]!["payload"]!));
        node["dsse"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("alice", "alicf", StringComparison.Ordinal)));
        Assert.False(RegistryChange.TryParseLogEntry(Encoding.UTF8.GetBytes(node.ToJsonString()), admin.PublicKey, out _, out var error));
        Assert.Equal(DocumentErrorCode.BadSignature, error!.Code);
    }

    [Theory]
    [InlineData("{\"_type\":\"x\",\"action\":\"add\",\"builder\":\"B\",\"operator\":\"o\",\"reason\":\"\",\"time\":\"2026-01-01T00:00:00Z\"}", "$._type")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"remove\",\"builder\":\"B\",\"operator\":\"o\",\"reason\":\"\",\"time\":\"2026-01-01T00:00:00Z\"}", "$.action")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"nope\",\"operator\":\"o\",\"reason\":\"\",\"time\":\"2026-01-01T00:00:00Z\"}", "$.builder")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"B\",\"operator\":\"\",\"reason\":\"\",\"time\":\"2026-01-01T00:00:00Z\"}", "$.operator")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"B\",\"operator\":\"o\",\"time\":\"2026-01-01T00:00:00Z\"}", "$.reason")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"B\",\"operator\":\"o\",\"reason\":\"\",\"time\":\"yesterday\"}", "$.time")]
    [InlineData("{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"add\",\"builder\":\"B\",\"operator\":\"o\",\"reason\":\"\",\"time\":\"2026-01-01T00:00:00Z\",\"x\":1}", "$.x")]
    public void TryParsePayload_Invalid_NamesField(string json, string path)
    {
        using var builder = Samples.Builder();
        var payload = Encoding.UTF8.GetBytes(json.Replace("\"B\"", "\"" + builder.PublicKey + "\"", StringComparison.Ordinal));
        Assert.False(RegistryChange.TryParsePayload(payload, out _, out var error));
        Assert.Equal(DocumentErrorCode.InvalidRegistryChange, error!.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void ToPayloadJson_InvalidFields_Throws()
    {
        using var builder = Samples.Builder();
        Assert.Throws<DocumentException>(() => new RegistryChange(RegistryAction.Add, builder.PublicKey, "", null, When, "").ToPayloadJson());
        Assert.Throws<DocumentException>(() => new RegistryChange(RegistryAction.Add, builder.PublicKey, "o", null, When, new string('r', 2000)).ToPayloadJson());
        Assert.Throws<DocumentException>(() => new RegistryChange((RegistryAction)7, builder.PublicKey, "o", null, When, "").ToPayloadJson());
    }

    [Fact]
    public void BuilderRegistry_AddRevokeReAdd_FollowsRules()
    {
        using var builder = Samples.Builder();
        var registry = new BuilderRegistry();
        var add = new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", "hydra", When, "");
        var revoke = add with { Action = RegistryAction.Revoke };
        Assert.False(registry.TryResolve(builder.KeyId, out _));
        Assert.False(registry.CanApply(revoke, out var error));
        Assert.Contains("not registered", error, StringComparison.Ordinal);
        registry.Apply(add);
        Assert.True(registry.TryResolve(builder.KeyId, out var active));
        Assert.False(active.IsRevoked);
        Assert.Equal("hydra", active.Group);
        Assert.False(registry.TryApply(add, out error));
        Assert.Contains("already registered", error, StringComparison.Ordinal);
        registry.Apply(revoke);
        Assert.True(registry.TryResolve(builder.KeyId, out var revoked));
        Assert.True(revoked.IsRevoked);
        Assert.Throws<InvalidOperationException>(() => registry.Apply(revoke));
        registry.Apply(add with { Builder = builder.PublicKey.WithName("hydra-01b") });
        Assert.True(registry.TryResolve(builder.KeyId, out var readded));
        Assert.False(readded.IsRevoked);
        Assert.Equal("hydra-01b", readded.Name);
        Assert.Single(registry.Builders);
    }

    [Fact]
    public void TryParseLogEntry_MutatedEntries_OnlyDocumentedErrors()
    {
        using var admin = Samples.Admin();
        using var builder = Samples.Builder();
        var entry = new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", "hydra", When, "r").ToLogEntry(admin);
        var random = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            var mutated = Fuzz.Mutate(entry, random);
            if (!RegistryChange.TryParseLogEntry(mutated, admin.PublicKey, out _, out var error))
            {
                Assert.True(Enum.IsDefined(error!.Code));
                Assert.Contains(error.Status, new[] { 400, 401, 413 });
            }
        }
    }
}
