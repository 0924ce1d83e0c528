using Attest.Agent.Core.Rebuild;
using Attest.Agent.Tests.Infrastructure;

namespace Attest.Agent.Tests.Rebuild;

public sealed class RebuildPositionsTests
{
    [Fact]
    public void Load_NoFile_EveryLogStartsAtZero()
    {
        using var dir = new TempDirectory();

        var positions = RebuildPositions.Load(dir.Path);

        Assert.Equal(0, positions.Get("attest.test/log"));
        Assert.Empty(positions.Positions);
    }

    [Fact]
    public void Save_TwoLogs_ReloadedPerOriginWithoutTemporaryFiles()
    {
        using var dir = new TempDirectory();
        var positions = RebuildPositions.Load(dir.Path);

        positions.Save("attest.test/log-1", 17);
        positions.Save("attest.test/log-2", 4);
        positions.Save("attest.test/log-1", 20);

        var again = RebuildPositions.Load(dir.Path);
        Assert.Equal(20, again.Get("attest.test/log-1"));
        Assert.Equal(4, again.Get("attest.test/log-2"));
        Assert.Equal([RebuildPositions.FileName], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"next\":{\"log\":-1}}")]
    [InlineData("{\"next\":{\"log\":\"3\"}}")]
    [InlineData("{\"next\":{\"log\":1.5}}")]
    public void Load_DamagedFile_InvalidDataNamingTheFile(string content)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine(RebuildPositions.FileName), content);

        var error = Assert.Throws<InvalidDataException>(() => RebuildPositions.Load(dir.Path));

        Assert.Contains(RebuildPositions.FileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OversizedFile_Refused()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.Combine(RebuildPositions.FileName), new byte[RebuildPositions.MaxFileBytes + 1]);

        Assert.Throws<InvalidDataException>(() => RebuildPositions.Load(dir.Path));
    }
}
