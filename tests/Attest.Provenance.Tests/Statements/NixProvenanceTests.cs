using System.Text;
using System.Text.Json.Nodes;
using Attest.Nix;
using Attest.Provenance.Json;
using Attest.Provenance.Statements;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Statements;

public sealed class NixProvenanceTests
{
    private static byte[] Mutated(Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(Samples.Statement().ToStatementJson())!;
        edit(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static DocumentError Refused(byte[] payload)
    {
        Assert.False(NixProvenance.TryParseStatement(payload, out var statement, out var error));
        Assert.Null(statement);
        return error!;
    }

    [Fact]
    public void ToStatementJson_ThenParse_RoundTrips()
    {
        var original = Samples.Statement();
        var json = original.ToStatementJson();
        Assert.True(JsonCanonicalizer.IsCanonical(json));
        var parsed = NixProvenance.ParseStatement(json);
        Assert.Equal(original.Derivation, parsed.Derivation);
        Assert.Equal(original.DerivationSha256, parsed.DerivationSha256);
        Assert.Equal(original.Environment with { Substituters = parsed.Environment.Substituters }, parsed.Environment);
        Assert.Equal(original.Environment.Substituters, parsed.Environment.Substituters);
        Assert.Equal(original.Dependencies, parsed.Dependencies);
        Assert.Equal(original.BuilderId, parsed.BuilderId);
        Assert.Equal(original.InvocationId, parsed.InvocationId);
        Assert.Equal(original.StartedOn, parsed.StartedOn);
        Assert.Equal(original.FinishedOn, parsed.FinishedOn);
        Assert.Equal(original.Outputs.Count, parsed.Outputs.Count);
        for (var i = 0; i < original.Outputs.Count; i++)
        {
            Assert.Equal(original.Outputs[i] with { References = parsed.Outputs[i].References }, parsed.Outputs[i]);
            Assert.Equal(original.Outputs[i].References, parsed.Outputs[i].References);
        }

        Assert.Equal(json, parsed.ToStatementJson());
    }

    [Fact]
    public void ToStatementJson_WritesInTotoAndSlsaFields()
    {
        var statement = Samples.Statement();
        var node = JsonNode.Parse(statement.ToStatementJson())!;
        Assert.Equal("https://in-toto.io/Statement/v1", (string)node["_type"]!);
        Assert.Equal("https://slsa.dev/provenance/v1", (string)node["predicateType"]!);
        Assert.Equal(statement.Outputs[0].Path.FullPath, (string)node["subject"]![0]!["name"]!);
        Assert.Equal(statement.Outputs[0].NarHash.ToHex(), (string)node["subject"]![0]!["digest"]!["sha256"]!);
        var definition = node["predicate"]!["buildDefinition"]!;
        Assert.Equal(NixProvenance.BuildType, (string)definition["buildType"]!);
        Assert.Equal(statement.Derivation.FullPath, (string)definition["externalParameters"]!["derivation"]!);
        Assert.Equal(statement.DerivationSha256.ToHex(), (string)definition["externalParameters"]!["derivationSha256"]!);
        Assert.Equal("[\"out\",\"man\"]", definition["externalParameters"]!["outputs"]!.ToJsonString());
        Assert.Equal("x86_64-linux", (string)definition["internalParameters"]!["system"]!);
        Assert.Null(definition["internalParameters"]!["nixosSystem"]);
        Assert.Equal("inputDrv", (string)definition["resolvedDependencies"]![0]!["name"]!);
        var run = node["predicate"]!["runDetails"]!;
        Assert.Equal("urn:attest:builder:hydra-01", (string)run["builder"]!["id"]!);
        Assert.Equal("2026-11-22T17:00:00Z", (string)run["metadata"]!["startedOn"]!);
        Assert.Equal(274_432, (long)run["byproducts"]![0]!["annotations"]!["narSize"]!);
    }

    [Fact]
    public void ToStatementJson_NoDependenciesAndNixOS_OmitsAndWrites()
    {
        var statement = Samples.Statement() with
        {
            Dependencies = [],
            Environment = Samples.Statement().Environment with { NixOSSystem = Samples.Path("nixos-system-builder-25.05").FullPath },
        };
        var node = JsonNode.Parse(statement.ToStatementJson())!;
        Assert.Null(node["predicate"]!["buildDefinition"]!["resolvedDependencies"]);
        var parsed = NixProvenance.ParseStatement(statement.ToStatementJson());
        Assert.Empty(parsed.Dependencies);
        Assert.Equal(statement.Environment.NixOSSystem, parsed.Environment.NixOSSystem);
    }

    [Fact]
    public void ToStatementJson_InvalidModel_Throws()
    {
        var statement = Samples.Statement();
        Assert.Throws<DocumentException>(() => (statement with { Outputs = [] }).ToStatementJson());
        Assert.Throws<DocumentException>(() => (statement with { BuilderId = "not a uri" }).ToStatementJson());
        Assert.Throws<DocumentException>(() => (statement with { Derivation = Samples.Path("hello") }).ToStatementJson());
        Assert.Throws<DocumentException>(() => (statement with { FinishedOn = statement.StartedOn.AddSeconds(-1) }).ToStatementJson());
        Assert.Throws<DocumentException>(() => (statement with { Environment = statement.Environment with { Sandbox = "yes" } }).ToStatementJson());
        Assert.Throws<DocumentException>(() => (statement with { Environment = statement.Environment with { BuilderName = "bad name" } }).ToStatementJson());
        var md5 = new NixHash(NixHashAlgorithm.Md5, new byte[16]);
        Assert.Throws<DocumentException>(() => (statement with { DerivationSha256 = md5 }).ToStatementJson());
        var twice = statement.Outputs[0] with { Path = statement.Outputs[1].Path };
        Assert.Throws<DocumentException>(() => (statement with { Outputs = [twice, statement.Outputs[1]] }).ToStatementJson());
    }

    public static TheoryData<string, DocumentErrorCode, string> Tampering => new()
    {
        { "_type", DocumentErrorCode.NotInTotoStatement, "$._type" },
        { "predicateType", DocumentErrorCode.UnsupportedPredicateType, "$.predicateType" },
        { "extra", DocumentErrorCode.NotInTotoStatement, "$.extra" },
        { "subjectEmpty", DocumentErrorCode.InvalidSubject, "$.subject" },
        { "subjectName", DocumentErrorCode.InvalidSubject, "$.subject[0].name" },
        { "subjectStoreDir", DocumentErrorCode.InvalidSubject, "$.subject[1].name" },
        { "digestUpper", DocumentErrorCode.InvalidSubject, "$.subject[0].digest.sha256" },
        { "digestShort", DocumentErrorCode.InvalidSubject, "$.subject[0].digest.sha256" },
        { "digestOther", DocumentErrorCode.InvalidSubject, "$.subject[0].digest.sha512" },
        { "digestMissing", DocumentErrorCode.InvalidSubject, "$.subject[0].digest.sha256" },
        { "buildType", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.buildType" },
        { "drvNotDrv", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.externalParameters.derivation" },
        { "internalExtra", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.internalParameters.secret" },
        { "sandbox", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.internalParameters.sandbox" },
        { "dependencyKind", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.resolvedDependencies[0].name" },
        { "byproductPath", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts[1].uri" },
        { "byproductName", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts[0].name" },
        { "byproductMissing", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts" },
        { "narSizeNegative", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts[0].annotations.narSize" },
        { "narSizeFraction", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts[0].annotations.narSize" },
        { "reference", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.byproducts[0].annotations.references[1]" },
        { "time", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.metadata.startedOn" },
        { "timeOrder", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.metadata.finishedOn" },
        { "builderId", DocumentErrorCode.InvalidPredicate, "$.predicate.runDetails.builder.id" },
        { "outputsExtra", DocumentErrorCode.InvalidPredicate, "$.predicate.buildDefinition.externalParameters.outputs" },
        { "notObject", DocumentErrorCode.NotInTotoStatement, "$" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public void TryParseStatement_SchemaViolation_NamesCodeAndField(string tamper, DocumentErrorCode code, string path)
    {
        var payload = tamper == "notObject" ? "[]"u8.ToArray() : Mutated(node =>
        {
            var definition = node["predicate"]!["buildDefinition"]!;
            var run = node["predicate"]!["runDetails"]!;
            switch (tamper)
            {
                case "_type": node["_type"] = "https://in-toto.io/Statement/v0.1"; break;
                case "predicateType": node["predicateType"] = "https://slsa.dev/provenance/v0.2"; break;
                case "extra": node["extra"] = 1; break;
                case "subjectEmpty": node["subject"] = new JsonArray(); break;
                case "subjectName": node["subject"]![0]!["name"] = "/nix/store/not-a-store-path"; break;
                case "subjectStoreDir": node["subject"]![1]!["name"] = "/gnu/store/" + Samples.Path("x").BaseName; break;
                case "digestUpper": node["subject"]![0]!["digest"]!["sha256"] = Samples.Sha256("x").ToHex().ToUpperInvariant(); break;
                case "digestShort": node["subject"]![0]!["digest"]!["sha256"] = "abcd"; break;
                case "digestOther": node["subject"]![0]!["digest"]!["sha512"] = "00"; break;
                case "digestMissing": node["subject"]![0]!["digest"] = new JsonObject(); break;
                case "buildType": definition["buildType"] = "https://example.com/other"; break;
                case "drvNotDrv": definition["externalParameters"]!["derivation"] = Samples.Path("hello").FullPath; break;
                case "internalExtra": definition["internalParameters"]!["secret"] = "x"; break;
                case "sandbox": definition["internalParameters"]!["sandbox"] = "on"; break;
                case "dependencyKind": definition["resolvedDependencies"]![0]!["name"] = "input"; break;
                case "byproductPath": run["byproducts"]![1]!["uri"] = Samples.Path("other").FullPath; break;
                case "byproductName": run["byproducts"]![0]!["name"] = "lib"; break;
                case "byproductMissing": run["byproducts"]!.AsArray().RemoveAt(1); break;
                case "narSizeNegative": run["byproducts"]![0]!["annotations"]!["narSize"] = -1; break;
                case "narSizeFraction": run["byproducts"]![0]!["annotations"]!["narSize"] = 1.5; break;
                case "reference": run["byproducts"]![0]!["annotations"]!["references"]![1] = "/tmp/x"; break;
                case "time": run["metadata"]!["startedOn"] = "2026-11-22 17:00:00"; break;
                case "timeOrder": run["metadata"]!["finishedOn"] = "2026-11-22T16:59:59Z"; break;
                case "builderId": run["builder"]!["id"] = "hydra"; break;
                case "outputsExtra": definition["externalParameters"]!["outputs"]!.AsArray().Add("dev"); break;
                default: throw new ArgumentOutOfRangeException(nameof(tamper));
            }
        });
        var error = Refused(payload);
        Assert.Equal(code, error.Code);
        Assert.Equal(path, error.Path);
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void TryParseStatement_MutatedPayloads_OnlyDocumentedErrors()
    {
        var json = Samples.Statement().ToStatementJson();
        var random = new Random(4);
        for (var i = 0; i < 3000; i++)
        {
            var mutated = Fuzz.Mutate(json, random);
            if (!NixProvenance.TryParseStatement(mutated, out var statement, out var error))
            {
                Assert.True(Enum.IsDefined(error!.Code));
                Assert.StartsWith("$", error.Path, StringComparison.Ordinal);
            }
            else
            {
                Assert.NotEmpty(statement.Outputs);
            }
        }
    }

    [Property(MaxTest = 100)]
    public Property ToStatementJson_AnyOutputTable_RoundTrips() =>
        Prop.ForAll(
            Gen.Choose(1, 6).SelectMany(outputs => Gen.Choose(0, 8).Zip(Gen.Choose(0, int.MaxValue)).ListOf(outputs)).ToArbitrary(),
            table =>
            {
                var outputs = table.Select((t, i) => new NixBuildOutput(
                    i == 0 ? "out" : "out" + i,
                    Samples.Path("pkg-" + i),
                    Samples.Sha256("nar " + i + " " + t.Item2),
                    t.Item2,
                    [.. Enumerable.Range(0, t.Item1).Select(r => Samples.Path("dep-" + r))])).ToList();
                var statement = Samples.Statement() with { Outputs = outputs };
                var parsed = NixProvenance.ParseStatement(statement.ToStatementJson());
                return parsed.Outputs.Count == outputs.Count &&
                    parsed.Outputs.Zip(outputs).All(p =>
                        p.First.Name == p.Second.Name && p.First.Path == p.Second.Path && p.First.NarHash == p.Second.NarHash &&
                        p.First.NarSize == p.Second.NarSize && p.First.References.SequenceEqual(p.Second.References));
            });
}
