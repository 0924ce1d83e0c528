using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Internal;

/// <summary>
/// Strict reading of small JSON documents from the network: bounded size and depth, no duplicate or unknown
/// properties, exact types, hex and base64 with length caps. Errors name the JSON path. Also the one writer of the
/// PCR values object that evidence and golden values share.
/// </summary>
internal static class StrictJson
{
    public static JsonDocument Parse(ReadOnlySpan<byte> utf8, int maxBytes, string what)
    {
        if (utf8.Length > maxBytes)
        {
            throw new FormatException($"{what}: {utf8.Length} bytes exceed the maximum {maxBytes}.");
        }

        // JsonDocument validates string contents only when they are read; reject bad UTF-8 before any read can throw.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new FormatException($"{what}: not valid UTF-8.");
        }

        try
        {
            return JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{what}: not valid JSON ({e.Message})", e);
        }
    }

    public static void RequireObject(JsonElement e, string path, params string[] allowed)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            Fail(path, "is not an object");
        }

        foreach (JsonProperty p in e.EnumerateObject())
        {
            if (!allowed.Contains(p.Name, StringComparer.Ordinal))
            {
                Fail($"{path}.{p.Name}", "is not a known property");
            }
        }
    }

    public static JsonElement Required(JsonElement obj, string name, string path) =>
        obj.TryGetProperty(name, out JsonElement v) ? v : throw new FormatException($"{path}.{name}: is required.");

    public static bool TryOptional(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public static string String(JsonElement e, string path, int maxLength)
    {
        if (e.ValueKind != JsonValueKind.String)
        {
            Fail(path, "is not a string");
        }

        string s = e.GetString()!;
        if (s.Length > maxLength)
        {
            Fail(path, $"is longer than {maxLength} characters");
        }

        return s;
    }

    public static int Int(JsonElement e, string path, int min, int max)
    {
        int v = 0;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out v) || v < min || v > max)
        {
            Fail(path, $"is not an integer in {min}..{max}");
        }

        return v;
    }

    public static byte[] Hex(JsonElement e, string path, int maxBytes)
    {
        string s = String(e, path, 2 * maxBytes);
        if (s.Length % 2 != 0 || s.Any(c => c is (< '0' or > '9') and (< 'a' or > 'f')))
        {
            Fail(path, "is not lowercase hex");
        }

        return Convert.FromHexString(s);
    }

    public static byte[] Base64(JsonElement e, string path, int maxBytes)
    {
        string s = String(e, path, ((maxBytes + 2) / 3) * 4);
        byte[] buffer = new byte[(s.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(s, buffer, out int written) || s.Any(char.IsWhiteSpace))
        {
            Fail(path, "is not standard base64");
        }

        return buffer[..written];
    }

    public static JsonElement.ArrayEnumerator Items(JsonElement e, string path, int maxItems)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            Fail(path, "is not an array");
        }

        if (e.GetArrayLength() > maxItems)
        {
            Fail(path, $"has more than {maxItems} items");
        }

        return e.EnumerateArray();
    }

    public static int PcrIndex(string name, string path) =>
        name.Length is >= 1 and <= 2 && (name.Length == 1 || name[0] != '0')
            && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index <= 31
            ? index
            : throw new FormatException($"{path}: \"{name}\" is not a PCR index 0..31.");

    /// <summary>
    /// Reads a PCR values object: bank name ("sha1", "sha256", "sha384", "sha512") → PCR index ("0".."31") →
    /// lowercase hex digest of the bank's size; at most <paramref name="maxValues"/> values.
    /// </summary>
    public static List<PcrValue> PcrValues(JsonElement banks, string path, int maxValues)
    {
        RequireObject(banks, path, "sha1", "sha256", "sha384", "sha512");
        var values = new List<PcrValue>();
        foreach (JsonProperty bank in banks.EnumerateObject())
        {
            TpmHash.TryParseBankName(bank.Name, out TpmAlgorithm alg);
            string bankPath = $"{path}.{bank.Name}";
            if (bank.Value.ValueKind != JsonValueKind.Object)
            {
                Fail(bankPath, "is not an object");
            }

            foreach (JsonProperty pcr in bank.Value.EnumerateObject())
            {
                string pcrPath = $"{bankPath}.{pcr.Name}";
                int index = PcrIndex(pcr.Name, pcrPath);
                byte[] digest = Hex(pcr.Value, pcrPath, TpmHash.MaxDigestSize);
                if (digest.Length != TpmHash.DigestSize(alg))
                {
                    Fail(pcrPath, $"is not a {bank.Name} digest");
                }

                values.Add(new PcrValue(alg, index, digest));
                if (values.Count > maxValues)
                {
                    Fail(path, $"holds more than {maxValues} values");
                }
            }
        }

        return values;
    }

    /// <summary>Writes PCR values in the shape <see cref="PcrValues"/> reads: banks by algorithm id, indices ascending.</summary>
    public static void WritePcrValues(Utf8JsonWriter writer, string name, IEnumerable<PcrValue> values)
    {
        writer.WriteStartObject(name);
        foreach (IGrouping<TpmAlgorithm, PcrValue> bank in values.GroupBy(p => p.Hash).OrderBy(g => g.Key))
        {
            writer.WriteStartObject(TpmHash.BankName(bank.Key) ?? throw new ArgumentException($"0x{(ushort)bank.Key:X4} has no bank name.", nameof(values)));
            foreach (PcrValue p in bank.OrderBy(p => p.Index))
            {
                writer.WriteString(p.Index.ToString(CultureInfo.InvariantCulture), Convert.ToHexStringLower(p.Digest.Span));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    [DoesNotReturn]
    public static void Fail(string path, string problem) => throw new FormatException($"{path}: {problem}.");
}
