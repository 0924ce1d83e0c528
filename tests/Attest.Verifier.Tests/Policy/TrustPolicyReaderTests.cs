using System.Text;
using Attest.Provenance.Signing;
using Attest.Verifier.Policy;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Verifier.Tests.Policy;

public sealed class TrustPolicyReaderTests
{
    private static readonly string KeyA = PublicKeyText("builder-a");
    private static readonly string KeyB = PublicKeyText("builder-b");

    private static string PublicKeyText(string name)
    {
        using var key = IdentityKey.Generate(name);
        return key.PublicKey.ToString();
    }

    private static readonly string AdminKey = PublicKeyText("log-admin");

    private const string Golden = """
        {"version": 1, "configurations": [{"name": "nixos-builder-2026", "pcrs": {"sha256": {"7": "ef78383af3057d8c2a73f9a93a61dd240ca81cafaa7e86f07d84ab7eee6e78e2"}}}]}
        """;

    private static string Policy(
        string quorum = """{"minAgreeing": 2, "minOperators": 2, "maxDissenting": 0}""", string extraBuilder = "", string goldenValues = Golden) => $$"""
        {
          "version": 1,
          "logs": [
            {
              "origin": "attest.example/log",
              "key": "attest.example/log+01234567+AQID",
              "url": "http://127.0.0.1:8080",
              "witnesses": { "keys": ["w1+89abcdef+BAID"], "threshold": 1 },
              "adminKey": "{{AdminKey}}"
            }
          ],
          "builders": [
            { "name": "a", "key": "{{KeyA}}", "operator": "alpha", "requireTpm": true, "goldenValues": "nixos-builder-2026" },
            { "name": "b", "key": "{{KeyB}}", "operator": "beta" }{{extraBuilder}}
          ],
          "quorum": {{quorum}},
          "goldenValues": {{goldenValues}}
        }
        """;

    [Fact]
    public void Parse_ValidPolicy_ReadsEveryMember()
    {
        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy()));

        LogPolicy log = Assert.Single(policy.Logs);
        Assert.Equal("attest.example/log", log.Origin);
        Assert.Equal(new Uri("http://127.0.0.1:8080/"), log.Url);
        Assert.Equal(1, log.Witnesses.Threshold);
        Assert.Equal(2, policy.Builders.Count);
        Assert.True(policy.Builders[0].RequireTpm);
        Assert.Equal("nixos-builder-2026", policy.Builders[0].GoldenValues);
        Assert.False(policy.Builders[1].RequireTpm);
        Assert.Null(policy.Builders[1].GoldenValues);
        Assert.Equal(new QuorumRule(2, 2, 0, 0), policy.Quorum);
        Assert.Same(policy.Builders[1], policy.BuildersByKeyId[IdentityPublicKey.Parse(KeyB).KeyId]);
        Assert.Same(log, policy.FindLog("attest.example/log"));
        Assert.Null(policy.FindLog("other"));
        Assert.Equal(AdminKey, log.AdminKey?.ToString());
        Assert.Equal("nixos-builder-2026", Assert.Single(policy.GoldenValues!.Configurations).Name);
        Assert.Equal("nixos-builder-2026", Assert.Single(policy.GoldenValuesFor(policy.Builders[0])!.Configurations).Name);
        Assert.Null(policy.GoldenValuesFor(policy.Builders[1]));
    }

    [Fact]
    public void ReadFile_GoldenValuesFileNextToThePolicy_ReadRelativeToIt()
    {
        string directory = Directory.CreateTempSubdirectory("attest-policy-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "golden.json"), Golden);
            string file = Path.Combine(directory, "policy.json");
            File.WriteAllText(file, Policy(goldenValues: "\"golden.json\""));

            TrustPolicy policy = TrustPolicyReader.ReadFile(file);

            Assert.Equal("nixos-builder-2026", Assert.Single(policy.GoldenValues!.Configurations).Name);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"absent-golden.json\"", "$.goldenValues", "Cannot read the golden values file")]
    [InlineData("""{"version": 1, "configurations": [{"name": "x"}]}""", "$.goldenValues", "Not a valid golden values document")]
    [InlineData("""{"version": 1, "configurations": [{"name": "other", "pcrs": {"sha256": {"0": "ef78383af3057d8c2a73f9a93a61dd240ca81cafaa7e86f07d84ab7eee6e78e2"}}}]}""", "$", "does not define")]
    [InlineData("42", "$.goldenValues", "goldenValues is")]
    public void Parse_BadGoldenValues_NamesTheProblem(string goldenValues, string expectedPath, string expectedText)
    {
        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(goldenValues: goldenValues))));

        Assert.Equal(expectedPath, ex.JsonPath);
        Assert.Contains(expectedText, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"not-a-key\"")]
    [InlineData("7")]
    public void Parse_BadAdminKey_NamesTheMember(string adminKey)
    {
        string text = Policy().Replace($"\"{AdminKey}\"", adminKey, StringComparison.Ordinal);

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Equal("$.logs[0].adminKey", ex.JsonPath);
    }

    [Theory]
    [InlineData("""{"minAgreeing": 2, "minOperators": 2, "maxDissenting": 0, "minAgreing": 3}""", "$.quorum.minAgreing")]
    [InlineData("""{"minAgreeing": 0}""", "$.quorum.minAgreeing")]
    [InlineData("""{"minAgreeing": 3}""", "$")]
    [InlineData("""{"minAgreeing": 2, "minOperators": 3}""", "$.quorum.minOperators")]
    [InlineData("""{"minAgreeing": 2, "maxDissenting": -1}""", "$.quorum.maxDissenting")]
    [InlineData("""{"minAgreeing": 2, "minTpmAttested": 3}""", "$.quorum.minTpmAttested")]
    [InlineData("""{"minAgreeing": "2"}""", "$.quorum.minAgreeing")]
    [InlineData("""[]""", "$.quorum")]
    public void Parse_BadQuorum_NamesTheMember(string quorum, string expectedPath)
    {
        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(quorum))));

        Assert.Equal(expectedPath, ex.JsonPath);
    }

    [Fact]
    public void Parse_DuplicateBuilderKey_Refused()
    {
        string duplicate = $$""", { "name": "c", "key": "{{KeyA}}", "operator": "gamma" }""";

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(extraBuilder: duplicate))));

        Assert.Contains("same key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadBuilderKey_NamesTheMember()
    {
        string bad = """, { "name": "c", "key": "c+00+AAAA", "operator": "gamma" }""";

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(extraBuilder: bad))));

        Assert.Equal("$.builders[2].key", ex.JsonPath);
    }

    [Theory]
    [InlineData("ftp://example/")]
    [InlineData("relative/path")]
    public void Parse_BadLogUrl_NamesTheMember(string url)
    {
        string text = Policy().Replace("http://127.0.0.1:8080", url, StringComparison.Ordinal);

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Equal("$.logs[0].url", ex.JsonPath);
    }

    [Fact]
    public void Parse_WitnessThresholdAboveKeyCount_Refused()
    {
        string text = Policy().Replace("\"threshold\": 1", "\"threshold\": 2", StringComparison.Ordinal);

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Equal("$.logs[0].witnesses.threshold", ex.JsonPath);
    }

    [Fact]
    public void Parse_Oversized_RefusedBeforeParsing()
    {
        var bytes = new byte[TrustPolicyReader.MaxPolicyBytes + 1];

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(bytes));

        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TruncatedOrMutatedPolicies_OnlyPolicyFormatErrors()
    {
        byte[] valid = Encoding.UTF8.GetBytes(Policy());
        Prop.ForAll(
            Gen.Choose(0, valid.Length - 1).ToArbitrary(),
            Gen.Choose(0, 255).ToArbitrary(),
            Gen.Choose(0, valid.Length).ToArbitrary(),
            (position, value, cut) =>
            {
                byte[] mutated = (byte[])valid.Clone();
                mutated[position] = (byte)value;
                foreach (byte[] input in new[] { mutated, valid[..cut] })
                {
                    // Either a valid policy or a PolicyFormatException: nothing else may escape.
                    bool ok = TrustPolicyReader.TryParse(input, out TrustPolicy? policy, out PolicyFormatException? error);
                    Assert.True(ok ? policy is not null : error is not null);
                }
            }).QuickCheckThrowOnFailure();
    }
}
