using System.Text;
using System.Text.Json;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.Tpm;
using Attest.Agent.Tests.Infrastructure;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Tpm.Tests.Swtpm;
using Attest.Verifier.Bundles;
using Attest.Verifier.Tests.Cli;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Tpm;

/// <summary>
/// Real parts: the log server (child process) with its TPM registrar, a builder agent with swtpm enrolled by
/// <c>attest-agent tpm enroll</c> and quoting in its post-build hook, a second builder without a TPM in a chroot store,
/// a real Nix build by both, delivery by <c>attest-agent flush</c>. The log is then restarted without EK roots (so it
/// admits any well-formed evidence, as a careless or dishonest log would) to append tampered attestations.
/// </summary>
public sealed class TpmEndToEndFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("attest-verify-tpm");
    private SwtpmInstance? _swtpm;

    internal LogServerProcess Log { get; private set; } = null!;

    internal NixTestBuilder TpmBuilder { get; private set; } = null!;

    internal NixTestBuilder PlainBuilder { get; private set; } = null!;

    public string OutPath { get; private set; } = "";

    public string LogKey { get; private set; } = "";

    public string AdminKey { get; private set; } = "";

    /// <summary>The tpm object of the swtpm builder's attestation of <see cref="OutPath"/>, as logged.</summary>
    public byte[] GenuineEvidence { get; private set; } = [];

    public string EnrollOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _swtpm = await SwtpmInstance.StartAsync();
        await using (var tpm = _swtpm.OpenDevice())
        {
            await tpm.EnsureStartedAsync(CancellationToken.None);
        }

        string roots = _directory.Combine("ek-roots");
        Directory.CreateDirectory(roots);
        string ca = await SwtpmInstance.CaDirectoryAsync();
        File.Copy(Path.Combine(ca, "swtpm-localca-rootca-cert.pem"), Path.Combine(roots, "root.pem"));
        File.Copy(Path.Combine(ca, "issuercert.pem"), Path.Combine(roots, "issuer.pem"));

        TpmBuilder = NixTestBuilder.Create(_directory, "tpm-builder", chroot: false);
        PlainBuilder = NixTestBuilder.Create(_directory, "plain-builder", chroot: true);
        Log = await LogServerProcess.CreateAsync(_directory.Combine("log"), TpmBuilder.PublicKey, PlainBuilder.PublicKey);
        await Log.StartAsync($"--Log:Tpm:EkRootsDirectory={roots}");
        TpmBuilder.UpdateOptions(o => o with
        {
            LogUrls = [Log.Url],
            Tpm = new AgentTpmOptions { Tcti = _swtpm.Tcti, AkHandle = 0x8101_0070, EventLogPath = _directory.Combine("no-event-log") },
        });
        PlainBuilder.UpdateOptions(o => o with { LogUrls = [Log.Url] });

        var (enrollExit, enrollOutput, enrollError) = await TpmBuilder.AgentAsync("tpm", "enroll");
        Assert.True(enrollExit == 0, enrollOutput + enrollError);
        EnrollOutput = enrollOutput;
        string salt = NixTestBuilder.NewSalt();
        string? outPath = null;
        foreach (NixTestBuilder builder in new[] { TpmBuilder, PlainBuilder })
        {
            var (exit, output, error) = await builder.BuildAsync(salt);
            Assert.True(exit == 0, error);
            Assert.DoesNotContain("WITHOUT TPM evidence", error, StringComparison.Ordinal);
            outPath ??= output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Single(p => !p.EndsWith("-dev", StringComparison.Ordinal) && !p.EndsWith("-noise", StringComparison.Ordinal));
            var (flushExit, flushOutput, flushError) = await builder.AgentAsync("flush");
            Assert.True(flushExit == 0, flushOutput + flushError);
        }

        OutPath = outPath!;
        LogKey = (await Log.GetAsync("v1/log/key")).Trim();
        AdminKey = (await Log.GetAsync("v1/log/admin-key")).Trim();
        using (var search = JsonDocument.Parse(await Log.GetAsync($"v1/search?storePath={Uri.EscapeDataString(OutPath)}")))
        {
            string tpmKeyId = IdentityPublicKey.Parse(TpmBuilder.PublicKey).KeyId;
            AttestationDocument genuine = search.RootElement.GetProperty("entries").EnumerateArray()
                .Select(e => AttestationDocument.Parse(Encoding.UTF8.GetBytes(e.GetProperty("document").GetRawText())))
                .Single(d => d.SignerKeyId == tpmKeyId);
            GenuineEvidence = genuine.TpmEvidence!.Value.ToArray();
        }

        await Log.StopAsync();
        await Log.StartAsync();
    }

    /// <summary>The sha256 value of a PCR as the genuine quote reports it.</summary>
    public string Pcr(int index)
    {
        using var evidence = JsonDocument.Parse(GenuineEvidence);
        return evidence.RootElement.GetProperty("pcrs").GetProperty("sha256").GetProperty(index.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetString()!;
    }

    /// <summary>
    /// Writes a policy (and golden.json beside it): tpm-builder (operator alice, requireTpm, golden values
    /// "swtpm-machine": PCR 0 and 7 as quoted unless <paramref name="pcr7"/> overrides) and plain-builder (operator bob);
    /// two agreeing builders of two operators, one of them TPM-attested; <paramref name="tpmRequiredPcrs"/> is the JSON
    /// of the policy's <c>tpmRequiredPcrs</c> member, left out when null.
    /// </summary>
    public string WritePolicy(string directory, string? pcr7 = null, bool pinAdminKey = true, string? tpmRequiredPcrs = null)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "golden.json"),
            "{\"version\":1,\"configurations\":[{\"name\":\"swtpm-machine\",\"description\":\"a fresh swtpm\",\"pcrs\":{\"sha256\":{\"0\":\""
            + Pcr(0) + "\",\"7\":\"" + (pcr7 ?? Pcr(7)) + "\"}}}]}");
        string admin = pinAdminKey ? $",\"adminKey\":\"{AdminKey}\"" : string.Empty;
        string policy = "{\"version\":1,\"logs\":[{\"origin\":\"localhost/attest-log\",\"key\":\"" + LogKey + "\",\"url\":\"" + Log.Url + "\"" + admin + "}],"
            + "\"builders\":[{\"name\":\"tpm-builder\",\"key\":\"" + TpmBuilder.PublicKey + "\",\"operator\":\"alice\",\"requireTpm\":true,\"goldenValues\":\"swtpm-machine\"},"
            + "{\"name\":\"plain-builder\",\"key\":\"" + PlainBuilder.PublicKey + "\",\"operator\":\"bob\"}],"
            + "\"quorum\":{\"minAgreeing\":2,\"minOperators\":2,\"maxDissenting\":0,\"minTpmAttested\":1},"
            + "\"goldenValues\":\"golden.json\""
            + (tpmRequiredPcrs is null ? string.Empty : ",\"tpmRequiredPcrs\":" + tpmRequiredPcrs) + "}";
        string file = Path.Combine(directory, "policy.json");
        File.WriteAllText(file, policy);
        return file;
    }

    /// <summary>Signs a statement for a new path with the swtpm builder's own key and attaches <paramref name="tpm"/> (made from the statement's digest).</summary>
    public async Task<(string Path, string NarHash)> AppendTamperedAsync(string name, Func<byte[], byte[]> tpm)
    {
        var path = TestAttestations.Path(name + "-" + Guid.NewGuid().ToString("N")[..8]);
        var hash = TestAttestations.Hash(path.FullPath);
        using IdentityKey key = BuilderIdentity.Load(TpmBuilder.Options.KeyPath);
        var envelope = TestAttestations.Statement(path, hash, key.Name).Sign(key);
        await LiveLog.SubmitAsync(Log.Url, AttestationDocument.Serialize(envelope, tpm(AttestationDocument.ComputeTpmQualifyingData(envelope))));
        return (path.FullPath, hash.ToString());
    }

    public async Task DisposeAsync()
    {
        await Log.DisposeAsync();
        if (_swtpm is not null)
        {
            await _swtpm.DisposeAsync();
        }

        _directory.Dispose();
    }
}

public sealed class TpmEndToEndTests(TpmEndToEndFixture fixture) : IClassFixture<TpmEndToEndFixture>, IDisposable
{
    private readonly TempDirectory _directory = new("attest-verify-tpm-run");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Path_RealBuildsWithSwtpmBuilder_TrustedAndTpmVerified()
    {
        string policy = fixture.WritePolicy(_directory.Path);

        var (exit, output, error) = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, "--json", .. Common(policy)]);
        var text = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, .. Common(policy)]);

        Assert.Contains("enrolled AK", fixture.EnrollOutput, StringComparison.Ordinal);
        Assert.True(exit == 0, output + error);
        using var json = JsonDocument.Parse(output);
        var verdict = json.RootElement.GetProperty("paths")[0];
        var agreeing = verdict.GetProperty("agreeing").EnumerateArray().ToDictionary(v => v.GetProperty("builder").GetString()!, v => v.GetProperty("tpmVerified").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["plain-builder"] = false, ["tpm-builder"] = true }, agreeing);
        Assert.True(text.Exit == 0, text.Output + text.Error);
        Assert.Contains("agreed:    tpm-builder (operator alice, TPM verified)", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_GoldenValueMismatch_RefusedNamingThePcr()
    {
        string wrong = new('a', 64);
        string policy = fixture.WritePolicy(_directory.Path, pcr7: wrong);

        var (exit, output, error) = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, .. Common(policy)]);

        Assert.True(exit == 1, output + error);
        Assert.Contains("rejected:  localhost/attest-log#", output, StringComparison.Ordinal);
        Assert.Contains($"golden values swtpm-machine: PcrValueMismatch: PCR 7 of bank sha256 is {fixture.Pcr(7)}, expected {wrong}", output, StringComparison.Ordinal);
        Assert.Contains("0 agreeing builder(s) carried verified TPM evidence", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_PolicyRequiredPcrs_AgentsQuotedPcr11AcceptedAndUnquotedPcr12Refused()
    {
        // The agent quotes its default selection, sha256:0-7,11.
        string covered = fixture.WritePolicy(_directory.Combine("covered"), tpmRequiredPcrs: """{"sha256":[0,1,2,3,4,5,6,7,11]}""");
        string uncovered = fixture.WritePolicy(_directory.Combine("uncovered"), tpmRequiredPcrs: """{"sha256":[0,7,11,12]}""");

        var accepted = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, .. Common(covered)]);
        var refused = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, .. Common(uncovered)]);

        Assert.True(accepted.Exit == 0, accepted.Output + accepted.Error);
        Assert.Contains("agreed:    tpm-builder (operator alice, TPM verified)", accepted.Output, StringComparison.Ordinal);
        Assert.True(refused.Exit == 1, refused.Output + refused.Error);
        Assert.Contains("quote: RequiredPcrNotQuoted: PCR 12 of bank sha256 is required but not quoted", refused.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PCR 11 of bank sha256 is required", refused.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_QuoteByAnAkNeverBound_RefusedAsNotBound()
    {
        using var rogue = new SoftwareAk();
        var (path, hash) = await fixture.AppendTamperedAsync("rogue-ak", digest => rogue.Evidence(digest, clock: 1));
        string policy = fixture.WritePolicy(_directory.Path);

        var (exit, output, error) = await PathCommandTests.RunAsync(null, ["path", path, "--nar-hash", hash, .. Common(policy)]);

        Assert.True(exit == 1, output + error);
        Assert.Contains($"its TPM attestation key {rogue.NameHex} is not bound to this builder in localhost/attest-log", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_GenuineQuoteAttachedToAnotherStatement_RefusedWithExtraDataMismatch()
    {
        var (path, hash) = await fixture.AppendTamperedAsync("replayed-quote", _ => fixture.GenuineEvidence);
        string policy = fixture.WritePolicy(_directory.Path);

        var (exit, output, error) = await PathCommandTests.RunAsync(null, ["path", path, "--nar-hash", hash, .. Common(policy)]);

        Assert.True(exit == 1, output + error);
        Assert.Contains("its TPM evidence does not verify with the attestation key bound at localhost/attest-log#", output, StringComparison.Ordinal);
        Assert.Contains("ExtraDataMismatch", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_OfflineBundle_SameVerdictAndWithoutRegistryTheBindingIsMissing()
    {
        string policy = fixture.WritePolicy(_directory.Path);
        string bundle = _directory.Combine("bundle.json");
        string stripped = _directory.Combine("stripped.json");

        var online = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, "--save-bundle", bundle, "--json", .. Common(policy)]);
        var saved = OfflineBundle.Parse(await File.ReadAllBytesAsync(bundle));
        await File.WriteAllBytesAsync(stripped, OfflineBundle.Create(saved.Entries).ToJson());
        var offline = await PathCommandTests.RunAsync(
            () => throw new InvalidOperationException("offline verification must not use the network"), ["path", fixture.OutPath, "--offline", bundle, "--json", "--policy", policy]);
        var missing = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, "--offline", stripped, "--policy", policy]);

        Assert.True(online.Exit == 0, online.Output + online.Error);
        Assert.Contains(saved.Registry, r => LogEntries.Classify(r.Entry.Span) == LogEntryKind.RegistryChange);
        Assert.True(offline.Exit == 0, offline.Output + offline.Error);
        Assert.Equal(online.Output, offline.Output);
        Assert.True(missing.Exit == 1, missing.Output + missing.Error);
        Assert.Contains("is not bound to this builder in localhost/attest-log: no admin-signed ak-binding entry before", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_PolicyPinsNoAdminKey_RefusedSayingTheBindingsCannotBeAuthenticated()
    {
        string policy = fixture.WritePolicy(_directory.Path, pinAdminKey: false);

        var (exit, output, error) = await PathCommandTests.RunAsync(null, ["path", fixture.OutPath, .. Common(policy)]);

        Assert.True(exit == 1, output + error);
        Assert.Contains("the policy pins no adminKey for log localhost/attest-log", output, StringComparison.Ordinal);
    }

    private string[] Common(string policy) => ["--policy", policy, "--state", _directory.Combine("state")];
}
