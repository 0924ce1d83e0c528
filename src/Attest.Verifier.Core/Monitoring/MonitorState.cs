using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tiles;

namespace Attest.Verifier.Monitoring;

/// <summary>
/// What a monitor keeps about one log between runs: the newest verified checkpoint (the signed note), the right-edge
/// tiles and partial entry bundle needed to resume re-deriving the tree, and a small index store path → entry indexes
/// of the attestations it verified. Serialised as one JSON document (see docs/monitor.md).
/// </summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="Checkpoint">The newest verified checkpoint, or null before the first verified one.</param>
/// <param name="RightEdgeTiles">The bytes of <see cref="TileLayout.RightEdgeTiles"/> at the checkpoint's size, in that order.</param>
/// <param name="PartialBundle">The partial entry bundle's bytes (empty when the size is a multiple of 256).</param>
/// <param name="Index">Store path → the indexes of the verified entries that attest it, ascending.</param>
public sealed record MonitorState(
    string Origin,
    SignedCheckpoint? Checkpoint,
    IReadOnlyList<ReadOnlyMemory<byte>> RightEdgeTiles,
    ReadOnlyMemory<byte> PartialBundle,
    IReadOnlyDictionary<string, long[]> Index)
{
    /// <summary>Largest state file read, in bytes.</summary>
    public const int MaxFileBytes = 64 << 20;

    /// <summary>Most store paths indexed; beyond it new paths are not indexed (the count is reported).</summary>
    public const int MaxIndexedPaths = 200_000;

    /// <summary>Most indexes kept per store path.</summary>
    public const int MaxIndexesPerPath = 64;

    private const int FormatVersion = 1;

    /// <summary>Gets the verified tree size (0 before the first checkpoint).</summary>
    public long TreeSize => Checkpoint is null ? 0 : (long)Checkpoint.Checkpoint.TreeSize;

    /// <summary>Gets the verified root (the empty-tree root before the first checkpoint).</summary>
    public MerkleHash Root => Checkpoint?.Checkpoint.RootHash ?? TreeHasher.EmptyRoot;

    /// <summary>The state of a log not yet seen.</summary>
    /// <param name="origin">The log's origin.</param>
    /// <returns>The empty state.</returns>
    public static MonitorState Empty(string origin) => new(origin, null, [], ReadOnlyMemory<byte>.Empty, new Dictionary<string, long[]>(StringComparer.Ordinal));

    /// <summary>Serialises the state as UTF-8 JSON.</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", FormatVersion);
            w.WriteString("origin", Origin);
            if (Checkpoint is null)
            {
                w.WriteNull("checkpoint");
            }
            else
            {
                w.WriteString("checkpoint", Checkpoint.ToString());
            }

            w.WriteStartArray("rightEdgeTiles");
            foreach (var tile in RightEdgeTiles)
            {
                w.WriteBase64StringValue(tile.Span);
            }

            w.WriteEndArray();
            w.WriteBase64String("partialBundle", PartialBundle.Span);
            w.WriteStartObject("index");
            foreach (var (path, indexes) in Index.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteStartArray(path);
                foreach (var i in indexes)
                {
                    w.WriteNumberValue(i);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a state file.</summary>
    /// <param name="json">The file bytes.</param>
    /// <returns>The state.</returns>
    /// <exception cref="FormatException">The file is malformed or inconsistent; the message says what and where.</exception>
    public static MonitorState Parse(ReadOnlySpan<byte> json) =>
        TryParse(json, out var state, out var error) ? state : throw new FormatException($"Monitor state file: {error}");

    /// <summary>Parses a state file, checking every field: the checkpoint must parse, the right-edge tiles must be exactly those of its size, and the partial bundle must hold exactly the entries past the last full bundle.</summary>
    /// <param name="json">The file bytes.</param>
    /// <param name="state">The state on success.</param>
    /// <param name="error">What was wrong and where, on failure.</param>
    /// <returns>Whether the file is a valid state.</returns>
    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out MonitorState? state, [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (json.Length > MaxFileBytes)
        {
            error = $"the file is {json.Length} bytes; the limit is {MaxFileBytes}.";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            using var document = JsonDocument.ParseValue(ref reader);
            return TryRead(document.RootElement, out state, out error);
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json validates string contents lazily: invalid UTF-8 surfaces when a string is read.
            error = $"a string is not valid UTF-8: {e.Message}";
            return false;
        }
    }

    private static bool TryRead(JsonElement root, [NotNullWhen(true)] out MonitorState? state, [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "$ must be an object.";
            return false;
        }

        foreach (var member in root.EnumerateObject())
        {
            if (member.Name is not ("version" or "origin" or "checkpoint" or "rightEdgeTiles" or "partialBundle" or "index"))
            {
                error = $"$.{member.Name} is not a known member.";
                return false;
            }
        }

        if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != FormatVersion)
        {
            error = $"$.version must be {FormatVersion}.";
            return false;
        }

        if (!root.TryGetProperty("origin", out var originElement) || originElement.ValueKind != JsonValueKind.String || originElement.GetString() is not { Length: > 0 } origin)
        {
            error = "$.origin must be a non-empty string.";
            return false;
        }

        SignedCheckpoint? checkpoint = null;
        if (!root.TryGetProperty("checkpoint", out var checkpointElement) || checkpointElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            error = "$.checkpoint must be a string or null.";
            return false;
        }

        if (checkpointElement.ValueKind == JsonValueKind.String)
        {
            if (!SignedCheckpoint.TryParse(System.Text.Encoding.UTF8.GetBytes(checkpointElement.GetString()!), out checkpoint, out var checkpointError))
            {
                error = $"$.checkpoint is not a signed checkpoint: {checkpointError}";
                return false;
            }

            if (!string.Equals(checkpoint.Checkpoint.Origin, origin, StringComparison.Ordinal))
            {
                error = $"$.checkpoint is for origin \"{checkpoint.Checkpoint.Origin}\", not \"{origin}\".";
                return false;
            }

            if (checkpoint.Checkpoint.TreeSize > TilePath.MaxTreeSize)
            {
                error = $"$.checkpoint has size {checkpoint.Checkpoint.TreeSize}, beyond a tiled log's limit.";
                return false;
            }
        }

        var size = checkpoint is null ? 0 : (long)checkpoint.Checkpoint.TreeSize;
        var paths = TileLayout.RightEdgeTiles(size);
        if (!root.TryGetProperty("rightEdgeTiles", out var tilesElement) || tilesElement.ValueKind != JsonValueKind.Array || tilesElement.GetArrayLength() != paths.Length)
        {
            error = $"$.rightEdgeTiles must be an array of the {paths.Length} right-edge tiles of size {size}.";
            return false;
        }

        var tiles = new ReadOnlyMemory<byte>[paths.Length];
        var i = 0;
        foreach (var tile in tilesElement.EnumerateArray())
        {
            if (tile.ValueKind != JsonValueKind.String || !tile.TryGetBytesFromBase64(out var bytes) || bytes.Length != paths[i].HashTileLength)
            {
                error = $"$.rightEdgeTiles[{i}] must be base64 of the {paths[i].HashTileLength} bytes of tile {paths[i]}.";
                return false;
            }

            tiles[i++] = bytes;
        }

        var bundleWidth = (int)(size & (TilePath.FullWidth - 1));
        if (!root.TryGetProperty("partialBundle", out var bundleElement) || bundleElement.ValueKind != JsonValueKind.String || !bundleElement.TryGetBytesFromBase64(out var bundle))
        {
            error = "$.partialBundle must be a base64 string.";
            return false;
        }

        if (bundleWidth == 0 ? bundle.Length != 0 : !EntryBundle.TryParse(bundle, bundleWidth, out _, out _))
        {
            error = $"$.partialBundle must hold exactly the {bundleWidth} entries past the last full bundle.";
            return false;
        }

        if (!root.TryGetProperty("index", out var indexElement) || indexElement.ValueKind != JsonValueKind.Object)
        {
            error = "$.index must be an object.";
            return false;
        }

        var index = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var member in indexElement.EnumerateObject())
        {
            if (index.Count >= MaxIndexedPaths)
            {
                error = $"$.index has more than {MaxIndexedPaths} store paths.";
                return false;
            }

            if (member.Value.ValueKind != JsonValueKind.Array || member.Value.GetArrayLength() is 0 or > MaxIndexesPerPath)
            {
                error = $"$.index[\"{member.Name}\"] must be an array of 1 to {MaxIndexesPerPath} entry indexes.";
                return false;
            }

            var indexes = new long[member.Value.GetArrayLength()];
            var j = 0;
            foreach (var n in member.Value.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.Number || !n.TryGetInt64(out var value) || value < 0 || value >= size || (j > 0 && value <= indexes[j - 1]))
                {
                    error = $"$.index[\"{member.Name}\"][{j}] must be an entry index below {size}, ascending.";
                    return false;
                }

                indexes[j++] = value;
            }

            if (!index.TryAdd(member.Name, indexes))
            {
                error = $"$.index has \"{member.Name}\" twice.";
                return false;
            }
        }

        state = new MonitorState(origin, checkpoint, tiles, bundle, index);
        error = null;
        return true;
    }
}
