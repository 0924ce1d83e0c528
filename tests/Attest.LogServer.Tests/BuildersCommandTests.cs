using System.Net;
using Attest.LogServer.Cli;

namespace Attest.LogServer.Tests;

/// <summary>The <c>attest-log builders</c> verbs, run in-process on a data directory (Console output is not asserted).</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class BuildersCommandTests
{
    private static Task<int> RunAsync(string directory, params string[] args) =>
        BuildersCommand.RunAsync(["builders", .. args, "--data-dir", directory, "--origin", "test.example/log"]);

    [Fact]
    public async Task AddThenRevoke_StoppedServer_ChangesAreLoggedAndEnforcedByTheServer()
    {
        using var temp = new TempDirectory("attest-log-cli-");
        var directory = temp.Path;
        using var key = Samples.Builder("cli-builder");
        using var other = Samples.Builder("cli-other");

        Assert.Equal(ExitCodes.Success, await RunAsync(directory, "add", key.PublicKey.ToString(), "--operator", "alice"));
        Assert.Equal(ExitCodes.Success, await RunAsync(directory, "add", other.PublicKey.ToString(), "--operator", "alice"));
        Assert.Equal(ExitCodes.Refused, await RunAsync(directory, "add", key.PublicKey.ToString(), "--operator", "alice"));
        Assert.Equal(ExitCodes.Success, await RunAsync(directory, "revoke", other.KeyId, "--operator", "bob", "--reason", "decommissioned"));
        Assert.Equal(ExitCodes.Refused, await RunAsync(directory, "revoke", other.KeyId, "--operator", "bob"));
        Assert.Equal(ExitCodes.Success, await RunAsync(directory, "list"));
        Assert.Equal(ExitCodes.Usage, await RunAsync(directory, "add", "not-a-key", "--operator", "alice"));

        await using var server = await TestServer.StartAsync(directory);
        var health = System.Text.Json.JsonDocument.Parse(await server.Client.GetStringAsync("health")).RootElement;
        Assert.Equal(3, health.GetProperty("treeSize").GetInt64());
        using var accepted = await Samples.PostAsync(server.Client, Samples.Document(key, "via-cli"));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using var refused = await Samples.PostAsync(server.Client, Samples.Document(other, "revoked"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // While the server holds the store, the CLI refuses and says to use the admin API.
        Assert.Equal(ExitCodes.StoreRefused, await RunAsync(server.DataDirectory, "list"));
    }

    [Fact]
    public async Task AdminApi_WithoutOrWithWrongToken_Returns401Or403()
    {
        await using var server = await TestServer.StartAsync();
        using var none = await server.Client.GetAsync("v1/admin/builders");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/admin/builders");
        wrong.Headers.Authorization = new("Bearer", TestServer.AdminToken + "x");
        using var wrongResponse = await server.Client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Forbidden, wrongResponse.StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "v1/admin/builders");
        right.Headers.Authorization = new("Bearer", TestServer.AdminToken);
        using var rightResponse = await server.Client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal("[]", await rightResponse.Content.ReadAsStringAsync());
    }
}

/// <summary>Tests that run CLI verbs in-process write to the shared Console; keep them from interleaving.</summary>
[CollectionDefinition(nameof(ConsoleCollection))]
public sealed class ConsoleCollection;
