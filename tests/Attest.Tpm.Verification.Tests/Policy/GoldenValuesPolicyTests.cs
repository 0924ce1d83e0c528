using System.Security.Cryptography;
using System.Text;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Policy;

public sealed class GoldenValuesPolicyTests
{
    private static readonly string BootAppDigest = Convert.ToHexStringLower(SHA256.HashData("systemd-boot PE image"u8));

    private static string PolicyJson(EventLogWriter w, string pcr7Override = "") => $$"""
        {
          "version": 1,
          "configurations": [
            {
              "name": "nixos-builder-a",
              "description": "x86_64 builder, systemd-boot, Secure Boot on",
              "pcrs": { "sha256": { "0": "{{Convert.ToHexStringLower(w.Pcr(TpmAlgorithm.Sha256, 0))}}", "7": "{{(pcr7Override.Length > 0 ? pcr7Override : Convert.ToHexStringLower(w.Pcr(TpmAlgorithm.Sha256, 7)))}}" } },
              "events": [ { "pcr": 4, "bank": "sha256", "type": "EV_EFI_BOOT_SERVICES_APPLICATION", "digest": "{{BootAppDigest}}" } ]
            },
            {
              "name": "nixos-builder-b",
              "events": [ { "pcr": 4, "bank": "sha256", "digest": "{{new string('a', 64)}}" } ]
            }
          ]
        }
        """;

    [Fact]
    public void Evaluate_MatchingMachine_MatchesFirstConfigurationOnly()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        GoldenValuesPolicy policy = GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(PolicyJson(w)));
        PcrValueSet quoted = w.Quoted();

        GoldenValuesVerdict verdict = policy.Evaluate(quoted, TcgEventLogReplayer.Replay(w.ToArray(), quoted));

        Assert.True(verdict.IsMatch, verdict.ToString());
        Assert.Equal(["nixos-builder-a"], verdict.MatchedConfigurations);
        Assert.Equal(GoldenValueFailureCode.EventNotFound, Assert.Single(verdict.Results[1].Failures).Code);
    }

    [Fact]
    public void Evaluate_WrongPcr7AndNoLog_ReportsEveryReason()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        GoldenValuesPolicy policy = GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(PolicyJson(w, new string('0', 64))));

        GoldenValuesVerdict verdict = policy.Evaluate(w.Quoted(), replay: null);

        Assert.False(verdict.IsMatch);
        Assert.Equal([GoldenValueFailureCode.PcrValueMismatch, GoldenValueFailureCode.EventLogUnavailable], verdict.Results[0].Failures.Select(f => f.Code));
        Assert.Contains("PCR 7", verdict.Results[0].Failures[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PcrNotQuoted_PcrNotQuoted()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        GoldenValuesPolicy policy = GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(PolicyJson(w)));
        PcrValueSet quoted = w.Quoted(mask: 0x7F);

        GoldenValuesVerdict verdict = policy.Evaluate(quoted, TcgEventLogReplayer.Replay(w.ToArray(), quoted));

        Assert.Contains(verdict.Results[0].Failures, f => f.Code == GoldenValueFailureCode.PcrNotQuoted);
    }

    [Fact]
    public void Evaluate_BootAppEventNotCoveredByQuote_EventNotFound()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        GoldenValuesPolicy policy = GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(PolicyJson(w)));
        PcrValueSet quoted = w.Quoted(mask: 0xEF); // PCR 4 not quoted: its events prove nothing

        GoldenValuesVerdict verdict = policy.Evaluate(quoted, TcgEventLogReplayer.Replay(w.ToArray(), quoted));

        Assert.Equal(GoldenValueFailureCode.EventNotFound, Assert.Single(verdict.Results[0].Failures).Code);
    }

    [Fact]
    public void ToJson_RoundTrips()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        GoldenValuesPolicy policy = GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(PolicyJson(w)));

        GoldenValuesPolicy again = GoldenValuesPolicy.Parse(policy.ToJson());

        Assert.Equal(policy.ToJson(), again.ToJson());
        Assert.Equal(2, again.Configurations.Count);
        Assert.Equal(TcgEventType.EfiBootServicesApplication, again.Configurations[0].RequiredEvents[0].EventType);
    }

    [Theory]
    [InlineData("""{"version":1,"configurations":[{"name":"a","pcrs":{"sha256":{"0":"00"}}}]}""", "sha256 digest")]
    [InlineData("""{"version":1,"configurations":[{"name":"a"}]}""", "any machine would match")]
    [InlineData("""{"version":1,"configurations":[{"name":"a","pcrs":{"md5":{}}}]}""", "md5")]
    [InlineData("""{"version":1,"configurations":[],"extra":1}""", "$.extra")]
    [InlineData("""{"version":2,"configurations":[]}""", "$.version")]
    [InlineData("""{"version":1,"version":1,"configurations":[]}""", "not valid JSON")]
    [InlineData("""{"version":1,"configurations":[{"name":"a","pcrs":{"sha256":{"32":"00"}}}]}""", "PCR index")]
    [InlineData("""{"version":1,"configurations":[{"name":"a","events":[{"pcr":4,"bank":"sha256","type":"EV_BOGUS","digest":"00"}]}]}""", "event type")]
    [InlineData("""{"version":1,"configurations":[{"name":"a","events":[{"pcr":4,"bank":"sha256","digest":"AA"}]}]}""", "lowercase hex")]
    public void Parse_InvalidDocument_ThrowsNamingProblem(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => GoldenValuesPolicy.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateNames_Throws()
    {
        string json = """{"version":1,"configurations":[{"name":"a","events":[{"pcr":4,"bank":"sha1","digest":"0000000000000000000000000000000000000000"}]},{"name":"a","events":[{"pcr":4,"bank":"sha1","digest":"0000000000000000000000000000000000000000"}]}]}""";

        Assert.False(GoldenValuesPolicy.TryParse(Encoding.UTF8.GetBytes(json), out _, out string? error));
        Assert.Contains("unique", error, StringComparison.Ordinal);
    }
}
