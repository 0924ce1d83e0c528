using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Verifier.Logs;

namespace Attest.Verifier.Bundles;

/// <summary>
/// A saved proof bundle for offline verification (docs/verifier.md, "Offline bundles"): the signed checkpoints, and
/// for each entry its bytes and a c2sp.org/tlog-proof bundle to one of those checkpoints: the attestations, and the
/// builder-registry entries (AK bindings, revocations) their TPM evidence is judged by.
/// </summary>
/// <remarks>
/// The bundle is not trusted: parsing only checks its shape and limits; each entry is then verified like an online
/// one (inclusion proof, checkpoint signatures and witness quorum under the policy, DSSE signature; registry entries
/// by the admin key the policy pins).
/// </remarks>
public sealed class OfflineBundle : IEvidenceSource, IRegistrySource
{
    /// <summary>The value of the <c>format</c> member.</summary>
    public const string Format = "attest-verify-bundle/v1";

    /// <summary>Largest bundle accepted, in bytes.</summary>
    public const int MaxBundleBytes = 64 << 20;

    /// <summary>Most entries one bundle may carry.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>Most checkpoints one bundle may carry.</summary>
    public const int MaxCheckpoints = 256;

    /// <summary>Most registry entries one bundle may carry.</summary>
    public const int MaxRegistryEntries = 10_000;

    /// <summary>Largest entry, in bytes (the log's limit).</summary>
    public const int MaxEntryBytes = ushort.MaxValue;

    private readonly Dictionary<StorePath, List<LogEvidence>> _byPath;

    private OfflineBundle(
        IReadOnlyList<SignedCheckpoint> checkpoints, IReadOnlyList<LogEvidence> entries, IReadOnlyList<LogEvidence> registry, Dictionary<StorePath, List<LogEvidence>> byPath)
    {
        Checkpoints = checkpoints;
        Entries = entries;
        Registry = registry;
        _byPath = byPath;
    }

    /// <summary>Gets the checkpoints the entries are proved against.</summary>
    public IReadOnlyList<SignedCheckpoint> Checkpoints { get; }

    /// <summary>Gets the entries with their proofs.</summary>
    public IReadOnlyList<LogEvidence> Entries { get; }

    /// <summary>Gets the builder-registry entries with their proofs.</summary>
    public IReadOnlyList<LogEvidence> Registry { get; }

    /// <summary>Builds a bundle from gathered evidence (duplicates by origin and index are kept once).</summary>
    /// <param name="evidence">The entries.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentException">An entry is not an attestation document, or there are too many.</exception>
    public static OfflineBundle Create(IEnumerable<LogEvidence> evidence) => Create(evidence, []);

    /// <summary>Builds a bundle from gathered evidence and registry entries (duplicates by origin and index are kept once).</summary>
    /// <param name="evidence">The attestation entries.</param>
    /// <param name="registry">The registry entries their TPM evidence is judged by.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="ArgumentException">An entry is not an attestation document, a registry entry not a registry change, or there are too many.</exception>
    public static OfflineBundle Create(IEnumerable<LogEvidence> evidence, IEnumerable<LogEvidence> registry)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(registry);
        var seen = new HashSet<(string, ulong)>();
        var checkpoints = new List<SignedCheckpoint>();
        var checkpointText = new HashSet<string>(StringComparer.Ordinal);
        List<LogEvidence> Collect(IEnumerable<LogEvidence> items)
        {
            var kept = new List<LogEvidence>();
            foreach (LogEvidence item in items)
            {
                if (!seen.Add((item.Origin, item.Index)))
                {
                    continue;
                }

                kept.Add(item);
                if (checkpointText.Add(item.Proof.Checkpoint.ToString()))
                {
                    checkpoints.Add(item.Proof.Checkpoint);
                }
            }

            return kept;
        }

        List<LogEvidence> entries = Collect(evidence);
        List<LogEvidence> changes = Collect(registry);
        if (entries.Count > MaxEntries || changes.Count > MaxRegistryEntries || checkpoints.Count > MaxCheckpoints)
        {
            throw new ArgumentException(
                $"A bundle holds at most {MaxEntries} entries, {MaxRegistryEntries} registry entries and {MaxCheckpoints} checkpoints.", nameof(evidence));
        }

        for (int i = 0; i < changes.Count; i++)
        {
            if (LogEntries.Classify(changes[i].Entry.Span) != LogEntryKind.RegistryChange)
            {
                throw new ArgumentException($"Registry entry {i} ({changes[i].Origin}#{changes[i].Index}) is not a registry change.", nameof(registry));
            }
        }

        return new OfflineBundle(checkpoints, entries, changes, Index(entries, (i, e) => new ArgumentException($"Entry {i}: {e}", nameof(evidence))));
    }

    /// <summary>Writes the bundle as UTF-8 JSON.</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteStartArray("checkpoints");
            foreach (SignedCheckpoint checkpoint in Checkpoints)
            {
                writer.WriteStringValue(checkpoint.ToString());
            }

            writer.WriteEndArray();
            WriteEntries(writer, "entries", Entries);
            if (Registry.Count > 0)
            {
                WriteEntries(writer, "registry", Registry);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a bundle.</summary>
    /// <param name="utf8Json">The bundle bytes.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="FormatException">The bundle is malformed; the message names the member.</exception>
    public static OfflineBundle Parse(ReadOnlySpan<byte> utf8Json) =>
        TryParse(utf8Json, out OfflineBundle? bundle, out string? error) ? bundle : throw new FormatException(error);

    /// <summary>Parses a bundle, reporting what is wrong instead of throwing.</summary>
    /// <param name="utf8Json">The bundle bytes.</param>
    /// <param name="bundle">The bundle on success.</param>
    /// <param name="error">What is wrong and where, on failure.</param>
    /// <returns>Whether the bundle is well formed.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out OfflineBundle? bundle, [NotNullWhen(false)] out string? error)
    {
        bundle = null;
        if (utf8Json.Length > MaxBundleBytes)
        {
            error = $"$: the bundle is {utf8Json.Length} bytes; the limit is {MaxBundleBytes}";
            return false;
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            error = "$: the bundle is not valid UTF-8";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 4 });
            using var document = JsonDocument.ParseValue(ref reader);
            bundle = ParseRoot(document.RootElement);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"$: not valid JSON: {e.Message}";
            return false;
        }
        catch (BundleFormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<LogEvidence>> FindAsync(StorePath storePath, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LogEvidence>>(_byPath.TryGetValue(storePath, out List<LogEvidence>? list) ? list : []);

    /// <inheritdoc/>
    /// <remarks>Returns every registry entry of the log; the verifier keeps those that verify and name the builder.</remarks>
    public Task<IReadOnlyList<LogEvidence>> FindRegistryChangesAsync(string origin, string builderKeyId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LogEvidence>>([.. Registry.Where(r => string.Equals(r.Origin, origin, StringComparison.Ordinal))]);

    private static void WriteEntries(Utf8JsonWriter writer, string name, IReadOnlyList<LogEvidence> entries)
    {
        writer.WriteStartArray(name);
        foreach (LogEvidence entry in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("origin", entry.Origin);
            writer.WriteNumber("index", entry.Index);
            writer.WriteBase64String("entry", entry.Entry.Span);
            writer.WriteString("proof", entry.Proof.ToString());
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static OfflineBundle ParseRoot(JsonElement root)
    {
        RequireMembers(root, "$", ["format", "checkpoints", "entries"], "registry");
        if (root.GetProperty("format").ValueKind != JsonValueKind.String || root.GetProperty("format").GetString() != Format)
        {
            throw new BundleFormatException($"$.format: expected \"{Format}\"");
        }

        JsonElement checkpointsElement = Array(root, "$", "checkpoints", MaxCheckpoints);
        var checkpoints = new List<SignedCheckpoint>();
        var checkpointText = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (JsonElement item in checkpointsElement.EnumerateArray())
        {
            string path = $"$.checkpoints[{i++}]";
            string text = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new BundleFormatException($"{path}: expected a string");
            if (!SignedCheckpoint.TryParse(Encoding.UTF8.GetBytes(text), out SignedCheckpoint? checkpoint, out string? error))
            {
                throw new BundleFormatException($"{path}: not a signed checkpoint: {error}");
            }

            if (!checkpointText.Add(checkpoint.ToString()))
            {
                throw new BundleFormatException($"{path}: the checkpoint appears twice");
            }

            checkpoints.Add(checkpoint);
        }

        var seen = new HashSet<(string, ulong)>();
        List<LogEvidence> entries = ReadEntries(root, "entries", MaxEntries, checkpointText, seen);
        List<LogEvidence> registry = root.TryGetProperty("registry", out _) ? ReadEntries(root, "registry", MaxRegistryEntries, checkpointText, seen) : [];
        for (int n = 0; n < registry.Count; n++)
        {
            if (LogEntries.Classify(registry[n].Entry.Span) != LogEntryKind.RegistryChange)
            {
                throw new BundleFormatException($"$.registry[{n}].entry: not a builder-registry change");
            }
        }

        return new OfflineBundle(checkpoints, entries, registry, Index(entries, (n, e) => new BundleFormatException($"$.entries[{n}].entry: {e}")));
    }

    private static List<LogEvidence> ReadEntries(JsonElement root, string name, int max, HashSet<string> checkpointText, HashSet<(string, ulong)> seen)
    {
        JsonElement entriesElement = Array(root, "$", name, max);
        var entries = new List<LogEvidence>(entriesElement.GetArrayLength());
        int i = 0;
        foreach (JsonElement item in entriesElement.EnumerateArray())
        {
            string path = $"$.{name}[{i++}]";
            RequireMembers(item, path, ["origin", "index", "entry", "proof"]);
            string origin = String(item, path, "origin");
            if (!item.GetProperty("index").TryGetUInt64(out ulong index))
            {
                throw new BundleFormatException($"{path}.index: expected a non-negative integer");
            }

            JsonElement entryElement = item.GetProperty("entry");
            if (entryElement.ValueKind != JsonValueKind.String || !entryElement.TryGetBytesFromBase64(out byte[]? entry) || entry.Length > MaxEntryBytes)
            {
                throw new BundleFormatException($"{path}.entry: expected standard base64 of at most {MaxEntryBytes} bytes");
            }

            string proofText = String(item, path, "proof");
            if (!TlogProof.TryParse(Encoding.UTF8.GetBytes(proofText), out TlogProof? proof, out string? proofError))
            {
                throw new BundleFormatException($"{path}.proof: not a c2sp.org/tlog-proof: {proofError}");
            }

            if (proof.Index != index || !string.Equals(proof.Checkpoint.Checkpoint.Origin, origin, StringComparison.Ordinal))
            {
                throw new BundleFormatException($"{path}.proof: the proof is for {proof.Checkpoint.Checkpoint.Origin}#{proof.Index}, not {origin}#{index}");
            }

            if (!checkpointText.Contains(proof.Checkpoint.ToString()))
            {
                throw new BundleFormatException($"{path}.proof: its checkpoint is not among $.checkpoints");
            }

            if (!seen.Add((origin, index)))
            {
                throw new BundleFormatException($"{path}: {origin}#{index} appears twice");
            }

            entries.Add(new LogEvidence(origin, index, entry, proof));
        }

        return entries;
    }

    private static Dictionary<StorePath, List<LogEvidence>> Index(List<LogEvidence> entries, Func<int, string, Exception> fail)
    {
        var byPath = new Dictionary<StorePath, List<LogEvidence>>();
        for (int n = 0; n < entries.Count; n++)
        {
            if (!AttestationDocument.TryParse(entries[n].Entry.Span, out AttestationDocument? document, out var error))
            {
                throw fail(n, $"not an attestation document: {error}");
            }

            foreach (StorePath path in document.StorePaths.Distinct())
            {
                if (!byPath.TryGetValue(path, out List<LogEvidence>? list))
                {
                    byPath[path] = list = [];
                }

                list.Add(entries[n]);
            }
        }

        return byPath;
    }

    private static void RequireMembers(JsonElement element, string path, string[] members, params string[] optional)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new BundleFormatException($"{path}: expected an object");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (System.Array.IndexOf(members, property.Name) < 0 && System.Array.IndexOf(optional, property.Name) < 0)
            {
                throw new BundleFormatException($"{path}.{property.Name}: unknown member");
            }

            if (!seen.Add(property.Name))
            {
                throw new BundleFormatException($"{path}.{property.Name}: the member appears twice");
            }
        }

        foreach (string member in members)
        {
            if (!seen.Contains(member))
            {
                throw new BundleFormatException($"{path}.{member}: the member is required");
            }
        }
    }

    private static JsonElement Array(JsonElement element, string path, string name, int max)
    {
        JsonElement value = element.GetProperty(name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new BundleFormatException($"{path}.{name}: expected an array");
        }

        return value.GetArrayLength() <= max ? value : throw new BundleFormatException($"{path}.{name}: more than {max} items");
    }

    private static string String(JsonElement element, string path, string name)
    {
        JsonElement value = element.GetProperty(name);
        return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s
            ? s
            : throw new BundleFormatException($"{path}.{name}: expected a non-empty string");
    }

    private sealed class BundleFormatException(string message) : Exception(message);
}
