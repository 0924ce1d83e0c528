using System.Text;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Tests.Infrastructure;

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
