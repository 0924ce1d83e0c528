using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Provenance.Signing;
using Attest.Tpm;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Policy;

namespace Attest.Verifier.Policy;

/// <summary>Reads the JSON trust policy documented in docs/verifier-policy.md, strictly.</summary>
/// <remarks>
/// Unknown members are refused rather than ignored: a misspelt <c>"minAgreeing"</c> silently falling back to a default
/// would weaken the policy without anyone noticing.
/// </remarks>
public static class TrustPolicyReader
{
    /// <summary>Largest policy file accepted, in bytes.</summary>
    public const int MaxPolicyBytes = 1 << 20;

    /// <summary>Most logs one policy may name.</summary>
    public const int MaxLogs = 64;

    /// <summary>Most builders one policy may name.</summary>
    public const int MaxBuilders = 4096;

    /// <summary>Most witnesses one log may name.</summary>
    public const int MaxWitnesses = 64;

    private const int MaxStringLength = 4096;

    /// <summary>The banks <c>tpmRequiredPcrs</c> may name: those of the TPM JSON formats (<see cref="TpmHash.BankName"/>).</summary>
    private static readonly string[] BankNames = ["sha1", "sha256", "sha384", "sha512"];

    /// <summary>Reads a policy file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="PolicyFormatException">The file is not a valid policy.</exception>
    public static TrustPolicy ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        if (stream.Length > MaxPolicyBytes)
        {
            throw new PolicyFormatException("$", $"The policy file is {stream.Length} bytes; the limit is {MaxPolicyBytes}.");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Parse(bytes, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Parses a policy from UTF-8 JSON; a golden-values file it names is read relative to the current directory.</summary>
    /// <param name="utf8Json">The policy.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="PolicyFormatException">The bytes are not a valid policy.</exception>
    public static TrustPolicy Parse(ReadOnlySpan<byte> utf8Json) => Parse(utf8Json, baseDirectory: null);

    /// <summary>Parses a policy from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The policy.</param>
    /// <param name="baseDirectory">The directory a relative <c>goldenValues</c> file is read from (the policy file's
    /// own directory); <see langword="null"/> for the current directory.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="PolicyFormatException">The bytes are not a valid policy, or its golden-values file is not.</exception>
    public static TrustPolicy Parse(ReadOnlySpan<byte> utf8Json, string? baseDirectory)
    {
        if (utf8Json.Length > MaxPolicyBytes)
        {
            throw new PolicyFormatException("$", $"The policy is {utf8Json.Length} bytes; the limit is {MaxPolicyBytes}.");
        }

        // JsonDocument defers UTF-8 validation of string contents to GetString; refuse bad UTF-8 up front instead.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            throw new PolicyFormatException("$", "The policy is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new PolicyFormatException("$", $"The policy is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            RequireObject(root, "$", "version", "logs", "builders", "quorum", "goldenValues", "tpmRequiredPcrs");
            int version = ReadInt(root, "$", "version", required: true, min: 1, max: 1);
            _ = version;

            var logs = ReadArray(root, "$", "logs", MaxLogs, ReadLog);
            var builders = ReadArray(root, "$", "builders", MaxBuilders, ReadBuilder);
            JsonElement quorumElement = Required(root, "$", "quorum");
            QuorumRule quorum = ReadQuorum(quorumElement, "$.quorum");
            GoldenValuesPolicy? goldenValues = root.TryGetProperty("goldenValues", out JsonElement golden)
                ? ReadGoldenValues(golden, "$.goldenValues", baseDirectory)
                : null;
            PcrSelection? tpmRequiredPcrs = root.TryGetProperty("tpmRequiredPcrs", out JsonElement required)
                ? ReadRequiredPcrs(required, "$.tpmRequiredPcrs")
                : null;
            CheckGoldenValuesCovered(builders, goldenValues, tpmRequiredPcrs);

            try
            {
                return new TrustPolicy(logs, builders, quorum, goldenValues, tpmRequiredPcrs);
            }
            catch (ArgumentException ex)
            {
                throw new PolicyFormatException("$", ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Parses a policy, reporting failure instead of throwing.</summary>
    /// <param name="utf8Json">The policy.</param>
    /// <param name="policy">The policy on success.</param>
    /// <param name="error">What was wrong, on failure.</param>
    /// <returns>Whether the policy is valid.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out TrustPolicy? policy, [NotNullWhen(false)] out PolicyFormatException? error)
    {
        try
        {
            policy = Parse(utf8Json);
            error = null;
            return true;
        }
        catch (PolicyFormatException ex)
        {
            policy = null;
            error = ex;
            return false;
        }
    }

    private static LogPolicy ReadLog(JsonElement element, string path)
    {
        RequireObject(element, path, "origin", "key", "url", "witnesses", "adminKey");
        string origin = ReadString(element, path, "origin");
        string key = ReadString(element, path, "key");
        string url = ReadString(element, path, "url");
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out Uri? uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeFile))
        {
            throw new PolicyFormatException(path + ".url", $"\"{url}\" is not an absolute http, https or file URL.");
        }

        WitnessPolicy witnesses = WitnessPolicy.None;
        if (element.TryGetProperty("witnesses", out JsonElement w))
        {
            string wpath = path + ".witnesses";
            RequireObject(w, wpath, "keys", "threshold");
            var keys = ReadArray(w, wpath, "keys", MaxWitnesses, (e, p) => e.ValueKind == JsonValueKind.String
                ? CheckLength(e.GetString()!, p)
                : throw new PolicyFormatException(p, "A witness key is a string."));
            int threshold = ReadInt(w, wpath, "threshold", required: true, min: 0, max: keys.Count);
            if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            {
                throw new PolicyFormatException(wpath + ".keys", "A witness key appears more than once.");
            }

            witnesses = new WitnessPolicy(keys, threshold);
        }

        IdentityPublicKey? adminKey = null;
        if (element.TryGetProperty("adminKey", out JsonElement admin) && admin.ValueKind != JsonValueKind.Null)
        {
            string adminText = admin.ValueKind == JsonValueKind.String
                ? CheckLength(admin.GetString()!, path + ".adminKey")
                : throw new PolicyFormatException(path + ".adminKey", "adminKey is the log's admin key text or null.");
            if (!IdentityPublicKey.TryParse(adminText, out adminKey, out string? adminError))
            {
                throw new PolicyFormatException(path + ".adminKey", adminError);
            }
        }

        return new LogPolicy(origin, key, uri, witnesses) { AdminKey = adminKey };
    }

    /// <summary>
    /// Reads <c>goldenValues</c>: a golden values document (docs/tpm-evidence.md) inline, or the path of a file holding
    /// one, relative to <paramref name="baseDirectory"/>.
    /// </summary>
    private static GoldenValuesPolicy ReadGoldenValues(JsonElement element, string path, string? baseDirectory)
    {
        byte[] document;
        string where;
        if (element.ValueKind == JsonValueKind.Object)
        {
            document = System.Text.Encoding.UTF8.GetBytes(element.GetRawText());
            where = path;
        }
        else if (element.ValueKind == JsonValueKind.String && element.GetString() is { Length: > 0 } file)
        {
            string full = Path.GetFullPath(CheckLength(file, path), baseDirectory ?? Environment.CurrentDirectory);
            try
            {
                using var stream = File.OpenRead(full);
                if (stream.Length > GoldenValuesPolicy.MaxDocumentSize)
                {
                    throw new PolicyFormatException(path, $"The golden values file {full} is {stream.Length} bytes; the limit is {GoldenValuesPolicy.MaxDocumentSize}.");
                }

                document = new byte[stream.Length];
                stream.ReadExactly(document);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PolicyFormatException(path, $"Cannot read the golden values file {full}: {e.Message}");
            }

            where = $"{path} ({full})";
        }
        else
        {
            throw new PolicyFormatException(path, "goldenValues is a golden values document (an object) or the path of a file holding one.");
        }

        try
        {
            return GoldenValuesPolicy.Parse(document);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new PolicyFormatException(where, $"Not a valid golden values document: {e.Message}");
        }
    }

    /// <summary>
    /// Reads <c>tpmRequiredPcrs</c>: bank name → the PCR indexes a quote must cover in that bank, e.g.
    /// <c>{"sha256": [0, 1, 2, 3, 4, 5, 6, 7]}</c>.
    /// </summary>
    private static PcrSelection ReadRequiredPcrs(JsonElement element, string path)
    {
        RequireObject(element, path, BankNames);
        var banks = new List<PcrBankSelection>(BankNames.Length);
        foreach (JsonProperty bank in element.EnumerateObject())
        {
            string bankPath = path + "." + bank.Name;
            TpmHash.TryParseBankName(bank.Name, out TpmAlgorithm hash);
            if (bank.Value.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyFormatException(bankPath, "Expected an array of PCR indexes.");
            }

            int length = bank.Value.GetArrayLength();
            if (length == 0)
            {
                throw new PolicyFormatException(bankPath, "The array is empty; a bank with no required PCR is left out.");
            }

            // Indexes are distinct and in 0..23, so more items than that cannot be valid.
            if (length > TrustPolicy.MaxRequiredPcrIndex + 1)
            {
                throw new PolicyFormatException(bankPath, $"{length} items; a bank has at most {TrustPolicy.MaxRequiredPcrIndex + 1} PCRs.");
            }

            uint mask = 0;
            int i = 0;
            foreach (JsonElement item in bank.Value.EnumerateArray())
            {
                string itemPath = $"{bankPath}[{i++}]";
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int pcr) || pcr is < 0 or > TrustPolicy.MaxRequiredPcrIndex)
                {
                    throw new PolicyFormatException(itemPath, $"Expected a PCR index from 0 to {TrustPolicy.MaxRequiredPcrIndex}.");
                }

                if ((mask & (1u << pcr)) != 0)
                {
                    throw new PolicyFormatException(itemPath, $"PCR {pcr} appears more than once.");
                }

                mask |= 1u << pcr;
            }

            banks.Add(new PcrBankSelection(hash, mask));
        }

        if (banks.Count == 0)
        {
            throw new PolicyFormatException(path, $"The object is empty; name at least one bank ({string.Join(", ", BankNames)}).");
        }

        return new PcrSelection(banks);
    }

    /// <summary>
    /// Refuses a builder whose golden-value configuration depends on a PCR its required selection leaves out: its quotes
    /// need not cover that PCR, so the configuration could never be checked and every such quote would fail.
    /// </summary>
    private static void CheckGoldenValuesCovered(List<BuilderPolicy> builders, GoldenValuesPolicy? goldenValues, PcrSelection? tpmRequiredPcrs)
    {
        for (int i = 0; i < builders.Count; i++)
        {
            BuilderPolicy builder = builders[i];
            BuildMachineConfiguration? configuration = goldenValues?.Configurations.FirstOrDefault(c => string.Equals(c.Name, builder.GoldenValues, StringComparison.Ordinal));
            if (configuration is null)
            {
                // No configuration named, or a name the policy does not define (TrustPolicy refuses that).
                continue;
            }

            PcrSelection required = builder.TpmRequiredPcrs ?? tpmRequiredPcrs ?? TrustPolicy.DefaultTpmRequiredPcrs;
            if (TrustPolicy.FindPcrOutside(configuration, required) is { } outside)
            {
                string source = builder.TpmRequiredPcrs is not null ? $"$.builders[{i}].tpmRequiredPcrs"
                    : tpmRequiredPcrs is not null ? "$.tpmRequiredPcrs"
                    : "the default, as $.tpmRequiredPcrs is absent";
                throw new PolicyFormatException(
                    $"$.builders[{i}].goldenValues",
                    $"The configuration \"{configuration.Name}\" {outside}, which the builder's required PCRs {required} ({source}) do not include, "
                    + "so its quotes need not cover it; add it to tpmRequiredPcrs.");
            }
        }
    }

    private static BuilderPolicy ReadBuilder(JsonElement element, string path)
    {
        RequireObject(element, path, "name", "key", "operator", "requireTpm", "goldenValues", "tpmRequiredPcrs");
        string name = ReadString(element, path, "name");
        string keyText = ReadString(element, path, "key");
        if (!IdentityPublicKey.TryParse(keyText, out IdentityPublicKey? key, out string? keyError))
        {
            throw new PolicyFormatException(path + ".key", keyError);
        }

        string op = ReadString(element, path, "operator");
        bool requireTpm = false;
        if (element.TryGetProperty("requireTpm", out JsonElement tpm))
        {
            requireTpm = tpm.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new PolicyFormatException(path + ".requireTpm", "requireTpm is true or false."),
            };
        }

        string? golden = null;
        if (element.TryGetProperty("goldenValues", out JsonElement g) && g.ValueKind != JsonValueKind.Null)
        {
            golden = g.ValueKind == JsonValueKind.String
                ? CheckLength(g.GetString()!, path + ".goldenValues")
                : throw new PolicyFormatException(path + ".goldenValues", "goldenValues is a string or null.");
        }

        PcrSelection? requiredPcrs = element.TryGetProperty("tpmRequiredPcrs", out JsonElement pcrs)
            ? ReadRequiredPcrs(pcrs, path + ".tpmRequiredPcrs")
            : null;
        return new BuilderPolicy(name, key, op, requireTpm, golden) { TpmRequiredPcrs = requiredPcrs };
    }

    private static QuorumRule ReadQuorum(JsonElement element, string path)
    {
        RequireObject(element, path, "minAgreeing", "minOperators", "maxDissenting", "minTpmAttested");
        int minAgreeing = ReadInt(element, path, "minAgreeing", required: true, min: 1, max: MaxBuilders);
        int minOperators = ReadInt(element, path, "minOperators", required: false, min: 1, max: MaxBuilders, fallback: 1);
        int maxDissenting = ReadInt(element, path, "maxDissenting", required: false, min: 0, max: MaxBuilders, fallback: 0);
        int minTpm = ReadInt(element, path, "minTpmAttested", required: false, min: 0, max: MaxBuilders, fallback: 0);
        var rule = new QuorumRule(minAgreeing, minOperators, maxDissenting, minTpm);
        try
        {
            rule.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new PolicyFormatException(path + "." + char.ToLowerInvariant(ex.ParamName![0]) + ex.ParamName[1..], ex.Message.Split(" (Parameter")[0]);
        }

        return rule;
    }

    private static void RequireObject(JsonElement element, string path, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyFormatException(path, $"Expected an object, found {element.ValueKind}.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw new PolicyFormatException(path + "." + property.Name, "The member appears more than once.");
            }

            if (Array.IndexOf(allowed, property.Name) < 0)
            {
                throw new PolicyFormatException(path + "." + property.Name, $"Unknown member; expected one of: {string.Join(", ", allowed)}.");
            }
        }
    }

    private static JsonElement Required(JsonElement element, string path, string name) =>
        element.TryGetProperty(name, out JsonElement value)
            ? value
            : throw new PolicyFormatException(path + "." + name, "The member is required.");

    private static string ReadString(JsonElement element, string path, string name)
    {
        JsonElement value = Required(element, path, name);
        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } s)
        {
            throw new PolicyFormatException(path + "." + name, "Expected a non-empty string.");
        }

        return CheckLength(s, path + "." + name);
    }

    private static string CheckLength(string value, string path) =>
        value.Length <= MaxStringLength
            ? value
            : throw new PolicyFormatException(path, $"The string is {value.Length} characters; the limit is {MaxStringLength}.");

    private static int ReadInt(JsonElement element, string path, string name, bool required, int min, int max, int fallback = 0)
    {
        if (!element.TryGetProperty(name, out JsonElement value))
        {
            return required ? throw new PolicyFormatException(path + "." + name, "The member is required.") : fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n) || n < min || n > max)
        {
            throw new PolicyFormatException(path + "." + name, $"Expected an integer from {min} to {max}.");
        }

        return n;
    }

    private static List<T> ReadArray<T>(JsonElement element, string path, string name, int max, Func<JsonElement, string, T> read)
    {
        JsonElement value = Required(element, path, name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new PolicyFormatException(path + "." + name, "Expected an array.");
        }

        int length = value.GetArrayLength();
        if (length > max)
        {
            throw new PolicyFormatException(path + "." + name, $"{length} items; the limit is {max}.");
        }

        var items = new List<T>(length);
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            items.Add(read(item, $"{path}.{name}[{i++}]"));
        }

        return items;
    }
}

/// <summary>A trust policy that is not valid, with the JSON path of the offending member.</summary>
public sealed class PolicyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The JSON path, such as <c>$.builders[2].key</c>.</param>
    /// <param name="problem">What is wrong there.</param>
    public PolicyFormatException(string path, string problem)
        : base($"{path}: {problem}")
    {
        JsonPath = path;
    }

    /// <summary>Creates the exception.</summary>
    public PolicyFormatException()
        : this("$", "The policy is not valid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public PolicyFormatException(string message)
        : this("$", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PolicyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        JsonPath = "$";
    }

    /// <summary>Gets the JSON path of the offending member.</summary>
    public string JsonPath { get; }
}
