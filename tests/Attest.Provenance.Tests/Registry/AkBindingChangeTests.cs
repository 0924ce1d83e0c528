using System.Text;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;

namespace Attest.Provenance.Tests.Registry;

public sealed class AkBindingChangeTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 22, 18, 0, 0, TimeSpan.Zero);

    private static readonly TpmAkBinding Ak = new(
        Convert.FromHexString("000b" + new string('a', 64)), Convert.FromBase64String("AFgAIwALAAUAcgAAABAAGAALAAMAEAAg"),
        Convert.FromHexString("000b" + new string('e', 64)), new string('c', 64));

    [Fact]
    public void ToLogEntry_AkBinding_RoundTripsEveryTpmField()
    {
        using var admin = Samples.Admin();
        using var builder = Samples.Builder();
        var change = new RegistryChange(RegistryAction.AkBinding, builder.PublicKey, "registrar", null, When, "") { AkBinding = Ak };

        var entry = change.ToLogEntry(admin);

        Assert.True(JsonCanonicalizer.IsCanonical(entry));
        Assert.True(RegistryChange.TryParseLogEntry(entry, admin.PublicKey, out var parsed, out var error), error?.ToString());
        Assert.Equal(RegistryAction.AkBinding, parsed.Action);
        Assert.Equal(builder.PublicKey, parsed.Builder);
        Assert.Equal(Ak.AkName.ToArray(), parsed.AkBinding!.AkName.ToArray());
        Assert.Equal(Ak.AkPublic.ToArray(), parsed.AkBinding.AkPublic.ToArray());
        Assert.Equal(Ak.EkName.ToArray(), parsed.AkBinding.EkName.ToArray());
        Assert.Equal(Ak.EkCertificateSha256, parsed.AkBinding.EkCertificateSha256);
        Assert.Contains("\"action\":\"ak-binding\"", Encoding.UTF8.GetString(change.ToPayloadJson()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("add", true, "$.tpm")]
    [InlineData("ak-binding", false, "$.tpm")]
    public void TryParsePayload_TpmMemberAndActionDisagree_NamesTpm(string action, bool withTpm, string path)
    {
        using var builder = Samples.Builder();
        var tpm = withTpm ? ",\"tpm\":" + TpmJson(new string('a', 64)) : "";
        var payload = $"{{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"{action}\",\"builder\":\"{builder.PublicKey}\",\"operator\":\"registrar\",\"reason\":\"\",\"time\":\"2026-11-22T18:00:00Z\"{tpm}}}";

        Assert.False(RegistryChange.TryParsePayload(Encoding.UTF8.GetBytes(payload), out _, out var error));
        Assert.Equal(path, error!.Path);
    }

    [Theory]
    [InlineData("AB")]
    [InlineData("abc")]
    [InlineData("zz")]
    public void TryParsePayload_AkNameNotLowercaseHex_NamesAkName(string akName)
    {
        using var builder = Samples.Builder();
        var payload = $"{{\"_type\":\"urn:attest:registry-change:v1\",\"action\":\"ak-binding\",\"builder\":\"{builder.PublicKey}\",\"operator\":\"registrar\",\"reason\":\"\",\"time\":\"2026-11-22T18:00:00Z\",\"tpm\":{TpmJson(akName)}}}";

        Assert.False(RegistryChange.TryParsePayload(Encoding.UTF8.GetBytes(payload), out _, out var error));
        Assert.Equal("$.tpm.akName", error!.Path);
    }

    [Fact]
    public void TryApply_AkBinding_NeedsAnActiveKeyAndChangesNoWriter()
    {
        using var builder = Samples.Builder();
        var registry = new BuilderRegistry();
        var bind = new RegistryChange(RegistryAction.AkBinding, builder.PublicKey, "registrar", null, When, "") { AkBinding = Ak };

        Assert.False(registry.TryApply(bind, out _));
        registry.Apply(new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", null, When, ""));
        var before = registry.Builders;
        Assert.True(registry.TryApply(bind, out var error), error);
        Assert.Same(before, registry.Builders);
        registry.Apply(new RegistryChange(RegistryAction.Revoke, builder.PublicKey, "alice", null, When, ""));
        Assert.False(registry.TryApply(bind, out error));
        Assert.Contains("revoked", error, StringComparison.Ordinal);
    }

    private static string TpmJson(string akName) =>
        $"{{\"akName\":\"{akName}\",\"akPublic\":\"AFgAIwALAAUAcgAAABAAGAALAAMAEAAg\",\"ekCertificateSha256\":\"{new string('c', 64)}\",\"ekName\":\"000b{new string('e', 64)}\"}}";
}
