using System.Text.Json;
using Attest.Agent.Core.Tpm;
using Attest.Agent.Tests.Infrastructure;
using Attest.Agent.Tests.Integration;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Swtpm;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Agent.Tests.Tpm;

/// <summary>
/// The agent with a real swtpm: <c>attest-agent tpm enroll</c> against the real log server (child process), then a
/// real Nix build whose hook quotes the TPM; the evidence verifies against the AK the log bound.
/// </summary>
public sealed class TpmHookTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    [Fact]
    public async Task EnrollThenHook_RealLogAndSwtpm_EvidenceVerifiesAgainstTheBoundAkAndTamperingFails()
    {
        using var dir = new TempDirectory();
        string roots = dir.Combine("ek-roots");
        Directory.CreateDirectory(roots);
        string ca = await SwtpmInstance.CaDirectoryAsync();
        File.Copy(Path.Combine(ca, "swtpm-localca-rootca-cert.pem"), Path.Combine(roots, "root.pem"));
        File.Copy(Path.Combine(ca, "issuercert.pem"), Path.Combine(roots, "issuer.pem"));
        var builder = NixTestBuilder.Create(dir, "tpm-builder", chroot: false);
        await using var log = await LogServerProcess.CreateAsync(dir.Combine("log"), builder.PublicKey);
        await log.StartAsync($"--Log:Tpm:EkRootsDirectory={roots}");
        builder.UpdateOptions(o => o with
        {
            LogUrls = [log.Url],
            Tpm = new AgentTpmOptions { Tcti = fixture.Instance.Tcti, AkHandle = 0x8101_0060, EventLogPath = dir.Combine("no-event-log") },
        });

        var (enrollExit, enrollOutput, enrollError) = await builder.AgentAsync("tpm", "enroll");
        var (buildExit, _, buildError) = await builder.BuildAsync(NixTestBuilder.NewSalt());

        Assert.True(enrollExit == 0, enrollError);
        Assert.Contains("enrolled AK", enrollOutput, StringComparison.Ordinal);
        Assert.True(buildExit == 0, buildError);
        Assert.DoesNotContain("WITHOUT TPM evidence", buildError, StringComparison.Ordinal);
        var document = HookTests.ReadSingleDocument(builder);
        Assert.NotNull(document.TpmEvidence);
        var evidence = TpmEvidence.Parse(document.TpmEvidence.Value.Span);

        var keyId = IdentityPublicKey.Parse(builder.PublicKey).KeyId;
        var bindings = JsonDocument.Parse(await log.GetAsync($"v1/tpm/bindings?builder={keyId}"));
        var bound = Assert.Single(bindings.RootElement.EnumerateArray());
        var binding = new AkBinding(
            Convert.FromHexString(bound.GetProperty("akName").GetString()!), Convert.FromBase64String(bound.GetProperty("akPublic").GetString()!),
            Convert.FromHexString(bound.GetProperty("ekName").GetString()!), bound.GetProperty("ekCertificateSha256").GetString()!, keyId,
            bound.GetProperty("enrolledAt").GetDateTimeOffset());
        using var ak = binding.CreateAttestationKey();
        var verdict = TpmEvidenceVerifier.Verify(evidence, ak, document.ComputeTpmQualifyingData());
        Assert.True(verdict.IsValid, verdict.ToString());

        // The same quote presented for a different statement: its extraData no longer matches that statement's PAE.
        using var other = IdentityKey.Generate("tpm-builder");
        var tampered = document.Statement with { InvocationId = "tampered" };
        var tamperedDigest = AttestationDocument.ComputeTpmQualifyingData(tampered.Sign(other));
        var refused = TpmEvidenceVerifier.Verify(evidence, ak, tamperedDigest);
        Assert.False(refused.IsValid);
        Assert.Contains(refused.Quote.Failures, f => f.Code == QuoteFailureCode.ExtraDataMismatch);

        await CheckQuoteWithTpm2ToolsAsync(dir, evidence, binding, document.ComputeTpmQualifyingData());
    }

    [Fact]
    public async Task Hook_TpmUnreachable_SpoolsWithoutEvidenceAndSaysSo()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "tpm-builder", chroot: false);
        builder.UpdateOptions(o => o with { Tpm = new AgentTpmOptions { Tcti = "swtpm:host=127.0.0.1,port=1" } });

        var (exit, _, error) = await builder.BuildAsync(NixTestBuilder.NewSalt());

        Assert.True(exit == 0, error);
        Assert.Contains("attested WITHOUT TPM evidence", error, StringComparison.Ordinal);
        Assert.Null(HookTests.ReadSingleDocument(builder).TpmEvidence);
    }

    [Fact]
    public async Task EnrollCommand_LogWithoutEkRoots_FailsWithTheRegistrarsReason()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "tpm-builder", chroot: false);
        await using var log = await LogServerProcess.CreateAsync(dir.Combine("log"), builder.PublicKey);
        await log.StartAsync();
        builder.UpdateOptions(o => o with
        {
            LogUrls = [log.Url],
            Tpm = new AgentTpmOptions { Tcti = fixture.Instance.Tcti, AkHandle = 0x8101_0061 },
        });

        var (exit, _, error) = await builder.AgentAsync("tpm", "enroll");

        Assert.Equal(1, exit);
        Assert.Contains("refused enroll: 404", error, StringComparison.Ordinal);
    }

    private static async Task CheckQuoteWithTpm2ToolsAsync(TempDirectory dir, TpmEvidence evidence, AkBinding binding, byte[] qualifyingData)
    {
        string pem = dir.Combine("ak.pem");
        string msg = dir.Combine("quote.msg");
        string sig = dir.Combine("quote.sig");
        await File.WriteAllTextAsync(pem, TpmPublic.ParseSized(binding.AkPublic.Span).ExportSubjectPublicKeyInfoPem());
        await File.WriteAllBytesAsync(msg, evidence.Attest.ToArray());
        await File.WriteAllBytesAsync(sig, evidence.Signature.ToArray());

        var (exit, output) = await SwtpmInstance.RunAsync("tpm2_checkquote", "-u", pem, "-m", msg, "-s", sig, "-g", "sha256", "-q", Convert.ToHexString(qualifyingData));

        Assert.True(exit == 0, output);
    }
}
