using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Nix;
using Attest.Provenance.Internal;
using Attest.Provenance.Json;
using Attest.Provenance.Signing;

namespace Attest.Provenance.Statements;

/// <summary>
/// An in-toto Statement v1 with an SLSA Provenance v1 predicate describing one Nix build, in Attest's Nix build type
/// (<see cref="BuildType"/>); see docs/formats.md for the JSON and every field's rules.
/// </summary>
/// <remarks>
/// <para>The statement's subjects are the outputs' store paths with their NAR SHA-256 in hex.
/// <c>externalParameters</c> holds the derivation path, the SHA-256 of the .drv file's bytes and the output names;
/// <c>internalParameters</c> the build environment; <c>resolvedDependencies</c> (optional) the derivation's inputs;
/// <c>runDetails.builder.id</c> the builder; <c>runDetails.metadata</c> the invocation id and times; and
/// <c>runDetails.byproducts</c> one entry per output with its NAR size and references.</para>
/// <para>Parsing is strict: unknown members are refused, every size and count is capped, every store path and hash
/// is validated, subjects and byproducts must describe the same outputs, and times must be ordered.</para>
/// </remarks>
public sealed record NixProvenance
{
    /// <summary>The DSSE payload type of in-toto statements.</summary>
    public const string PayloadType = "application/vnd.in-toto+json";

    /// <summary>The in-toto Statement v1 <c>_type</c>.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>The SLSA Provenance v1 <c>predicateType</c>.</summary>
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>Attest's build type for Nix derivation builds (a URN: it names a schema, it is not fetched).</summary>
    public const string BuildType = "urn:attest:nix-build:v1";

    /// <summary>The prefix of the default <c>runDetails.builder.id</c>: <c>urn:attest:builder:&lt;name&gt;</c>.</summary>
    public const string BuilderIdPrefix = "urn:attest:builder:";

    /// <summary>Most outputs one statement may describe.</summary>
    public const int MaxOutputs = 64;

    /// <summary>Most references one output may list.</summary>
    public const int MaxReferences = 1024;

    /// <summary>Most resolved dependencies one statement may list.</summary>
    public const int MaxDependencies = 2048;

    /// <summary>Most substituters the environment may list.</summary>
    public const int MaxSubstituters = 32;

    /// <summary>Longest accepted short text field (versions, system, kernel, invocation id), in characters.</summary>
    public const int MaxTextLength = 256;

    /// <summary>Longest accepted URI (builder id, substituters), in characters.</summary>
    public const int MaxUriLength = 1024;

    private const DocumentErrorCode Predicate = DocumentErrorCode.InvalidPredicate;

    /// <summary>Gets the derivation (<c>.drv</c>) that was built.</summary>
    public required StorePath Derivation { get; init; }

    /// <summary>Gets the SHA-256 of the <c>.drv</c> file's bytes.</summary>
    public required NixHash DerivationSha256 { get; init; }

    /// <summary>Gets the outputs, one subject each, in the order written.</summary>
    public required IReadOnlyList<NixBuildOutput> Outputs { get; init; }

    /// <summary>Gets the build environment.</summary>
    public required NixBuildEnvironment Environment { get; init; }

    /// <summary>Gets the derivation's inputs; empty when not recorded.</summary>
    public IReadOnlyList<NixDependency> Dependencies { get; init; } = [];

    /// <summary>Gets the SLSA <c>runDetails.builder.id</c>, an absolute URI; see <see cref="BuilderIdFor"/>.</summary>
    public required string BuilderId { get; init; }

    /// <summary>Gets the invocation id, unique per build attempt on this builder.</summary>
    public required string InvocationId { get; init; }

    /// <summary>Gets when the build started (written to whole seconds, UTC).</summary>
    public required DateTimeOffset StartedOn { get; init; }

    /// <summary>Gets when the build finished (written to whole seconds, UTC).</summary>
    public required DateTimeOffset FinishedOn { get; init; }

    /// <summary>Returns the default builder id for a builder name: <c>urn:attest:builder:&lt;name&gt;</c>.</summary>
    /// <param name="builderName">The builder's identity name.</param>
    /// <returns>The builder id.</returns>
    public static string BuilderIdFor(string builderName) => BuilderIdPrefix + builderName;

    /// <summary>Serializes the statement as RFC 8785 canonical JSON, the DSSE payload.</summary>
    /// <returns>The canonical UTF-8 bytes.</returns>
    /// <exception cref="DocumentException">A field breaks the schema's rules (the same rules the parser applies).</exception>
    public byte[] ToStatementJson()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }

        // Re-reading what we wrote applies every parse rule, so the agent cannot sign what the log would refuse.
        var canonical = JsonCanonicalizer.Canonicalize(buffer.WrittenSpan, DsseEnvelope.Unlimited);
        if (!TryParseStatement(canonical, out _, out var error, StorePathDir))
        {
            throw new DocumentException(error);
        }

        return canonical;
    }

    /// <summary>Serializes and signs the statement into a DSSE envelope with payload type <see cref="PayloadType"/>.</summary>
    /// <param name="key">The builder's key.</param>
    /// <returns>The signed envelope.</returns>
    public DsseEnvelope Sign(IdentityKey key) => DsseEnvelope.Sign(PayloadType, ToStatementJson(), key);

    /// <summary>Parses a statement (a DSSE payload) strictly.</summary>
    /// <param name="payload">The statement JSON.</param>
    /// <param name="storeDir">The store directory of every store path.</param>
    /// <returns>The statement.</returns>
    /// <exception cref="DocumentException">The payload is not an acceptable statement; the error names the field.</exception>
    public static NixProvenance ParseStatement(ReadOnlySpan<byte> payload, string storeDir = StorePath.DefaultStoreDir)
    {
        if (!TryParseStatement(payload, out var statement, out var error, storeDir))
        {
            throw new DocumentException(error);
        }

        return statement;
    }

    /// <summary>Parses a statement (a DSSE payload) strictly.</summary>
    /// <param name="payload">The statement JSON.</param>
    /// <param name="statement">The statement on success.</param>
    /// <param name="error">What was wrong and where (paths start at <c>$</c>), on failure.</param>
    /// <param name="storeDir">The store directory of every store path.</param>
    /// <returns>Whether the payload is an acceptable statement.</returns>
    public static bool TryParseStatement(
        ReadOnlySpan<byte> payload,
        [NotNullWhen(true)] out NixProvenance? statement,
        [NotNullWhen(false)] out DocumentError? error,
        string storeDir = StorePath.DefaultStoreDir)
    {
        try
        {
            statement = Parse(payload, "$", storeDir, JsonCanonicalizationOptions.Default);
            error = null;
            return true;
        }
        catch (DocumentFailure failure)
        {
            statement = null;
            error = failure.Error;
            return false;
        }
    }

    private const string StorePathDir = StorePath.DefaultStoreDir;

    internal static NixProvenance Parse(
        ReadOnlySpan<byte> payload, string basePath, string storeDir, JsonCanonicalizationOptions options)
    {
        using var document = StrictJson.ParseCanonical(payload, options, basePath, out _);
        return FromElement(document.RootElement, basePath, storeDir);
    }

    private static NixProvenance FromElement(JsonElement root, string path, string storeDir)
    {
        const DocumentErrorCode statement = DocumentErrorCode.NotInTotoStatement;
        StrictJson.RequireObject(root, path, statement);
        StrictJson.OnlyMembers(root, path, statement, "_type", "subject", "predicateType", "predicate");
        var type = StrictJson.RequiredString(root, "_type", path, statement, MaxUriLength);
        if (!string.Equals(type, StatementType, StringComparison.Ordinal))
        {
            StrictJson.Throw(statement, StrictJson.Member(path, "_type"), $"Expected \"{StatementType}\", found \"{type}\".");
        }

        var predicateType = StrictJson.RequiredString(root, "predicateType", path, statement, MaxUriLength);
        if (!string.Equals(predicateType, PredicateType, StringComparison.Ordinal))
        {
            StrictJson.Throw(
                DocumentErrorCode.UnsupportedPredicateType,
                StrictJson.Member(path, "predicateType"),
                $"Expected \"{PredicateType}\", found \"{predicateType}\".");
        }

        var subjects = ReadSubjects(root, path, storeDir);
        var predicatePath = StrictJson.Member(path, "predicate");
        var predicate = StrictJson.RequiredObject(root, "predicate", path, statement);
        StrictJson.OnlyMembers(predicate, predicatePath, Predicate, "buildDefinition", "runDetails");

        var definitionPath = StrictJson.Member(predicatePath, "buildDefinition");
        var definition = StrictJson.RequiredObject(predicate, "buildDefinition", predicatePath, Predicate);
        StrictJson.OnlyMembers(
            definition, definitionPath, Predicate, "buildType", "externalParameters", "internalParameters", "resolvedDependencies");
        var buildType = StrictJson.RequiredString(definition, "buildType", definitionPath, Predicate, MaxUriLength);
        if (!string.Equals(buildType, BuildType, StringComparison.Ordinal))
        {
            StrictJson.Throw(
                Predicate, StrictJson.Member(definitionPath, "buildType"), $"Expected \"{BuildType}\", found \"{buildType}\".");
        }

        var (derivation, derivationSha256, outputNames) = ReadExternalParameters(definition, definitionPath, storeDir);
        var environment = ReadEnvironment(definition, definitionPath);
        var dependencies = ReadDependencies(definition, definitionPath, storeDir);

        var runPath = StrictJson.Member(predicatePath, "runDetails");
        var run = StrictJson.RequiredObject(predicate, "runDetails", predicatePath, Predicate);
        StrictJson.OnlyMembers(run, runPath, Predicate, "builder", "metadata", "byproducts");
        var builderPath = StrictJson.Member(runPath, "builder");
        var builder = StrictJson.RequiredObject(run, "builder", runPath, Predicate);
        StrictJson.OnlyMembers(builder, builderPath, Predicate, "id");
        var builderId = StrictJson.RequiredString(builder, "id", builderPath, Predicate, MaxUriLength);
        if (!Uri.TryCreate(builderId, UriKind.Absolute, out _))
        {
            StrictJson.Throw(Predicate, StrictJson.Member(builderPath, "id"), "The builder id is not an absolute URI.");
        }

        var metadataPath = StrictJson.Member(runPath, "metadata");
        var metadata = StrictJson.RequiredObject(run, "metadata", runPath, Predicate);
        StrictJson.OnlyMembers(metadata, metadataPath, Predicate, "invocationId", "startedOn", "finishedOn");
        var invocationId = StrictJson.RequiredString(metadata, "invocationId", metadataPath, Predicate, MaxTextLength);
        var startedOn = StrictJson.ReadTimestamp(
            StrictJson.Required(metadata, "startedOn", metadataPath, Predicate), StrictJson.Member(metadataPath, "startedOn"), Predicate);
        var finishedOn = StrictJson.ReadTimestamp(
            StrictJson.Required(metadata, "finishedOn", metadataPath, Predicate), StrictJson.Member(metadataPath, "finishedOn"), Predicate);
        if (finishedOn < startedOn)
        {
            StrictJson.Throw(Predicate, StrictJson.Member(metadataPath, "finishedOn"), "The build finished before it started.");
        }

        var outputs = ReadOutputs(run, runPath, storeDir, subjects, outputNames, StrictJson.Member(definitionPath, "externalParameters"));
        return new NixProvenance
        {
            Derivation = derivation,
            DerivationSha256 = derivationSha256,
            Outputs = outputs,
            Environment = environment,
            Dependencies = dependencies,
            BuilderId = builderId,
            InvocationId = invocationId,
            StartedOn = startedOn,
            FinishedOn = finishedOn,
        };
    }

    private static List<(StorePath Path, NixHash Hash)> ReadSubjects(JsonElement root, string path, string storeDir)
    {
        const DocumentErrorCode subject = DocumentErrorCode.InvalidSubject;
        var array = StrictJson.RequiredArray(root, "subject", path, subject, 1, MaxOutputs);
        var arrayPath = StrictJson.Member(path, "subject");
        var result = new List<(StorePath, NixHash)>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = StrictJson.Index(arrayPath, i++);
            StrictJson.RequireObject(item, itemPath, subject);
            StrictJson.OnlyMembers(item, itemPath, subject, "name", "digest");
            var storePath = ReadStorePath(item, "name", itemPath, storeDir, subject);
            var digestPath = StrictJson.Member(itemPath, "digest");
            var digest = StrictJson.RequiredObject(item, "digest", itemPath, subject);
            StrictJson.OnlyMembers(digest, digestPath, subject, "sha256");
            var hash = ReadSha256Hex(digest, "sha256", digestPath, subject);
            if (result.Exists(s => s.Item1 == storePath))
            {
                StrictJson.Throw(subject, StrictJson.Member(itemPath, "name"), $"The subject {storePath} is listed twice.");
            }

            result.Add((storePath, hash));
        }

        return result;
    }

    private static (StorePath Derivation, NixHash Sha256, List<string> Outputs) ReadExternalParameters(
        JsonElement definition, string definitionPath, string storeDir)
    {
        var path = StrictJson.Member(definitionPath, "externalParameters");
        var external = StrictJson.RequiredObject(definition, "externalParameters", definitionPath, Predicate);
        StrictJson.OnlyMembers(external, path, Predicate, "derivation", "derivationSha256", "outputs");
        var derivation = ReadStorePath(external, "derivation", path, storeDir, Predicate);
        if (!derivation.IsDerivation)
        {
            StrictJson.Throw(Predicate, StrictJson.Member(path, "derivation"), "The derivation path does not end in \".drv\".");
        }

        var sha256 = ReadSha256Hex(external, "derivationSha256", path, Predicate);
        var outputsPath = StrictJson.Member(path, "outputs");
        var outputs = new List<string>();
        var i = 0;
        foreach (var item in StrictJson.RequiredArray(external, "outputs", path, Predicate, 1, MaxOutputs).EnumerateArray())
        {
            var itemPath = StrictJson.Index(outputsPath, i++);
            var name = ReadOutputName(item, itemPath);
            if (outputs.Contains(name, StringComparer.Ordinal))
            {
                StrictJson.Throw(Predicate, itemPath, $"The output \"{name}\" is listed twice.");
            }

            outputs.Add(name);
        }

        return (derivation, sha256, outputs);
    }

    private static NixBuildEnvironment ReadEnvironment(JsonElement definition, string definitionPath)
    {
        var path = StrictJson.Member(definitionPath, "internalParameters");
        var env = StrictJson.RequiredObject(definition, "internalParameters", definitionPath, Predicate);
        StrictJson.OnlyMembers(
            env, path, Predicate, "builderName", "kernel", "nixVersion", "nixosSystem", "sandbox", "substituters", "system");
        var builderName = StrictJson.RequiredString(env, "builderName", path, Predicate, IdentityPublicKey.MaxNameLength);
        if (!IdentityPublicKey.IsValidName(builderName))
        {
            StrictJson.Throw(Predicate, StrictJson.Member(path, "builderName"), "The builder name is not a valid identity name.");
        }

        var sandbox = StrictJson.RequiredString(env, "sandbox", path, Predicate, 16);
        if (sandbox is not ("true" or "false" or "relaxed"))
        {
            StrictJson.Throw(Predicate, StrictJson.Member(path, "sandbox"), "The sandbox setting is not \"true\", \"false\" or \"relaxed\".");
        }

        var substitutersPath = StrictJson.Member(path, "substituters");
        var substituters = new List<string>();
        var i = 0;
        foreach (var item in StrictJson.RequiredArray(env, "substituters", path, Predicate, 0, MaxSubstituters).EnumerateArray())
        {
            substituters.Add(StrictJson.ReadString(item, StrictJson.Index(substitutersPath, i++), Predicate, MaxUriLength, allowEmpty: false));
        }

        string? nixosSystem = null;
        if (env.TryGetProperty("nixosSystem", out var nixos))
        {
            nixosSystem = StrictJson.ReadString(nixos, StrictJson.Member(path, "nixosSystem"), Predicate, MaxUriLength, allowEmpty: false);
        }

        return new NixBuildEnvironment(
            StrictJson.RequiredString(env, "nixVersion", path, Predicate, MaxTextLength),
            StrictJson.RequiredString(env, "system", path, Predicate, MaxTextLength),
            sandbox,
            substituters,
            StrictJson.RequiredString(env, "kernel", path, Predicate, MaxTextLength),
            nixosSystem,
            builderName);
    }

    private static List<NixDependency> ReadDependencies(JsonElement definition, string definitionPath, string storeDir)
    {
        var result = new List<NixDependency>();
        if (!definition.TryGetProperty("resolvedDependencies", out _))
        {
            return result;
        }

        var path = StrictJson.Member(definitionPath, "resolvedDependencies");
        var i = 0;
        foreach (var item in StrictJson.RequiredArray(definition, "resolvedDependencies", definitionPath, Predicate, 0, MaxDependencies).EnumerateArray())
        {
            var itemPath = StrictJson.Index(path, i++);
            StrictJson.RequireObject(item, itemPath, Predicate);
            StrictJson.OnlyMembers(item, itemPath, Predicate, "name", "uri");
            var kindText = StrictJson.RequiredString(item, "name", itemPath, Predicate, 16);
            var kind = kindText switch
            {
                "inputDrv" => NixDependencyKind.InputDerivation,
                "inputSrc" => NixDependencyKind.InputSource,
                _ => throw StrictJson.Fail(Predicate, StrictJson.Member(itemPath, "name"), "Expected \"inputDrv\" or \"inputSrc\"."),
            };
            result.Add(new NixDependency(kind, ReadStorePath(item, "uri", itemPath, storeDir, Predicate)));
        }

        return result;
    }

    private static List<NixBuildOutput> ReadOutputs(
        JsonElement run,
        string runPath,
        string storeDir,
        List<(StorePath Path, NixHash Hash)> subjects,
        List<string> outputNames,
        string externalPath)
    {
        var path = StrictJson.Member(runPath, "byproducts");
        var array = StrictJson.RequiredArray(run, "byproducts", runPath, Predicate, subjects.Count, subjects.Count);
        var result = new List<NixBuildOutput>(subjects.Count);
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = StrictJson.Index(path, i);
            StrictJson.RequireObject(item, itemPath, Predicate);
            StrictJson.OnlyMembers(item, itemPath, Predicate, "name", "uri", "annotations");
            var name = ReadOutputName(StrictJson.Required(item, "name", itemPath, Predicate), StrictJson.Member(itemPath, "name"));
            var storePath = ReadStorePath(item, "uri", itemPath, storeDir, Predicate);

            // Byproduct i describes subject i: same store path, and an output name the derivation declares.
            if (storePath != subjects[i].Path)
            {
                StrictJson.Throw(
                    Predicate, StrictJson.Member(itemPath, "uri"), $"Byproduct {i} is {storePath}, but subject {i} is {subjects[i].Path}.");
            }

            if (!outputNames.Contains(name, StringComparer.Ordinal))
            {
                StrictJson.Throw(Predicate, StrictJson.Member(itemPath, "name"), $"\"{name}\" is not in {externalPath}.outputs.");
            }

            if (result.Exists(o => string.Equals(o.Name, name, StringComparison.Ordinal)))
            {
                StrictJson.Throw(Predicate, StrictJson.Member(itemPath, "name"), $"The output \"{name}\" is described twice.");
            }

            var annotationsPath = StrictJson.Member(itemPath, "annotations");
            var annotations = StrictJson.RequiredObject(item, "annotations", itemPath, Predicate);
            StrictJson.OnlyMembers(annotations, annotationsPath, Predicate, "narSize", "references");
            var sizeElement = StrictJson.Required(annotations, "narSize", annotationsPath, Predicate);
            if (sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt64(out var narSize) || narSize < 0)
            {
                throw StrictJson.Fail(Predicate, StrictJson.Member(annotationsPath, "narSize"), "Expected a non-negative integer.");
            }

            var referencesPath = StrictJson.Member(annotationsPath, "references");
            var references = new List<StorePath>();
            var j = 0;
            foreach (var reference in StrictJson.RequiredArray(annotations, "references", annotationsPath, Predicate, 0, MaxReferences).EnumerateArray())
            {
                var referencePath = StrictJson.Index(referencesPath, j++);
                var text = StrictJson.ReadString(reference, referencePath, Predicate, 2048, allowEmpty: false);
                if (!StorePath.TryParse(text, storeDir, out var referenced))
                {
                    StrictJson.Throw(Predicate, referencePath, $"\"{text}\" is not a store path in {storeDir}.");
                }

                references.Add(referenced);
            }

            result.Add(new NixBuildOutput(name, storePath, subjects[i].Hash, narSize, references));
            i++;
        }

        if (result.Count != outputNames.Count)
        {
            StrictJson.Throw(
                Predicate, StrictJson.Member(externalPath, "outputs"), $"{outputNames.Count} outputs are named but {result.Count} are described.");
        }

        return result;
    }

    private static string ReadOutputName(JsonElement element, string path)
    {
        var name = StrictJson.ReadString(element, path, Predicate, 64, allowEmpty: false);
        if (!StorePath.IsValidName(name))
        {
            StrictJson.Throw(Predicate, path, $"\"{name}\" is not a valid output name.");
        }

        return name;
    }

    private static StorePath ReadStorePath(JsonElement obj, string name, string path, string storeDir, DocumentErrorCode code)
    {
        var text = StrictJson.RequiredString(obj, name, path, code, 2048);
        if (!StorePath.TryParse(text, storeDir, out var storePath))
        {
            StrictJson.Throw(code, StrictJson.Member(path, name), $"\"{text}\" is not a valid Nix store path in {storeDir}.");
        }

        return storePath;
    }

    private static NixHash ReadSha256Hex(JsonElement obj, string name, string path, DocumentErrorCode code)
    {
        var text = StrictJson.RequiredString(obj, name, path, code, 64);
        if (text.Length != 64 || !IsLowerHex(text))
        {
            StrictJson.Throw(code, StrictJson.Member(path, name), "Expected a SHA-256 digest as 64 lowercase hex digits.");
        }

        return NixHash.FromSha256(Convert.FromHexString(text));
    }

    private static bool IsLowerHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private void Write(Utf8JsonWriter writer)
    {
        if (Outputs is null || Outputs.Count == 0 || Environment is null || Dependencies is null)
        {
            throw new DocumentException(new DocumentError(DocumentErrorCode.InvalidPredicate, "$", "A statement needs outputs and an environment."));
        }

        writer.WriteStartObject();
        writer.WriteString("_type", StatementType);
        writer.WriteStartArray("subject");
        foreach (var output in Outputs)
        {
            writer.WriteStartObject();
            writer.WriteString("name", output.Path.FullPath);
            writer.WriteStartObject("digest");
            writer.WriteString("sha256", HexOf(output.NarHash));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("predicateType", PredicateType);
        writer.WriteStartObject("predicate");

        writer.WriteStartObject("buildDefinition");
        writer.WriteString("buildType", BuildType);
        writer.WriteStartObject("externalParameters");
        writer.WriteString("derivation", Derivation.FullPath);
        writer.WriteString("derivationSha256", HexOf(DerivationSha256));
        writer.WriteStartArray("outputs");
        foreach (var output in Outputs)
        {
            writer.WriteStringValue(output.Name);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WriteStartObject("internalParameters");
        writer.WriteString("builderName", Environment.BuilderName);
        writer.WriteString("kernel", Environment.Kernel);
        writer.WriteString("nixVersion", Environment.NixVersion);
        if (Environment.NixOSSystem is not null)
        {
            writer.WriteString("nixosSystem", Environment.NixOSSystem);
        }

        writer.WriteString("sandbox", Environment.Sandbox);
        writer.WriteStartArray("substituters");
        foreach (var substituter in Environment.Substituters)
        {
            writer.WriteStringValue(substituter);
        }

        writer.WriteEndArray();
        writer.WriteString("system", Environment.System);
        writer.WriteEndObject();

        if (Dependencies.Count > 0)
        {
            writer.WriteStartArray("resolvedDependencies");
            foreach (var dependency in Dependencies)
            {
                writer.WriteStartObject();
                writer.WriteString("name", dependency.Kind == NixDependencyKind.InputDerivation ? "inputDrv" : "inputSrc");
                writer.WriteString("uri", dependency.Path.FullPath);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();

        writer.WriteStartObject("runDetails");
        writer.WriteStartObject("builder");
        writer.WriteString("id", BuilderId);
        writer.WriteEndObject();
        writer.WriteStartObject("metadata");
        writer.WriteString("invocationId", InvocationId);
        writer.WriteString("startedOn", Timestamps.Format(StartedOn));
        writer.WriteString("finishedOn", Timestamps.Format(FinishedOn));
        writer.WriteEndObject();
        writer.WriteStartArray("byproducts");
        foreach (var output in Outputs)
        {
            writer.WriteStartObject();
            writer.WriteString("name", output.Name);
            writer.WriteString("uri", output.Path.FullPath);
            writer.WriteStartObject("annotations");
            writer.WriteNumber("narSize", output.NarSize);
            writer.WriteStartArray("references");
            foreach (var reference in output.References)
            {
                writer.WriteStringValue(reference.FullPath);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string HexOf(NixHash hash)
    {
        if (hash.Algorithm != NixHashAlgorithm.Sha256)
        {
            throw new DocumentException(new DocumentError(DocumentErrorCode.InvalidPredicate, "$", "NAR and .drv hashes must be SHA-256."));
        }

        return Convert.ToHexStringLower(hash.Digest);
    }
}
