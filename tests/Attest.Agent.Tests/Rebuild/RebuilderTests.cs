using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.Rebuild;
using Attest.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.Agent.Tests.Rebuild;

public sealed class RebuilderTests
{
    [Fact]
    public async Task RebuildUnconfirmedAsync_LogUnreachable_ReportsItAndSavesNoPosition()
    {
        using var dir = new TempDirectory();
        using (BuilderIdentity.Create("rebuilder", dir.Combine("key"), overwrite: false))
        {
        }

        var options = new AgentOptions { BuilderName = "rebuilder", KeyPath = dir.Combine("key"), SpoolDirectory = dir.Combine("spool") };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var rebuilder = new Rebuilder(options, [new LogClient(http, new Uri("http://127.0.0.1:1/"))], TimeProvider.System, NullLogger<Rebuilder>.Instance);
        var reports = 0;

        var scans = await rebuilder.RebuildUnconfirmedAsync(null, 10, check: false, (_, _, _) => reports++, CancellationToken.None);

        var scan = Assert.Single(scans);
        Assert.Null(scan.Origin);
        Assert.Contains("checkpoint", scan.Error, StringComparison.Ordinal);
        Assert.Equal(0, reports);
        Assert.False(File.Exists(Path.Combine(options.SpoolDirectory, RebuildPositions.FileName)));
    }

    [Fact]
    public async Task RebuildUnconfirmedAsync_DamagedPositionsFile_RefusedWithoutTouchingIt()
    {
        using var dir = new TempDirectory();
        using (BuilderIdentity.Create("rebuilder", dir.Combine("key"), overwrite: false))
        {
        }

        var options = new AgentOptions { BuilderName = "rebuilder", KeyPath = dir.Combine("key"), SpoolDirectory = dir.Combine("spool") };
        Directory.CreateDirectory(options.SpoolDirectory);
        var file = Path.Combine(options.SpoolDirectory, RebuildPositions.FileName);
        await File.WriteAllTextAsync(file, "{\"next\":[]}");
        using var http = new HttpClient();
        var rebuilder = new Rebuilder(options, [new LogClient(http, new Uri("http://127.0.0.1:1/"))], TimeProvider.System, NullLogger<Rebuilder>.Instance);

        var error = await Assert.ThrowsAsync<Core.Hook.AttestationException>(
            () => rebuilder.RebuildUnconfirmedAsync(null, 10, check: false, (_, _, _) => { }, CancellationToken.None));

        Assert.Contains(RebuildPositions.FileName, error.Message, StringComparison.Ordinal);
        Assert.Equal("{\"next\":[]}", await File.ReadAllTextAsync(file));
    }
}
