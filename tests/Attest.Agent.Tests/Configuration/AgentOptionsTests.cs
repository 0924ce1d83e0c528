using System.Text;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Tpm;
using Attest.Agent.Tests.Infrastructure;
using Attest.Tpm.Keys;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Agent.Tests.Configuration;

public sealed class AgentOptionsTests
{
    private const string Valid = """
        {
          // comments are allowed
          "builderName": "builder-a",
          "keyPath": "/etc/attest/builder.key",
          "spoolDirectory": "/var/spool/attest",
          "logUrls": ["http://127.0.0.1:8080/"],
          "nix": { "store": "/tmp/b", "binDirectory": "/usr/bin" },
          "failBuildOnError": true,
        }
        """;

    [Fact]
    public void Parse_ValidFile_ReadsEverySetting()
    {
        var options = AgentOptions.Parse(Encoding.UTF8.GetBytes(Valid), "test");

        Assert.Equal("builder-a", options.BuilderName);
        Assert.Equal("/etc/attest/builder.key", options.KeyPath);
        Assert.Equal(new Uri("http://127.0.0.1:8080/"), Assert.Single(options.LogUrls));
        Assert.Equal("/tmp/b", options.Nix.Store);
        Assert.True(options.FailBuildOnError);
        Assert.Null(options.Tpm);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Delivery.InitialBackoff);
    }

    [Fact]
    public void ToJson_RoundTrip_SameOptions()
    {
        var options = AgentOptions.Parse(Encoding.UTF8.GetBytes(Valid), "test");

        var again = AgentOptions.Parse(options.ToJson(), "round-trip");

        Assert.Equal(options.BuilderName, again.BuilderName);
        Assert.Equal(options.LogUrls, again.LogUrls);
        Assert.Equal(options.Nix.Store, again.Nix.Store);
        Assert.Equal(options.FailBuildOnError, again.FailBuildOnError);
    }

    [Theory]
    [InlineData("""{"builderName":"b","keyPath":"key","spoolDirectory":"/s"}""", "keyPath")]
    [InlineData("""{"builderName":"","keyPath":"/k","spoolDirectory":"/s"}""", "builderName")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","logUrls":["ftp://x/"]}""", "ftp://x/")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","colour":"blue"}""", "colour")]
    [InlineData("""{"builderName":"b","keyPath":"/k"}""", "spoolDirectory")]
    [InlineData("""{"builderName":"b",""", "invalid")]
    public void Parse_InvalidSetting_ErrorNamesIt(string json, string expected)
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentOptions.Parse(Encoding.UTF8.GetBytes(json), "agent.json"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("agent.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EveryNestedSetting_Read()
    {
        const string Json = """
            {
              "BuilderName": "builder-a", "keyPath": "/k", "spoolDirectory": "/s",
              "nix": { "store": null, "binDirectory": "/usr/bin", "rebuildStore": "/r", "rebuildOptions": { "sandbox": "true" } },
              "delivery": { "initialBackoff": "00:00:02", "maxBackoff": "1.00:00:00", "requestTimeout": "00:00:00.5000000" },
              "tpm": { "tcti": "swtpm:host=127.0.0.1,port=2321", "pcrs": "sha256:0,7" },
              "failBuildOnError": false
            }
            """;

        var options = AgentOptions.Parse(Encoding.UTF8.GetBytes(Json), "test");

        Assert.Equal("builder-a", options.BuilderName);
        Assert.Null(options.Nix.Store);
        Assert.Equal("/usr/bin", options.Nix.BinDirectory);
        Assert.Equal("/r", options.Nix.RebuildStore);
        Assert.Equal("true", options.Nix.RebuildOptions["sandbox"]);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Delivery.InitialBackoff);
        Assert.Equal(TimeSpan.FromDays(1), options.Delivery.MaxBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Delivery.RequestTimeout);
        Assert.Equal("swtpm:host=127.0.0.1,port=2321", options.Tpm?.Tcti);
        Assert.False(options.FailBuildOnError);
    }

    [Fact]
    public void Parse_PartialTpmSection_KeepsDefaultsOfTheRest()
    {
        var options = AgentOptions.Parse(Encoding.UTF8.GetBytes(
            """{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","tpm":{"tcti":"device:/dev/tpmrm0","ekKind":"eccP256"}}"""), "test");

        var tpm = Assert.IsType<AgentTpmOptions>(options.Tpm);
        Assert.Equal("device:/dev/tpmrm0", tpm.Tcti);
        Assert.Equal(EndorsementKeyKind.EccP256, tpm.EkKind);
        Assert.Equal(AgentTpmOptions.DefaultAkHandle, tpm.AkHandle);
        Assert.Equal(AttestationKeyAlgorithm.EcdsaP256, tpm.AkAlgorithm);
        Assert.Equal("sha256:0-7,11", tpm.Pcrs);
        Assert.True(tpm.IncludeEventLog);
        Assert.False(tpm.Required);
        Assert.Null(tpm.EkHandle);
    }

    [Fact]
    public void ToJson_EveryTpmSetting_RoundTrips()
    {
        var options = new AgentOptions
        {
            BuilderName = "b",
            KeyPath = "/k",
            SpoolDirectory = "/s",
            Tpm = new AgentTpmOptions
            {
                Tcti = "swtpm:host=127.0.0.1,port=2321",
                Pcrs = "sha256:0,7",
                AkHandle = 0x8101_0005,
                AkAlgorithm = AttestationKeyAlgorithm.RsaSsa2048,
                EkKind = EndorsementKeyKind.EccP256,
                EkHandle = 0x8101_0001,
                EventLogPath = "/tmp/event-log",
                IncludeEventLog = false,
                Required = true,
            },
        };

        var json = Encoding.UTF8.GetString(options.ToJson());
        var again = AgentOptions.Parse(options.ToJson(), "round-trip");

        Assert.Contains("\"akAlgorithm\": \"RsaSsa2048\"", json, StringComparison.Ordinal);
        Assert.Equal(options.Tpm, again.Tpm);
    }

    [Theory]
    [InlineData("""{"tcti":"device:/dev/tpmrm0","akAlgorithm":"dsa"}""", "$.tpm.akAlgorithm")]
    [InlineData("""{"tcti":"device:/dev/tpmrm0","akAlgorithm":"1"}""", "$.tpm.akAlgorithm")]
    [InlineData("""{"tcti":"device:/dev/tpmrm0","akHandle":-1}""", "$.tpm.akHandle")]
    [InlineData("""{"tcti":"device:/dev/tpmrm0","ekHandle":"0x81"}""", "$.tpm.ekHandle")]
    [InlineData("""{"tcti":"device:/dev/tpmrm0","quote":true}""", "$.tpm.quote")]
    [InlineData("""{"pcrs":"sha256:0"}""", "tcti")]
    [InlineData("""[]""", "$.tpm")]
    public void Parse_BadTpmSetting_ErrorNamesIt(string tpm, string expected)
    {
        var json = $$"""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","tpm":{{tpm}}}""";

        var error = Assert.Throws<AgentConfigurationException>(() => AgentOptions.Parse(Encoding.UTF8.GetBytes(json), "agent.json"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PartialDeliverySection_KeepsDefaultsOfTheRest()
    {
        var options = AgentOptions.Parse(Encoding.UTF8.GetBytes("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","delivery":{"maxBackoff":"00:10:00"}}"""), "test");

        Assert.Equal(TimeSpan.FromSeconds(1), options.Delivery.InitialBackoff);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Delivery.MaxBackoff);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Delivery.RequestTimeout);
    }

    [Theory]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","nix":{"colour":"x"}}""", "$.nix.colour")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","delivery":{"maxBackoff":"soon"}}""", "$.delivery.maxBackoff")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","failBuildOnError":"yes"}""", "$.failBuildOnError")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","logUrls":"http://x/"}""", "$.logUrls")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","logUrls":[42]}""", "$.logUrls[0]")]
    [InlineData("""{"builderName":null,"keyPath":"/k","spoolDirectory":"/s"}""", "$.builderName")]
    [InlineData("""{"builderName":"b","keyPath":"/k","spoolDirectory":"/s","nix":[]}""", "$.nix")]
    [InlineData("""[]""", "$")]
    public void Parse_WrongShape_ErrorNamesThePath(string json, string expected)
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentOptions.Parse(Encoding.UTF8.GetBytes(json), "agent.json"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Parse_MutatedValidFile_ParsesOrConfigurationError(int position, byte value)
    {
        var bytes = Encoding.UTF8.GetBytes(Valid);
        bytes[(position & 0x7fffffff) % bytes.Length] = value;
        try
        {
            _ = AgentOptions.Parse(bytes, "mutated");
            return true.ToProperty();
        }
        catch (AgentConfigurationException)
        {
            return true.ToProperty();
        }
    }

    [Fact]
    public void Load_MissingFile_ErrorNamesPath()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("absent.json");

        var error = Assert.Throws<AgentConfigurationException>(() => AgentOptions.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvePath_ExplicitPath_WinsOverDefault()
    {
        Assert.Equal("/x/agent.json", AgentOptions.ResolvePath("/x/agent.json"));
    }
}
