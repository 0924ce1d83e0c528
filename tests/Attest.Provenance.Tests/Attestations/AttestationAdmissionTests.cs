using System.Text;
using System.Text.Json.Nodes;
using Attest.Provenance.Attestations;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Attestations;

public sealed class AttestationAdmissionTests
{
    private const string Tpm = """{"quote":{"attest":"/1RDR4AY","signature":"AAE="},"pcrs":{"sha256":{"0":"00"}}}""";

    private static BuilderRegistry RegistryWith(params IdentityKey[] keys)
    {
        var registry = new BuilderRegistry();
        foreach (var key in keys)
        {
            registry.Apply(new RegistryChange(RegistryAction.Add, key.PublicKey, "alice", "hydra", DateTimeOffset.UnixEpoch, "test"));
        }

        return registry;
    }

    private static DocumentError Refused(byte[] body, IBuilderKeyResolver keys, AttestationOptions? options = null)
    {
        Assert.False(AttestationAdmission.TryAdmit(body, keys, out var admitted, out var error, options));
        Assert.Null(admitted);
        return error!;
    }

    private static byte[] Edit(byte[] document, Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(document)!;
        edit(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static byte[] WithPayload(byte[] document, Func<byte[], byte[]> change) => Edit(document, node =>
        node["dsse"]!["payload"] = Convert.ToBase64String(change(Convert.FromBase64String((string)node["dsse"]!["payload"]!))));

    [Fact]
    public void TryAdmit_ValidDocument_ReturnsIndexedFields()
    {
        using var key = Samples.Builder();
        var statement = Samples.Statement();
        var body = Samples.Document(key, statement, Tpm);
        Assert.InRange(body.Length, 2048, 4096);
        var admitted = AttestationAdmission.Admit(body, RegistryWith(key));
        var document = admitted.Document;
        Assert.Equal(key.KeyId, admitted.Builder.KeyId);
        Assert.Equal("hydra-01", admitted.Builder.Name);
        Assert.Equal(key.KeyId, document.SignerKeyId);
        Assert.Equal(statement.Derivation, document.DerivationPath);
        Assert.Equal(statement.Outputs.Select(o => o.Path), document.StorePaths);
        Assert.Equal(statement.Outputs.Select(o => o.NarHash), document.NarHashes);
        Assert.Equal(body, document.CanonicalBytes.ToArray());
        Assert.True(JsonCanonicalizer.IsCanonical(body));
        Assert.Equal(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(Tpm)), document.TpmEvidence!.Value.ToArray());
        Assert.Equal(NixProvenance.PayloadType, document.Envelope.PayloadType);
    }

    [Fact]
    public void TryAdmit_WithoutTpm_HasNoEvidence()
    {
        using var key = Samples.Builder();
        var admitted = AttestationAdmission.Admit(Samples.Document(key), RegistryWith(key));
        Assert.Null(admitted.Document.TpmEvidence);
    }

    [Fact]
    public void TryAdmit_WhitespaceAndKeyOrderVariants_CanonicalizeIdentically()
    {
        using var key = Samples.Builder();
        var body = Samples.Document(key, tpm: Tpm);
        var node = JsonNode.Parse(body)!;
        var reordered = new JsonObject
        {
            ["tpm"] = JsonNode.Parse(Tpm),
            ["dsse"] = new JsonObject
            {
                ["signatures"] = node["dsse"]!["signatures"]!.DeepClone(),
                ["payloadType"] = "application/vnd.in-toto+json",
                ["payload"] = node["dsse"]!["payload"]!.DeepClone(),
            },
        };
        var pretty = Encoding.UTF8.GetBytes(reordered.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Assert.NotEqual(body, pretty);
        var registry = RegistryWith(key);
        var a = AttestationAdmission.Admit(body, registry).Document.CanonicalBytes.ToArray();
        var b = AttestationAdmission.Admit(pretty, registry).Document.CanonicalBytes.ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void TryAdmit_TooLarge_Returns413()
    {
        using var key = Samples.Builder();
        var body = Samples.Document(key);
        var padded = new byte[65_536];
        padded.AsSpan().Fill((byte)' ');
        body.CopyTo(padded, 0);
        var error = Refused(padded, RegistryWith(key));
        Assert.Equal(DocumentErrorCode.TooLarge, error.Code);
        Assert.Equal(413, error.Status);
        Assert.Contains("65535", error.Message, StringComparison.Ordinal);

        var small = new AttestationOptions { MaxEntryBytes = 1000 };
        Assert.Equal(413, Refused(body, RegistryWith(key), small).Status);
        Assert.True(AttestationAdmission.TryAdmit(padded.AsSpan(0, 65_535), RegistryWith(key), out _, out _));
    }

    public static TheoryData<string, DocumentErrorCode, string> Structural => new()
    {
        { "malformed", DocumentErrorCode.MalformedJson, "$.dsse.payload" },
        { "notObject", DocumentErrorCode.NotAttestationDocument, "$" },
        { "noDsse", DocumentErrorCode.NotAttestationDocument, "$.dsse" },
        { "extraTop", DocumentErrorCode.NotAttestationDocument, "$.extra" },
        { "tpmNotObject", DocumentErrorCode.NotAttestationDocument, "$.tpm" },
        { "dsseNotObject", DocumentErrorCode.NotDsseEnvelope, "$.dsse" },
        { "payloadBase64", DocumentErrorCode.NotDsseEnvelope, "$.dsse.payload" },
        { "twoSignatures", DocumentErrorCode.NotDsseEnvelope, "$.dsse.signatures" },
        { "noKeyId", DocumentErrorCode.NotDsseEnvelope, "$.dsse.signatures[0].keyid" },
        { "payloadType", DocumentErrorCode.UnsupportedPayloadType, "$.dsse.payloadType" },
        { "payloadNotJson", DocumentErrorCode.MalformedJson, "$.dsse.payload._type" },
        { "statementType", DocumentErrorCode.NotInTotoStatement, "$.dsse.payload._type" },
        { "predicateType", DocumentErrorCode.UnsupportedPredicateType, "$.dsse.payload.predicateType" },
        { "subject", DocumentErrorCode.InvalidSubject, "$.dsse.payload.subject[1].digest.sha256" },
        { "duplicateKey", DocumentErrorCode.MalformedJson, "$.dsse.payload._type" },
    };

    [Theory]
    [MemberData(nameof(Structural))]
    public void TryAdmit_StructuralViolation_Returns400NamingField(string tamper, DocumentErrorCode code, string path)
    {
        using var key = Samples.Builder();
        var body = Samples.Document(key);
        var payloadText = Encoding.UTF8.GetString(NixProvenance.ParseStatement(Samples.Statement().ToStatementJson()).ToStatementJson());
        var tampered = tamper switch
        {
            "malformed" => Encoding.UTF8.GetBytes("{\"dsse\":{\"payload\":\"x\",}}"),
            "notObject" => "[1]"u8.ToArray(),
            "noDsse" => "{}"u8.ToArray(),
            "extraTop" => Edit(body, n => n["extra"] = true),
            "tpmNotObject" => Edit(body, n => n["tpm"] = "quote"),
            "dsseNotObject" => Edit(body, n => n["dsse"] = new JsonArray()),
            "payloadBase64" => Edit(body, n => n["dsse"]!["payload"] = "not base64!"),
            "twoSignatures" => Edit(body, n => n["dsse"]!["signatures"]!.AsArray().Add(n["dsse"]!["signatures"]![0]!.DeepClone())),
            "noKeyId" => Edit(body, n => n["dsse"]!["signatures"]![0]!.AsObject().Remove("keyid")),
            "payloadType" => Edit(body, n => n["dsse"]!["payloadType"] = "application/json"),
            "payloadNotJson" => WithPayload(body, _ => "{\"_type\":"u8.ToArray()),
            "statementType" => WithPayload(body, p => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(p).Replace("Statement/v1", "Statement/v0.1", StringComparison.Ordinal))),
            "predicateType" => WithPayload(body, p => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(p).Replace("provenance/v1", "provenance/v0.2", StringComparison.Ordinal))),
            "subject" => WithPayload(body, p => Edit(p, s => s["subject"]![1]!["digest"]!["sha256"] = "00")),
            "duplicateKey" => WithPayload(body, p => Encoding.UTF8.GetBytes("{\"_type\":\"a\"," + payloadText[1..])),
            _ => throw new ArgumentOutOfRangeException(nameof(tamper)),
        };
        var error = Refused(tampered, RegistryWith(key));
        Assert.Equal(code, error.Code);
        Assert.Equal(path, error.Path);
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void TryAdmit_UnknownKey_Returns403()
    {
        using var key = Samples.Builder();
        using var other = IdentityKey.Generate("other");
        var error = Refused(Samples.Document(key), RegistryWith(other));
        Assert.Equal(DocumentErrorCode.UnknownKey, error.Code);
        Assert.Equal(403, error.Status);
        Assert.Equal("$.dsse.signatures[0].keyid", error.Path);
    }

    [Fact]
    public void TryAdmit_RevokedKey_Returns403()
    {
        using var key = Samples.Builder();
        var registry = RegistryWith(key);
        registry.Apply(new RegistryChange(RegistryAction.Revoke, key.PublicKey, "alice", null, DateTimeOffset.UnixEpoch, "key leaked"));
        var error = Refused(Samples.Document(key), registry);
        Assert.Equal(DocumentErrorCode.RevokedKey, error.Code);
        Assert.Equal(403, error.Status);
    }

    [Fact]
    public void TryAdmit_TamperedPayload_Returns401()
    {
        using var key = Samples.Builder();
        var body = Samples.Document(key);
        var tampered = WithPayload(body, p => Edit(p, s => s["predicate"]!["runDetails"]!["metadata"]!["invocationId"] = "forged"));
        var error = Refused(tampered, RegistryWith(key));
        Assert.Equal(DocumentErrorCode.BadSignature, error.Code);
        Assert.Equal(401, error.Status);
        Assert.Equal("$.dsse.signatures[0].sig", error.Path);
    }

    [Fact]
    public void TryAdmit_TamperedSignatureOrForeignKeyId_Returns401()
    {
        using var key = Samples.Builder();
        using var other = IdentityKey.Generate("other");
        var body = Samples.Document(key);
        var flipped = Edit(body, n =>
        {
            var sig = Convert.FromBase64String((string)n["dsse"]!["signatures"]![0]!["sig"]!);
            sig[5] ^= 0x10;
            n["dsse"]!["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        });
        Assert.Equal(DocumentErrorCode.BadSignature, Refused(flipped, RegistryWith(key)).Code);

        // Signed by key, but claiming other's key id: other's key does not verify it.
        var claimed = Edit(body, n => n["dsse"]!["signatures"]![0]!["keyid"] = other.KeyId);
        Assert.Equal(DocumentErrorCode.BadSignature, Refused(claimed, RegistryWith(key, other)).Code);

        var shortSig = Edit(body, n => n["dsse"]!["signatures"]![0]!["sig"] = "AAAA");
        Assert.Equal(DocumentErrorCode.BadSignature, Refused(shortSig, RegistryWith(key)).Code);
    }

    [Fact]
    public void TryAdmit_RegistryChangeEntry_Returns400()
    {
        using var admin = Samples.Admin();
        using var key = Samples.Builder();
        var entry = new RegistryChange(RegistryAction.Add, key.PublicKey, "alice", null, DateTimeOffset.UnixEpoch, "").ToLogEntry(admin);
        var error = Refused(entry, RegistryWith(key, admin));
        Assert.Equal(DocumentErrorCode.UnsupportedPayloadType, error.Code);
    }

    [Fact]
    public void Serialize_TpmNotObject_Throws()
    {
        using var key = Samples.Builder();
        var envelope = Samples.Statement().Sign(key);
        Assert.Throws<DocumentException>(() => AttestationDocument.Serialize(envelope, "[1]"u8));
        Assert.ThrowsAny<Exception>(() => AttestationDocument.Serialize(envelope, "{"u8));
    }

    [Fact]
    public void ComputeTpmQualifyingData_IsSha256OfPae()
    {
        using var key = Samples.Builder();
        var document = AttestationDocument.Parse(Samples.Document(key));
        var expected = System.Security.Cryptography.SHA256.HashData(
            DssePae.Encode(NixProvenance.PayloadType, document.Envelope.Payload.Span));
        Assert.Equal(expected, document.ComputeTpmQualifyingData());
        Assert.Equal(expected, AttestationDocument.ComputeTpmQualifyingData(document.Envelope));
    }

    [Fact]
    public void TryAdmit_MutatedDocuments_OnlyDocumentedErrors()
    {
        using var key = Samples.Builder();
        var registry = RegistryWith(key);
        var body = Samples.Document(key, tpm: Tpm);
        var envelope = AttestationDocument.Parse(body).Envelope.ToCanonicalJson();
        var random = new Random(65535);
        for (var i = 0; i < 2000; i++)
        {
            var mutated = Fuzz.Mutate(body, random);
            if (AttestationAdmission.TryAdmit(mutated, registry, out var admitted, out var error))
            {
                // The signature covers the envelope, so only mutations of the unsigned TPM object (whose quote is checked
                // by the verifier) or ones canonicalization erases (whitespace) can be admitted.
                Assert.Equal(envelope, admitted.Document.Envelope.ToCanonicalJson());
            }
            else
            {
                Assert.True(Enum.IsDefined(error!.Code));
                Assert.Contains(error.Status, new[] { 400, 401, 403, 413 });
                Assert.StartsWith("$", error.Path, StringComparison.Ordinal);
            }
        }
    }

    [Property(MaxTest = 200)]
    public Property TryAdmit_ArbitraryBytes_NeverThrows() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            using var key = Samples.Builder();
            return !AttestationAdmission.TryAdmit(bytes, RegistryWith(key), out _, out var error) && error is not null;
        });
}

public sealed class LogEntriesTests
{
    [Fact]
    public void Classify_BothKindsAndGarbage_TellsThemApart()
    {
        using var builder = Samples.Builder();
        using var admin = Samples.Admin();
        var change = new RegistryChange(RegistryAction.Add, builder.PublicKey, "alice", null, DateTimeOffset.UnixEpoch, "");
        Assert.Equal(LogEntryKind.Attestation, LogEntries.Classify(Samples.Document(builder)));
        Assert.Equal(LogEntryKind.RegistryChange, LogEntries.Classify(change.ToLogEntry(admin)));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify("{\"dsse\":{\"payloadType\":\"application/json\"}}"u8));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify("{\"dsse\":{\"payloadType\":1}}"u8));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify("[]"u8));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify("{"u8));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify(new byte[70_000]));
        Assert.Equal(LogEntryKind.Unknown, LogEntries.Classify(Encoding.UTF8.GetBytes(new string('[', 1000))));
    }
}
