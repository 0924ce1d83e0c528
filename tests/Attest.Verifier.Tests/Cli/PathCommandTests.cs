using System.CommandLine;
using System.Text;
using System.Text.Json;
using Attest.Verifier.Cli.Commands;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Cli;

/// <summary><c>attest-verify path</c> in-process against a real log server (and a tampering handler in front of it).</summary>
public sealed class PathCommandTests(LiveLog log) : IClassFixture<LiveLog>, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "attest-verify-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Path_BothBuildersAgree_ExitsTrustedWithJsonVerdict()
    {
        var (path, hash) = Subject("agree");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));

        var (exit, output, error) = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), "--json", .. Common()]);

        Assert.True(exit == 0, output + error);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("trusted").GetBoolean());
        var verdict = Assert.Single(json.RootElement.GetProperty("paths").EnumerateArray());
        Assert.Equal(path.FullPath, verdict.GetProperty("storePath").GetString());
        Assert.Equal(hash.ToString(), verdict.GetProperty("narHash").GetString());
        Assert.Equal("trusted", verdict.GetProperty("status").GetString());
        Assert.Equal(["alice-builder", "bob-builder"], verdict.GetProperty("agreeing").EnumerateArray().Select(v => v.GetProperty("builder").GetString()));
        Assert.Equal(["alice", "bob"], verdict.GetProperty("agreeing").EnumerateArray().Select(v => v.GetProperty("operator").GetString()));
        Assert.Empty(verdict.GetProperty("dissenting").EnumerateArray());
        Assert.Empty(verdict.GetProperty("reasons").EnumerateArray());
    }

    [Fact]
    public async Task Path_BuildersDisagree_ExitsNotTrustedNamingTheOtherHash()
    {
        var (path, hash) = Subject("disagree");
        var other = TestAttestations.Hash("disagree other");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, other));

        var (exit, output, error) = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.True(exit == 1, output + error);
        Assert.Contains("NOT TRUSTED", output, StringComparison.Ordinal);
        Assert.Contains($"disagreed: bob-builder (operator bob)", output, StringComparison.Ordinal);
        Assert.Contains(other.ToString(), output, StringComparison.Ordinal);
        Assert.Contains("1 builder(s) attested a different NAR hash", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_OnlyOneBuilderAttested_ExitsNotTrusted()
    {
        var (path, hash) = Subject("single");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));

        var (exit, output, _) = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.Equal(1, exit);
        Assert.Contains("agreed:    alice-builder", output, StringComparison.Ordinal);
        Assert.Contains("1 builder(s) attested", output, StringComparison.Ordinal);
        Assert.Contains("the policy needs at least 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_SignedByKeyThePolicyDoesNotName_RejectedWithReason()
    {
        var (path, hash) = Subject("unknown-key");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Carol, path, hash));

        var (exit, output, _) = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), "--json", .. Common()]);

        Assert.Equal(1, exit);
        using var json = JsonDocument.Parse(output);
        var verdict = json.RootElement.GetProperty("paths")[0];
        var rejected = Assert.Single(verdict.GetProperty("rejected").EnumerateArray());
        Assert.Equal(log.Carol.KeyId, rejected.GetProperty("keyId").GetString());
        Assert.Equal(JsonValueKind.Null, rejected.GetProperty("builder").ValueKind);
        Assert.Contains("which the policy does not name", rejected.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_RewrittenTile_ExitsErrorSayingTheTilesDoNotMatch()
    {
        var (path, hash) = Subject("tile");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));
        var tamper = new TamperingHandler((uri, body) =>
        {
            if (!uri.AbsolutePath.StartsWith("/tile/0/", StringComparison.Ordinal))
            {
                return body;
            }

            var changed = (byte[])body.Clone();
            changed[0] ^= 0x01;
            return changed;
        });

        var (exit, output, error) = await RunAsync(() => new HttpClient(tamper), ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.True(exit == 2, output + error);
        Assert.True(tamper.Rewritten > 0);
        Assert.Contains("served tiles that do not match its signed checkpoint", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_SearchResultAltered_ExitsErrorSayingTheEntryWasAltered()
    {
        var (path, hash) = Subject("altered");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));
        var tamper = new TamperingHandler((uri, body) => uri.AbsolutePath == "/v1/search"
            ? ReplaceFirst(body, "\"document\":{\"dsse\"", "\"document\":{ \"dsse\"")
            : body);

        var (exit, output, error) = await RunAsync(() => new HttpClient(tamper), ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.True(exit == 2, output + error);
        Assert.Equal(1, tamper.Rewritten);
        Assert.Contains("do not hash to leaf", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_SearchResultDropped_RefusesWithFewerAgreeingBuilders()
    {
        var (path, hash) = Subject("dropped");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));
        var tamper = new TamperingHandler((uri, body) => uri.AbsolutePath == "/v1/search" ? DropEntriesSignedBy(body, log.Bob.KeyId) : body);

        var (exit, output, error) = await RunAsync(() => new HttpClient(tamper), ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.True(exit == 1, output + error);
        Assert.Equal(1, tamper.Rewritten);
        Assert.DoesNotContain("bob-builder", output, StringComparison.Ordinal);
        Assert.Contains("1 builder(s) attested", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_SaveBundleThenOffline_SameVerdictWithoutNetwork()
    {
        var (path, hash) = Subject("offline");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));
        string bundle = Path.Combine(_directory, "bundle.json");

        var online = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), "--save-bundle", bundle, "--json", .. Common()]);
        var offline = await RunAsync(
            () => throw new InvalidOperationException("offline verification must not use the network"),
            "path", path.FullPath, "--nar-hash", hash.ToString(), "--offline", bundle, "--json", "--policy", PolicyFile());

        Assert.True(online.Exit == 0, online.Output + online.Error);
        Assert.True(offline.Exit == 0, offline.Output + offline.Error);
        Assert.Equal(online.Output, offline.Output);
    }

    [Fact]
    public async Task Path_OfflineBundleWithAlteredEntry_ExitsNotTrusted()
    {
        var (path, hash) = Subject("offline-altered");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));
        string bundle = Path.Combine(_directory, "bundle.json");
        var online = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), "--save-bundle", bundle, .. Common()]);
        var parsed = Attest.Verifier.Bundles.OfflineBundle.Parse(await File.ReadAllBytesAsync(bundle));
        var swapped = parsed.Entries.Select((e, i) => i == 0 ? e with { Index = parsed.Entries[1].Index, Proof = parsed.Entries[1].Proof } : e).Take(1);
        await File.WriteAllBytesAsync(bundle, Attest.Verifier.Bundles.OfflineBundle.Create(swapped).ToJson());

        var offline = await RunAsync(null, "path", path.FullPath, "--nar-hash", hash.ToString(), "--offline", bundle, "--policy", PolicyFile(), "--json");

        Assert.Equal(0, online.Exit);
        Assert.True(offline.Exit == 1, offline.Output + offline.Error);
        Assert.Contains("not proved in log", offline.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_LogGrowsBetweenRuns_StoredCheckpointAdvances()
    {
        var (path, hash) = Subject("growth");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, path, hash));
        var first = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);
        var stateFile = Assert.Single(Directory.GetFiles(Path.Combine(_directory, "state")));
        var before = Transparency.Checkpoints.SignedCheckpoint.Parse(await File.ReadAllBytesAsync(stateFile)).Checkpoint.TreeSize;
        await log.SubmitAsync(TestAttestations.Document(log.Bob, path, hash));

        var second = await RunAsync(null, ["path", path.FullPath, "--nar-hash", hash.ToString(), .. Common()]);
        var after = Transparency.Checkpoints.SignedCheckpoint.Parse(await File.ReadAllBytesAsync(stateFile)).Checkpoint.TreeSize;

        Assert.Equal(1, first.Exit);
        Assert.True(second.Exit == 0, second.Output + second.Error);
        Assert.True(after > before, $"state stayed at {before}");
    }

    [Fact]
    public async Task Path_BatchOfLocalStorePaths_HashesFromTheStoreOneVerdictEach()
    {
        var good = await AddToStoreAsync("batch-good");
        var bad = await AddToStoreAsync("batch-bad");
        await log.SubmitAsync(TestAttestations.Document(log.Alice, good.Path, good.Hash));
        await log.SubmitAsync(TestAttestations.Document(log.Bob, good.Path, good.Hash));
        await log.SubmitAsync(TestAttestations.Document(log.Alice, bad.Path, bad.Hash));

        var (exit, output, error) = await RunAsync(null, ["path", good.Path.FullPath, bad.Path.FullPath, "--parallel", "2", "--json", .. Common()]);

        Assert.True(exit == 1, output + error);
        using var json = JsonDocument.Parse(output);
        var paths = json.RootElement.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal([good.Path.FullPath, bad.Path.FullPath], paths.Select(p => p.GetProperty("storePath").GetString()));
        Assert.Equal([good.Hash.ToString(), bad.Hash.ToString()], paths.Select(p => p.GetProperty("narHash").GetString()));
        Assert.Equal([true, false], paths.Select(p => p.GetProperty("trusted").GetBoolean()));
        Assert.False(json.RootElement.GetProperty("trusted").GetBoolean());
    }

    [Theory]
    [InlineData("--parallel", "0")]
    [InlineData("--nar-hash", "sha256:nothex")]
    public async Task Path_InvalidArguments_ExitsError(string option, string value)
    {
        var (path, _) = Subject("usage");

        var (exit, _, error) = await RunAsync(null, ["path", path.FullPath, option, value, .. Common()]);

        Assert.Equal(2, exit);
        Assert.StartsWith("attest-verify: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_NarHashWithTwoPaths_ExitsError()
    {
        var (a, hash) = Subject("two-a");
        var (b, _) = Subject("two-b");

        var (exit, _, error) = await RunAsync(null, ["path", a.FullPath, b.FullPath, "--nar-hash", hash.ToString(), .. Common()]);

        Assert.Equal(2, exit);
        Assert.Contains("exactly one store path", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_PolicyMissing_ExitsError()
    {
        var (path, hash) = Subject("no-policy");

        var (exit, _, error) = await RunAsync(null, "path", path.FullPath, "--nar-hash", hash.ToString(), "--policy", Path.Combine(_directory, "absent.json"));

        Assert.Equal(2, exit);
        Assert.Contains("cannot read the policy", error, StringComparison.Ordinal);
    }

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(Func<HttpClient>? http, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await VerifierCli.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, http);
        return (exit, output.ToString(), error.ToString());
    }

    private static (Nix.StorePath Path, Nix.NixHash Hash) Subject(string name)
    {
        string unique = name + "-" + Guid.NewGuid().ToString("N")[..8];
        return (TestAttestations.Path(unique), TestAttestations.Hash(unique + " nar"));
    }

    /// <summary>Adds a new file to the real local Nix store; returns its path and the NAR hash Nix reports.</summary>
    private async Task<(Nix.StorePath Path, Nix.NixHash Hash)> AddToStoreAsync(string name)
    {
        Directory.CreateDirectory(_directory);
        string file = Path.Combine(_directory, name + ".txt");
        await File.WriteAllTextAsync(file, name + " " + Guid.NewGuid());
        var (exit, output, error) = await Attest.Agent.Tests.Infrastructure.ProcessRunner.RunAsync("nix-store", ["--add", file]);
        Assert.True(exit == 0, error);
        var path = Nix.StorePath.Parse(output.Trim());
        var (hashExit, hash, hashError) = await Attest.Agent.Tests.Infrastructure.ProcessRunner.RunAsync("nix-store", ["--query", "--hash", path.FullPath]);
        Assert.True(hashExit == 0, hashError);
        return (path, Nix.NixHash.Parse(hash.Trim()));
    }

    private string PolicyFile() => File.Exists(Path.Combine(_directory, "policy.json")) ? Path.Combine(_directory, "policy.json") : log.WritePolicy(_directory);

    private string[] Common() => ["--policy", PolicyFile(), "--state", Path.Combine(_directory, "state")];

    private static byte[] ReplaceFirst(byte[] body, string from, string to)
    {
        string text = Encoding.UTF8.GetString(body);
        int at = text.IndexOf(from, StringComparison.Ordinal);
        return at < 0 ? body : Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length)));
    }

    private static byte[] DropEntriesSignedBy(byte[] body, string keyId)
    {
        using var document = JsonDocument.Parse(body);
        var kept = document.RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => !e.GetProperty("document").GetRawText().Contains(keyId, StringComparison.Ordinal))
            .Select(e => e.GetRawText())
            .ToList();
        return kept.Count == document.RootElement.GetProperty("entries").GetArrayLength()
            ? body
            : Encoding.UTF8.GetBytes("{\"entries\":[" + string.Join(",", kept) + "]}");
    }
}
