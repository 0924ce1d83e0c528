using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Provenance.Attestations;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.Provenance.Tests.Docs;

/// <summary>
/// The examples in docs/examples (shown in docs/formats.md) are generated here from fixed seeds and times; Ed25519
/// is deterministic, so they are byte-for-byte reproducible. Run with ATTEST_WRITE_EXAMPLES=1 to rewrite them.
/// </summary>
public sealed class FormatExamplesTests
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string ExamplesDirectory => Path.Combine(AppContext.BaseDirectory, "Examples");

    private static string Read(string name) => File.ReadAllText(Path.Combine(ExamplesDirectory, name));

    private static byte[] ReadBytes(string name) => File.ReadAllBytes(Path.Combine(ExamplesDirectory, name));

    private static string Pretty(ReadOnlySpan<byte> json) => JsonNode.Parse(json)!.ToJsonString(Indented) + "\n";

    internal static SortedDictionary<string, string> Generate()
    {
        using var builder = Samples.Builder();
        using var admin = Samples.Admin();
        var statement = Samples.Statement();
        var envelope = statement.Sign(builder);
        var attestation = AttestationDocument.Serialize(envelope);
        var change = new RegistryChange(
            RegistryAction.Add, builder.PublicKey, "alice", "hydra", new DateTimeOffset(2026, 11, 22, 16, 0, 0, TimeSpan.Zero),
            "new x86_64 builder in rack 4");
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["builder.pub"] = builder.PublicKey + "\n",
            ["log-admin.pub"] = admin.PublicKey + "\n",
            ["statement.json"] = Pretty(statement.ToStatementJson()),
            ["dsse-envelope.json"] = Pretty(envelope.ToCanonicalJson()),
            ["attestation.json"] = Pretty(attestation),
            ["attestation.canonical.json"] = Encoding.UTF8.GetString(attestation),
            ["registry-change-payload.json"] = Pretty(change.ToPayloadJson()),
            ["registry-change.json"] = Pretty(change.ToLogEntry(admin)),
        };
    }

    [Fact]
    public void CheckedInExamples_MatchGenerated()
    {
        var generated = Generate();
        if (Environment.GetEnvironmentVariable("ATTEST_WRITE_EXAMPLES") == "1")
        {
            var target = Path.Combine(FindRepositoryRoot(), "docs", "examples");
            Directory.CreateDirectory(target);
            foreach (var (name, content) in generated)
            {
                File.WriteAllText(Path.Combine(target, name), content);
            }
        }
        else
        {
            foreach (var (name, content) in generated)
            {
                Assert.Equal(content, Read(name));
            }
        }
    }

    [Fact]
    public void CheckedInAttestation_IsAdmittedUnderCheckedInBuilderKey()
    {
        var registry = new BuilderRegistry();
        var builder = IdentityPublicKey.Parse(Read("builder.pub"));
        registry.Apply(new RegistryChange(RegistryAction.Add, builder, "docs", null, DateTimeOffset.UnixEpoch, ""));
        var canonical = ReadBytes("attestation.canonical.json");
        Assert.True(JsonCanonicalizer.IsCanonical(canonical));
        var fromPretty = AttestationAdmission.Admit(ReadBytes("attestation.json"), registry);
        var fromCanonical = AttestationAdmission.Admit(canonical, registry);
        Assert.Equal(canonical, fromPretty.Document.CanonicalBytes.ToArray());
        Assert.Equal(canonical, fromCanonical.Document.CanonicalBytes.ToArray());
        Assert.Equal("hydra-01", fromCanonical.Builder.Name);
    }

    [Fact]
    public void CheckedInStatementAndEnvelope_ParseAndVerify()
    {
        var builder = IdentityPublicKey.Parse(Read("builder.pub"));
        var statement = NixProvenance.ParseStatement(ReadBytes("statement.json"));
        var envelope = DsseEnvelope.Parse(ReadBytes("dsse-envelope.json"));
        Assert.True(envelope.IsSignedBy(builder));
        Assert.Equal(statement.ToStatementJson(), envelope.Payload.ToArray());
    }

    [Fact]
    public void CheckedInRegistryChange_VerifiesUnderCheckedInAdminKey()
    {
        var admin = IdentityPublicKey.Parse(Read("log-admin.pub"));
        var entry = JsonCanonicalizer.Canonicalize(ReadBytes("registry-change.json"));
        Assert.True(RegistryChange.TryParseLogEntry(entry, admin, out var change, out var error), error?.ToString());
        Assert.Equal(RegistryAction.Add, change.Action);
        Assert.Equal(IdentityPublicKey.Parse(Read("builder.pub")), change.Builder);
        Assert.True(RegistryChange.TryParsePayload(ReadBytes("registry-change-payload.json"), out var payload, out _));
        Assert.Equal(change, payload);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Attest.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Attest.sln not found above the test output folder.");
    }
}
