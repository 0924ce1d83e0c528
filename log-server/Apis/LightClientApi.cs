using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Attest.Log.Engine;
using Attest.Log.Storage;
using Attest.Transparency.Merkle;

namespace Attest.LogServer.Apis;

/// <summary>JSON for light clients: entries, inclusion and consistency proofs, and search by store path, derivation, NAR hash or builder.</summary>
internal static class LightClientApi
{
    /// <summary>Most entries one search answer carries; use <c>after</c> to page.</summary>
    public const int MaxSearchResults = 100;

    public static IEndpointRouteBuilder MapLightClientApi(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1");
        v1.MapGet("/entries/{index}", GetEntry);
        v1.MapGet("/proof/inclusion", GetInclusionProofAsync);
        v1.MapGet("/proof/consistency", GetConsistencyProofAsync);
        v1.MapGet("/search", Search);
        return routes;
    }

    private static IResult GetEntry(HttpContext context, LogEngine engine, string index)
    {
        if (!long.TryParse(index, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i))
        {
            return Problems.BadParameter(context, "index", $"The index '{index}' is not a non-negative decimal integer.");
        }

        var document = engine.GetEntry(i);
        if (document is null)
        {
            return Problems.NotFound(context, $"There is no entry {i}; the log has {engine.DurableHead.Size} entries.");
        }

        return Json(writer =>
        {
            writer.WriteNumber("index", i);
            writer.WriteString("leafHash", TreeHasher.HashLeaf(document).ToBase64());
            writer.WritePropertyName("document");
            writer.WriteRawValue(document, skipInputValidation: true);
        });
    }

    private static async Task<IResult> GetInclusionProofAsync(HttpContext context, LogEngine engine, string? index, string? treeSize)
    {
        var signedSize = engine.CheckpointSize;
        if (!TryParseSize(index, out var i) || i < 0)
        {
            return Problems.BadParameter(context, "index", "index must be a non-negative decimal integer.");
        }

        long size = signedSize;
        if (treeSize is not null && !TryParseSize(treeSize, out size))
        {
            return Problems.BadParameter(context, "treeSize", "treeSize must be a non-negative decimal integer.");
        }

        if (size > signedSize)
        {
            return Problems.BadParameter(context, "treeSize", $"treeSize {size} is beyond the latest signed checkpoint ({signedSize}).");
        }

        if (i >= size)
        {
            return Problems.BadParameter(context, "index", $"index {i} is not below treeSize {size}.");
        }

        var started = Stopwatch.GetTimestamp();
        var hashes = await engine.InclusionProofAsync(i, size, context.RequestAborted);
        var root = await engine.RootAtAsync(size, context.RequestAborted);
        engine.Metrics.ObserveInclusionProof(Stopwatch.GetElapsedTime(started));
        return Json(writer =>
        {
            writer.WriteNumber("index", i);
            writer.WriteNumber("treeSize", size);
            writer.WriteString("rootHash", root.ToBase64());
            WriteHashes(writer, hashes);
        });
    }

    private static async Task<IResult> GetConsistencyProofAsync(HttpContext context, LogEngine engine, string? from, string? to)
    {
        var signedSize = engine.CheckpointSize;
        if (!TryParseSize(from, out var m))
        {
            return Problems.BadParameter(context, "from", "from must be a non-negative decimal integer.");
        }

        long n = signedSize;
        if (to is not null && !TryParseSize(to, out n))
        {
            return Problems.BadParameter(context, "to", "to must be a non-negative decimal integer.");
        }

        if (n > signedSize)
        {
            return Problems.BadParameter(context, "to", $"to {n} is beyond the latest signed checkpoint ({signedSize}).");
        }

        if (m > n)
        {
            return Problems.BadParameter(context, "from", $"from {m} is larger than to {n}.");
        }

        var hashes = await engine.ConsistencyProofAsync(m, n, context.RequestAborted);
        return Json(writer =>
        {
            writer.WriteNumber("from", m);
            writer.WriteNumber("to", n);
            WriteHashes(writer, hashes);
        });
    }

    private static IResult Search(
        HttpContext context, LogEngine engine, string? storePath, string? drvPath, string? narHash, string? builder, string? registry, string? after, string? limit)
    {
        // `registry` is a builder key id: the registry changes naming that builder (the registry list walked, the
        // builder index probed), so a verifier need not page through a busy builder's attestations to find them.
        (SearchKind Kind, string Name, string? Value)[] given =
        [
            (SearchKind.StorePath, "storePath", storePath),
            (SearchKind.DrvPath, "drvPath", drvPath),
            (SearchKind.NarHash, "narHash", narHash),
            (SearchKind.Builder, "builder", builder),
            (SearchKind.Registry, "registry", registry),
        ];
        var chosen = given.Where(g => !string.IsNullOrEmpty(g.Value)).ToArray();
        if (chosen.Length != 1)
        {
            return Problems.BadParameter(context, "storePath", "Give exactly one of storePath, drvPath, narHash, builder or registry.");
        }

        var (kind, name, value) = chosen[0];
        if (System.Text.Encoding.UTF8.GetByteCount(value!) > LogStore.MaxSearchValueBytes)
        {
            return Problems.BadParameter(context, name, $"{name} is longer than {LogStore.MaxSearchValueBytes} bytes.");
        }

        long afterIndex = -1;
        if (after is not null && !TryParseSize(after, out afterIndex))
        {
            return Problems.BadParameter(context, "after", "after must be a non-negative decimal integer (the last index of the previous page).");
        }

        var count = MaxSearchResults;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxSearchResults))
        {
            return Problems.BadParameter(context, "limit", $"limit must be between 1 and {MaxSearchResults}.");
        }

        var indexes = kind == SearchKind.Registry
            ? engine.Store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, value!, afterIndex, count)
            : engine.Store.Search(kind, value!, afterIndex, count);
        return Json(writer =>
        {
            writer.WriteStartArray("entries");
            foreach (var index in indexes)
            {
                var document = engine.Store.GetEntry(index);
                if (document is null)
                {
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteNumber("index", index);
                writer.WritePropertyName("document");
                writer.WriteRawValue(document, skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (indexes.Count == count)
            {
                writer.WriteNumber("next", indexes[^1]);
            }
        });
    }

    private static bool TryParseSize(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 19 } && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static void WriteHashes(Utf8JsonWriter writer, IReadOnlyList<MerkleHash> hashes)
    {
        writer.WriteStartArray("hashes");
        foreach (var hash in hashes)
        {
            writer.WriteStringValue(hash.ToBase64());
        }

        writer.WriteEndArray();
    }

    private static IResult Json(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }
}
