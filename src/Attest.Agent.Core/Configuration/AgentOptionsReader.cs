using System.Globalization;
using System.Text.Json;
using Attest.Agent.Core.Tpm;
using Attest.Tpm.Keys;

namespace Attest.Agent.Core.Configuration;

/// <summary>
/// Reads the configuration file without reflection-based serialization: the post-build hook loads it for every
/// build, and building <see cref="JsonSerializer"/>'s metadata for <see cref="AgentOptions"/> costs about 60-80 ms of
/// CPU in a fresh process (bench/figures/agent.md). Same format and rules as the serializer settings in
/// <see cref="AgentOptions.ToJson"/> writes: camelCase names matched case-insensitively, comments and trailing
/// commas allowed, unknown members refused. Also what keeps the agent Native AOT compatible without relying on
/// source-generated deserialization, which would reset the init-only defaults of members a file leaves out.
/// </summary>
internal static class AgentOptionsReader
{
    private const int MaxLogUrls = 64;
    private const int MaxRebuildOptions = 256;
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 16,
    };

    /// <summary>Reads the options; validation is the caller's.</summary>
    /// <exception cref="JsonException">The JSON is malformed or a member is unknown, missing or of the wrong type (the message names its path).</exception>
    public static AgentOptions Read(ReadOnlyMemory<byte> json)
    {
        try
        {
            return ReadCore(json);
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument checks the UTF-8 of names and strings only when they are read.
            throw new JsonException($"The configuration holds text that is not valid UTF-8: {e.Message}", e);
        }
    }

    private static AgentOptions ReadCore(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        var root = document.RootElement;
        RequireKind(root, JsonValueKind.Object, "$");
        string? builderName = null, keyPath = null, spoolDirectory = null;
        var options = new AgentOptions { BuilderName = string.Empty, KeyPath = string.Empty, SpoolDirectory = string.Empty };
        foreach (var member in root.EnumerateObject())
        {
            var path = "$." + member.Name;
            switch (member.Name.ToUpperInvariant())
            {
                case "BUILDERNAME":
                    builderName = RequiredString(member.Value, path);
                    break;
                case "KEYPATH":
                    keyPath = RequiredString(member.Value, path);
                    break;
                case "SPOOLDIRECTORY":
                    spoolDirectory = RequiredString(member.Value, path);
                    break;
                case "LOGURLS":
                    options = options with { LogUrls = ReadUrls(member.Value, path) };
                    break;
                case "NIX":
                    options = options with { Nix = ReadNix(member.Value, path) };
                    break;
                case "DELIVERY":
                    options = options with { Delivery = ReadDelivery(member.Value, path) };
                    break;
                case "TPM":
                    options = options with { Tpm = ReadTpm(member.Value, path) };
                    break;
                case "FAILBUILDONERROR":
                    options = options with { FailBuildOnError = ReadBool(member.Value, path) };
                    break;
                default:
                    throw Unknown(path);
            }
        }

        var missing = new[] { ("builderName", builderName), ("keyPath", keyPath), ("spoolDirectory", spoolDirectory) }
            .Where(m => m.Item2 is null).Select(m => $"'{m.Item1}'").ToList();
        if (missing.Count > 0)
        {
            throw new JsonException($"The configuration is missing required properties: {string.Join(", ", missing)}.");
        }

        return options with { BuilderName = builderName!, KeyPath = keyPath!, SpoolDirectory = spoolDirectory! };
    }

    private static AgentTpmOptions? ReadTpm(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        RequireKind(element, JsonValueKind.Object, path);
        string? tcti = null;
        var tpm = new AgentTpmOptions { Tcti = string.Empty };
        foreach (var member in element.EnumerateObject())
        {
            var memberPath = path + "." + member.Name;
            switch (member.Name.ToUpperInvariant())
            {
                case "TCTI":
                    tcti = RequiredString(member.Value, memberPath);
                    break;
                case "PCRS":
                    tpm = tpm with { Pcrs = RequiredString(member.Value, memberPath) };
                    break;
                case "AKHANDLE":
                    tpm = tpm with { AkHandle = ReadUInt32(member.Value, memberPath) };
                    break;
                case "AKALGORITHM":
                    tpm = tpm with { AkAlgorithm = ReadEnum<AttestationKeyAlgorithm>(member.Value, memberPath) };
                    break;
                case "EKKIND":
                    tpm = tpm with { EkKind = ReadEnum<EndorsementKeyKind>(member.Value, memberPath) };
                    break;
                case "EKHANDLE":
                    tpm = tpm with { EkHandle = member.Value.ValueKind == JsonValueKind.Null ? null : ReadUInt32(member.Value, memberPath) };
                    break;
                case "EVENTLOGPATH":
                    tpm = tpm with { EventLogPath = RequiredString(member.Value, memberPath) };
                    break;
                case "INCLUDEEVENTLOG":
                    tpm = tpm with { IncludeEventLog = ReadBool(member.Value, memberPath) };
                    break;
                case "REQUIRED":
                    tpm = tpm with { Required = ReadBool(member.Value, memberPath) };
                    break;
                default:
                    throw Unknown(memberPath);
            }
        }

        return tcti is null
            ? throw new JsonException($"{path} is missing the required property 'tcti'.")
            : tpm with { Tcti = tcti };
    }

    private static uint ReadUInt32(JsonElement element, string path)
    {
        // A number, or a number in a string as the web serializer defaults accepted (JsonNumberHandling.AllowReadingFromString).
        if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out var number))
        {
            return number;
        }

        return element.ValueKind == JsonValueKind.String
            && uint.TryParse(element.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out number)
            ? number
            : throw new JsonException($"{path} must be an unsigned 32-bit number.");
    }

    private static T ReadEnum<T>(JsonElement element, string path)
        where T : struct, Enum
    {
        // Member names only, case-insensitively (as JsonStringEnumConverter reads them); no numbers or flag lists.
        var text = RequiredString(element, path);
        return text.Length > 0 && char.IsAsciiLetter(text[0]) && !text.Contains(',', StringComparison.Ordinal)
            && Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new JsonException($"{path}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }

    private static NixOptions ReadNix(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path);
        var nix = new NixOptions();
        foreach (var member in element.EnumerateObject())
        {
            var memberPath = path + "." + member.Name;
            nix = member.Name.ToUpperInvariant() switch
            {
                "STORE" => nix with { Store = OptionalString(member.Value, memberPath) },
                "BINDIRECTORY" => nix with { BinDirectory = OptionalString(member.Value, memberPath) },
                "REBUILDSTORE" => nix with { RebuildStore = OptionalString(member.Value, memberPath) },
                "REBUILDOPTIONS" => nix with { RebuildOptions = ReadStringMap(member.Value, memberPath) },
                _ => throw Unknown(memberPath),
            };
        }

        return nix;
    }

    private static DeliveryOptions ReadDelivery(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path);
        var delivery = new DeliveryOptions();
        foreach (var member in element.EnumerateObject())
        {
            var memberPath = path + "." + member.Name;
            delivery = member.Name.ToUpperInvariant() switch
            {
                "INITIALBACKOFF" => delivery with { InitialBackoff = ReadTimeSpan(member.Value, memberPath) },
                "MAXBACKOFF" => delivery with { MaxBackoff = ReadTimeSpan(member.Value, memberPath) },
                "REQUESTTIMEOUT" => delivery with { RequestTimeout = ReadTimeSpan(member.Value, memberPath) },
                _ => throw Unknown(memberPath),
            };
        }

        return delivery;
    }

    private static List<Uri> ReadUrls(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Array, path);
        var urls = new List<Uri>();
        foreach (var item in element.EnumerateArray())
        {
            var itemPath = $"{path}[{urls.Count.ToString(CultureInfo.InvariantCulture)}]";
            if (urls.Count == MaxLogUrls)
            {
                throw new JsonException($"{path} lists more than {MaxLogUrls} URLs.");
            }

            var text = RequiredString(item, itemPath);
            urls.Add(Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out var uri)
                ? uri
                : throw new JsonException($"{itemPath}: '{text}' is not a URL."));
        }

        return urls;
    }

    private static Dictionary<string, string> ReadStringMap(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            if (map.Count == MaxRebuildOptions)
            {
                throw new JsonException($"{path} has more than {MaxRebuildOptions} members.");
            }

            map[member.Name] = RequiredString(member.Value, path + "." + member.Name);
        }

        return map;
    }

    private static TimeSpan ReadTimeSpan(JsonElement element, string path) =>
        // The serializer's TimeSpan format: the constant ("c") format, [-][d.]hh:mm:ss[.fffffff].
        TimeSpan.TryParseExact(RequiredString(element, path), "c", CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new JsonException($"{path}: '{element.GetString()}' is not a time span ([d.]hh:mm:ss).");

    private static bool ReadBool(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new JsonException($"{path} must be true or false."),
    };

    private static string RequiredString(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new JsonException($"{path} must be a string.");

    private static string? OptionalString(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Null ? null : RequiredString(element, path);

    private static void RequireKind(JsonElement element, JsonValueKind kind, string path)
    {
        if (element.ValueKind != kind)
        {
            throw new JsonException($"{path} must be {(kind == JsonValueKind.Object ? "an object" : "an array")}.");
        }
    }

    private static JsonException Unknown(string path) =>
        new($"{path} is not a configuration setting (unknown member '{path[(path.LastIndexOf('.') + 1)..]}').");
}
