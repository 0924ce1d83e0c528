using System.Text;
using Attest.Provenance.Signing;
using Attest.Tpm;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Policy;
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
        string quorum = """{"minAgreeing": 2, "minOperators": 2, "maxDissenting": 0}""", string extraBuilder = "", string goldenValues = Golden,
        string topLevelExtra = "", string builderAExtra = "") => $$"""
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
            { "name": "a", "key": "{{KeyA}}", "operator": "alpha", "requireTpm": true, "goldenValues": "nixos-builder-2026"{{builderAExtra}} },
            { "name": "b", "key": "{{KeyB}}", "operator": "beta" }{{extraBuilder}}
          ],
          "quorum": {{quorum}},
          "goldenValues": {{goldenValues}}{{topLevelExtra}}
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
    public void Parse_NoTpmRequiredPcrs_EveryBuilderGetsSha256ZeroToSeven()
    {
        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy()));

        Assert.Equal(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7), policy.TpmRequiredPcrs);
        Assert.All(policy.Builders, b =>
        {
            Assert.Null(b.TpmRequiredPcrs);
            Assert.Equal(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7), policy.QuotePolicyFor(b).RequiredPcrs);
            Assert.True(policy.QuotePolicyFor(b).RequireSafeClock);
        });
    }

    [Fact]
    public void Parse_TopLevelTpmRequiredPcrs_AppliesToBuildersWithoutTheirOwn()
    {
        string text = Policy(topLevelExtra: """, "tpmRequiredPcrs": {"sha256": [0, 2, 4, 7, 9, 10, 11, 12, 13, 14], "sha1": [23]}""");

        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text));

        var expected = new PcrSelection([
            new PcrBankSelection(TpmAlgorithm.Sha256, [0, 2, 4, 7, 9, 10, 11, 12, 13, 14]),
            new PcrBankSelection(TpmAlgorithm.Sha1, [23])]);
        Assert.Equal(expected, policy.TpmRequiredPcrs);
        Assert.Equal(expected, policy.QuotePolicyFor(policy.Builders[0]).RequiredPcrs);
        Assert.Equal(expected, policy.QuotePolicyFor(policy.Builders[1]).RequiredPcrs);
        Assert.True(policy.QuotePolicyFor(policy.Builders[1]).RequireSafeClock);
    }

    [Fact]
    public void Parse_BuilderTpmRequiredPcrs_OverridesTheDefaultForThatBuilderOnly()
    {
        string text = Policy(
            topLevelExtra: """, "tpmRequiredPcrs": {"sha256": [0, 1, 2, 3, 4, 5, 6, 7, 9]}""",
            extraBuilder: $$""", { "name": "old-vtpm", "key": "{{PublicKeyText("old")}}", "operator": "gamma", "tpmRequiredPcrs": {"sha1": [0, 7]} }""");

        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text));

        BuilderPolicy old = policy.Builders[2];
        Assert.Equal(new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha1, [0, 7])]), old.TpmRequiredPcrs);
        Assert.Equal(old.TpmRequiredPcrs, policy.QuotePolicyFor(old).RequiredPcrs);
        Assert.Equal(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7, 9), policy.QuotePolicyFor(policy.Builders[0]).RequiredPcrs);
        Assert.Equal(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7, 9), policy.QuotePolicyFor(policy.Builders[1]).RequiredPcrs);
    }

    [Theory]
    [InlineData("""{}""", "$.tpmRequiredPcrs", "The object is empty")]
    [InlineData("""[0, 1]""", "$.tpmRequiredPcrs", "Expected an object")]
    [InlineData("""null""", "$.tpmRequiredPcrs", "Expected an object")]
    [InlineData("""{"sha3_256": [0]}""", "$.tpmRequiredPcrs.sha3_256", "Unknown member; expected one of: sha1, sha256, sha384, sha512")]
    [InlineData("""{"SHA256": [0]}""", "$.tpmRequiredPcrs.SHA256", "Unknown member")]
    [InlineData("""{"sha256": [0], "sha256": [1]}""", "$.tpmRequiredPcrs.sha256", "appears more than once")]
    [InlineData("""{"sha256": []}""", "$.tpmRequiredPcrs.sha256", "The array is empty")]
    [InlineData("""{"sha256": "0-7"}""", "$.tpmRequiredPcrs.sha256", "Expected an array")]
    [InlineData("""{"sha256": [0, 1, 2, 24]}""", "$.tpmRequiredPcrs.sha256[3]", "from 0 to 23")]
    [InlineData("""{"sha256": [-1]}""", "$.tpmRequiredPcrs.sha256[0]", "from 0 to 23")]
    [InlineData("""{"sha256": [0, 1.5]}""", "$.tpmRequiredPcrs.sha256[1]", "from 0 to 23")]
    [InlineData("""{"sha256": [0, "1"]}""", "$.tpmRequiredPcrs.sha256[1]", "from 0 to 23")]
    [InlineData("""{"sha256": [0], "sha1": [3, 5, 3]}""", "$.tpmRequiredPcrs.sha1[2]", "PCR 3 appears more than once")]
    [InlineData("""{"sha256": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,0]}""", "$.tpmRequiredPcrs.sha256", "at most 24 PCRs")]
    public void Parse_BadTopLevelTpmRequiredPcrs_NamesThePath(string value, string expectedPath, string expectedText)
    {
        string text = Policy(topLevelExtra: ", \"tpmRequiredPcrs\": " + value);

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(expectedPath, ex.JsonPath);
        Assert.Contains(expectedText, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{}""", "$.builders[2].tpmRequiredPcrs", "The object is empty")]
    [InlineData("""{"sha256": [7], "md5": [0]}""", "$.builders[2].tpmRequiredPcrs.md5", "Unknown member")]
    [InlineData("""{"sha384": [0, 0]}""", "$.builders[2].tpmRequiredPcrs.sha384[1]", "appears more than once")]
    [InlineData("""{"sha512": [31]}""", "$.builders[2].tpmRequiredPcrs.sha512[0]", "from 0 to 23")]
    public void Parse_BadBuilderTpmRequiredPcrs_NamesThePath(string value, string expectedPath, string expectedText)
    {
        string builder = $$""", { "name": "c", "key": "{{PublicKeyText("c")}}", "operator": "gamma", "tpmRequiredPcrs": {{value}} }""";

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(extraBuilder: builder))));

        Assert.Equal(expectedPath, ex.JsonPath);
        Assert.Contains(expectedText, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(""", "tpmRequiredPcrs": {"sha256": [0, 1, 2, 3]}""", "", "sha256 PCR 7", "$.tpmRequiredPcrs")]
    [InlineData(""", "tpmRequiredPcrs": {"sha1": [7]}""", "", "sha256 PCR 7", "$.tpmRequiredPcrs")]
    [InlineData("", """, "tpmRequiredPcrs": {"sha256": [0]}""", "sha256 PCR 7", "$.builders[0].tpmRequiredPcrs")]
    public void Parse_GoldenValuePcrOutsideRequiredPcrs_RefusedNamingTheBuilder(string topLevel, string builderA, string expectedPcr, string expectedSource)
    {
        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(topLevelExtra: topLevel, builderAExtra: builderA))));

        Assert.Equal("$.builders[0].goldenValues", ex.JsonPath);
        Assert.Contains($"\"nixos-builder-2026\" pins {expectedPcr}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expectedSource, ex.Message, StringComparison.Ordinal);
        Assert.Contains("add it to tpmRequiredPcrs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GoldenValuePcrOutsideTheDefault_RefusedSayingTheDefaultApplies()
    {
        string golden = """{"version": 1, "configurations": [{"name": "nixos-builder-2026", "pcrs": {"sha256": {"11": "ef78383af3057d8c2a73f9a93a61dd240ca81cafaa7e86f07d84ab7eee6e78e2"}}}]}""";

        var ex = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy(goldenValues: golden))));

        Assert.Equal("$.builders[0].goldenValues", ex.JsonPath);
        Assert.Contains("pins sha256 PCR 11", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the default, as $.tpmRequiredPcrs is absent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GoldenValueEventInPcrOutsideRequiredPcrs_Refused()
    {
        string golden = """
            {"version": 1, "configurations": [{"name": "nixos-builder-2026",
              "events": [{"pcr": 4, "bank": "sha256", "digest": "ef78383af3057d8c2a73f9a93a61dd240ca81cafaa7e86f07d84ab7eee6e78e2"}]}]}
            """;

        var refused = Assert.Throws<PolicyFormatException>(() => TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(
            Policy(goldenValues: golden, topLevelExtra: """, "tpmRequiredPcrs": {"sha256": [0, 7]}"""))));
        TrustPolicy coveredThroughSha1 = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(
            Policy(goldenValues: golden, topLevelExtra: """, "tpmRequiredPcrs": {"sha1": [4]}""")));

        Assert.Equal("$.builders[0].goldenValues", refused.JsonPath);
        Assert.Contains("requires an event in PCR 4", refused.Message, StringComparison.Ordinal);
        Assert.Equal(new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha1, [4])]), coveredThroughSha1.TpmRequiredPcrs);
    }

    [Fact]
    public void Parse_BuilderOverrideCoversItsGoldenValues_AcceptedWhileTheDefaultDoesNot()
    {
        string text = Policy(topLevelExtra: """, "tpmRequiredPcrs": {"sha256": [0]}""", builderAExtra: """, "tpmRequiredPcrs": {"sha256": [0, 7]}""");

        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(PcrSelection.Sha256(0, 7), policy.QuotePolicyFor(policy.Builders[0]).RequiredPcrs);
        Assert.Equal(PcrSelection.Sha256(0), policy.QuotePolicyFor(policy.Builders[1]).RequiredPcrs);
    }

    [Fact]
    public void Parse_RequiredPcrsOfAnyBanksAndIndexes_ReadExactly()
    {
        string[] banks = ["sha1", "sha256", "sha384", "sha512"];
        Prop.ForAll(
            Gen.Choose(1, 15).ToArbitrary(),
            Gen.Choose(1, (1 << 24) - 1).ArrayOf(4).ToArbitrary(),
            (bankSet, masks) =>
            {
                var members = new List<string>();
                var expected = new List<PcrBankSelection>();
                for (int b = 0; b < banks.Length; b++)
                {
                    if ((bankSet & (1 << b)) == 0)
                    {
                        continue;
                    }

                    // Descending order: the reader must not depend on the indexes being sorted.
                    var pcrs = Enumerable.Range(0, 24).Where(i => (masks[b] & (1 << i)) != 0).Reverse().ToList();
                    members.Add($"\"{banks[b]}\": [{string.Join(", ", pcrs)}]");
                    Assert.True(TpmHash.TryParseBankName(banks[b], out TpmAlgorithm hash));
                    expected.Add(new PcrBankSelection(hash, pcrs));
                }

                string text = Policy(
                    goldenValues: """{"version": 1, "configurations": []}""",
                    builderAExtra: ", \"tpmRequiredPcrs\": {" + string.Join(", ", members) + "}").Replace(
                    "\"goldenValues\": \"nixos-builder-2026\"", "\"goldenValues\": null", StringComparison.Ordinal);

                TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(text));

                Assert.Equal(new PcrSelection(expected), policy.Builders[0].TpmRequiredPcrs);
                Assert.Equal(new PcrSelection(expected), policy.QuotePolicyFor(policy.Builders[0]).RequiredPcrs);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Constructor_GoldenValuesOutsideTheBuildersRequiredPcrs_RefusedUnlessTheBuilderCoversThem()
    {
        using var key = IdentityKey.Generate("builder");
        var builder = new BuilderPolicy("b", key.PublicKey, "op", true, "uki");
        var golden = new GoldenValuesPolicy([new BuildMachineConfiguration("uki", null, [new PcrValue(TpmAlgorithm.Sha256, 11, new byte[32])], [])]);
        var rule = new QuorumRule(1, 1, 0, 0);

        var refused = Assert.Throws<ArgumentException>(() => new TrustPolicy([], [builder], rule, golden, null));
        var policy = new TrustPolicy([], [builder with { TpmRequiredPcrs = PcrSelection.Sha256(0, 7, 11) }], rule, golden, null);

        Assert.Contains("which pins sha256 PCR 11, but the builder's TPM required PCRs (sha256:0,1,2,3,4,5,6,7) do not include it", refused.Message, StringComparison.Ordinal);
        Assert.Equal(PcrSelection.Sha256(0, 7, 11), policy.QuotePolicyFor(policy.Builders[0]).RequiredPcrs);
        Assert.Equal(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7), policy.TpmRequiredPcrs);
    }

    [Fact]
    public void Constructor_RequiredPcrsAbove23OrEmpty_Refused()
    {
        using var key = IdentityKey.Generate("builder");
        var builder = new BuilderPolicy("b", key.PublicKey, "op", false, null);
        var rule = new QuorumRule(1, 1, 0, 0);

        var high = Assert.Throws<ArgumentException>(() => new TrustPolicy([], [builder], rule, null, PcrSelection.Sha256(0, 24)));
        var empty = Assert.Throws<ArgumentException>(() => new TrustPolicy([], [builder with { TpmRequiredPcrs = PcrSelection.Empty }], rule, null, null));
        var emptyBank = Assert.Throws<ArgumentException>(() => new TrustPolicy([], [builder], rule, null, PcrSelection.Sha256()));

        Assert.Contains("above 23", high.Message, StringComparison.Ordinal);
        Assert.Contains("name no bank", empty.Message, StringComparison.Ordinal);
        Assert.Contains("with no PCR", emptyBank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotePolicyFor_BuilderOfAnotherPolicy_Throws()
    {
        using var key = IdentityKey.Generate("stranger");
        TrustPolicy policy = TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(Policy()));

        Assert.Throws<ArgumentException>(() => policy.QuotePolicyFor(new BuilderPolicy("stranger", key.PublicKey, "op", false, null)));
    }

    [Fact]
    public void TryParse_TruncatedOrMutatedPolicies_OnlyPolicyFormatErrors()
    {
        byte[] valid = Encoding.UTF8.GetBytes(Policy(
            topLevelExtra: """, "tpmRequiredPcrs": {"sha256": [0, 1, 2, 7, 9], "sha1": [0]}""",
            builderAExtra: """, "tpmRequiredPcrs": {"sha256": [7, 11]}"""));
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
