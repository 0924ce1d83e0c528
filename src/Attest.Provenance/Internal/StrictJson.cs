using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using Attest.Provenance.Json;

namespace Attest.Provenance.Internal;

/// <summary>Strict typed reads of already-validated JSON; every failure names the field.</summary>
internal static class StrictJson
{
    /// <summary>Canonicalizes (which validates strictly under the caps) and parses the canonical bytes.</summary>
    public static JsonDocument ParseCanonical(
        ReadOnlySpan<byte> utf8Json,
        JsonCanonicalizationOptions options,
        string basePath,
        out byte[] canonical)
    {
        if (!JsonCanonicalizer.TryCanonicalize(utf8Json, out var bytes, out var error, options))
        {
            var code = error.Code == JsonCanonicalizationErrorCode.TooLarge
                ? DocumentErrorCode.TooLarge
                : DocumentErrorCode.MalformedJson;
            throw Fail(code, Combine(basePath, error.Path), error.Message);
        }

        canonical = bytes;
        return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = options.MaxDepth + 1 });
    }

    public static string Combine(string basePath, string jsonPath) =>
        jsonPath.Length > 1 ? string.Concat(basePath, jsonPath.AsSpan(1)) : basePath;

    public static void RequireObject(JsonElement element, string path, DocumentErrorCode code)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(code, path, $"Expected a JSON object, found {Describe(element.ValueKind)}.");
        }
    }

    /// <summary>Fails on any member not in <paramref name="allowed"/>.</summary>
    public static void OnlyMembers(JsonElement obj, string path, DocumentErrorCode code, params ReadOnlySpan<string> allowed)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var known = false;
            foreach (var name in allowed)
            {
                if (property.NameEquals(name))
                {
                    known = true;
                    break;
                }
            }

            if (!known)
            {
                throw Fail(code, Member(path, property.Name), $"Unknown member \"{property.Name}\".");
            }
        }
    }

    public static JsonElement Required(JsonElement obj, string name, string path, DocumentErrorCode code)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            throw Fail(code, Member(path, name), $"The required member \"{name}\" is missing.");
        }

        return value;
    }

    public static JsonElement RequiredObject(JsonElement obj, string name, string path, DocumentErrorCode code)
    {
        var value = Required(obj, name, path, code);
        RequireObject(value, Member(path, name), code);
        return value;
    }

    public static JsonElement RequiredArray(
        JsonElement obj, string name, string path, DocumentErrorCode code, int minItems, int maxItems)
    {
        var value = Required(obj, name, path, code);
        var memberPath = Member(path, name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Fail(code, memberPath, $"Expected a JSON array, found {Describe(value.ValueKind)}.");
        }

        var length = value.GetArrayLength();
        if (length < minItems || length > maxItems)
        {
            throw Fail(code, memberPath, $"Expected {minItems} to {maxItems} items, found {length}.");
        }

        return value;
    }

    public static string RequiredString(
        JsonElement obj, string name, string path, DocumentErrorCode code, int maxLength, bool allowEmpty = false)
    {
        var value = Required(obj, name, path, code);
        return ReadString(value, Member(path, name), code, maxLength, allowEmpty);
    }

    public static string? OptionalString(
        JsonElement obj, string name, string path, DocumentErrorCode code, int maxLength, bool allowEmpty = false)
    {
        return obj.TryGetProperty(name, out var value)
            ? ReadString(value, Member(path, name), code, maxLength, allowEmpty)
            : null;
    }

    public static string ReadString(JsonElement value, string path, DocumentErrorCode code, int maxLength, bool allowEmpty)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Fail(code, path, $"Expected a string, found {Describe(value.ValueKind)}.");
        }

        var text = value.GetString()!;
        if (text.Length > maxLength)
        {
            throw Fail(code, path, $"The string is {text.Length} characters long; the limit is {maxLength}.");
        }

        if (!allowEmpty && text.Length == 0)
        {
            throw Fail(code, path, "The string is empty.");
        }

        return text;
    }

    public static DateTimeOffset ReadTimestamp(JsonElement value, string path, DocumentErrorCode code)
    {
        var text = ReadString(value, path, code, 64, allowEmpty: false);
        if (!Timestamps.TryParse(text, out var timestamp))
        {
            throw Fail(code, path, $"\"{text}\" is not an RFC 3339 UTC timestamp such as 2026-01-02T03:04:05Z.");
        }

        return timestamp;
    }

    public static byte[] RequiredBase64(
        JsonElement obj, string name, string path, DocumentErrorCode code, int maxEncodedLength, bool allowEmpty)
    {
        var value = Required(obj, name, path, code);
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Fail(code, Member(path, name), $"Expected a base64 string, found {Describe(value.ValueKind)}.");
        }

        // The raw text of a string in a canonical document; base64 never needs escapes, so any escape fails below.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var text = raw.Length >= 2 && raw[0] == (byte)'"' ? raw[1..^1] : raw;
        if (text.Length > maxEncodedLength)
        {
            throw Fail(code, Member(path, name), $"The string is {text.Length} characters long; the limit is {maxEncodedLength}.");
        }

        if (!allowEmpty && text.Length == 0)
        {
            throw Fail(code, Member(path, name), "The string is empty.");
        }

        if (!StrictBase64.TryDecode(text, out var bytes))
        {
            throw Fail(code, Member(path, name), "Not canonical RFC 4648 §4 base64 (standard alphabet, padded).");
        }

        return bytes;
    }

    public static string Member(string path, string name)
    {
        if (PathSegment.IsPlainName(name))
        {
            return string.Concat(path, ".", name);
        }

        var builder = new System.Text.StringBuilder(path);
        new PathSegment(name, -1).AppendTo(builder);
        return builder.ToString();
    }

    public static string Index(string path, int index) => $"{path}[{index}]";

    [DoesNotReturn]
    public static void Throw(DocumentErrorCode code, string path, string message) => throw Fail(code, path, message);

    public static DocumentFailure Fail(DocumentErrorCode code, string path, string message) =>
        new(new DocumentError(code, path, message));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

/// <summary>Carries a <see cref="DocumentError"/> out of nested parsing code to the public Try/throw boundary.</summary>
internal sealed class DocumentFailure(DocumentError error) : Exception(error.ToString())
{
    public DocumentError Error { get; } = error;
}
