using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Attest.Log.Admission;
using Attest.Log.Engine;
using Attest.Transparency.Bundles;
using Attest.Transparency.Merkle;

namespace Attest.LogServer.Apis;

/// <summary><c>POST /v1/entries</c>: admission, sequencing, and optionally waiting for a signed checkpoint with a tlog-proof bundle.</summary>
internal static class WriteApi
{
    /// <summary>Longest a <c>?wait=checkpoint</c> request waits for the checkpoint before answering 504.</summary>
    public static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapWriteApi(this IEndpointRouteBuilder routes)
    {
        // A plain request delegate with its services resolved once: this is the log's hot path (one request per
        // entry), so it skips per-request parameter binding and writes its small JSON answer directly.
        var services = routes.ServiceProvider;
        var engine = services.GetRequiredService<LogEngine>();
        var gate = services.GetRequiredService<SubmissionGate>();
        var logger = services.GetRequiredService<ILogger<SubmissionGate>>();
        routes.MapPost("/v1/entries", context => PostEntryAsync(context, engine, gate, logger));
        return routes;
    }

    private static async Task PostEntryAsync(HttpContext context, LogEngine engine, SubmissionGate gate, ILogger logger)
    {
        string? wait = context.Request.Query.TryGetValue("wait", out var waitValues) ? waitValues.ToString() : null;
        if (wait is not null && wait != "checkpoint")
        {
            await Problems.BadParameter(context, "wait", "wait must be 'checkpoint' when given.").ExecuteAsync(context);
            return;
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        SubmissionOutcome outcome;
        if (body is not { } rented)
        {
            outcome = SubmissionOutcome.TooLarge();
        }
        else
        {
            try
            {
                // The gate parses the body before its first await and keeps only the canonical copy.
                outcome = await gate.SubmitAsync(rented.Buffer.AsMemory(0, rented.Length), context.RequestAborted);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented.Buffer);
            }
        }

        if (!outcome.IsAccepted)
        {
            LogMessages.Rejected(logger, outcome.HttpStatus, outcome.Reason);
            await Problems.Create(context, outcome.HttpStatus, outcome.Title!, outcome.Detail!, outcome.Field, outcome.RetryAfter,
                outcome.Limit is { } limit ? new Dictionary<string, object?> { ["limit"] = limit } : null).ExecuteAsync(context);
            return;
        }

        string? proof = null;
        if (wait == "checkpoint")
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(CheckpointWait);
            try
            {
                var checkpoint = await engine.WaitForCheckpointAsync(outcome.Index + 1, timeout.Token);
                var hashes = await engine.InclusionProofAsync(outcome.Index, (long)checkpoint.Checkpoint.TreeSize, context.RequestAborted);
                proof = new TlogProof((ulong)outcome.Index, hashes, checkpoint).ToString();
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                await Problems.Create(context, StatusCodes.Status504GatewayTimeout, "Checkpoint not yet signed",
                    $"Entry {outcome.Index} is durable but no signed checkpoint covered it within {CheckpointWait.TotalSeconds} s.",
                    extensions: new Dictionary<string, object?> { ["index"] = outcome.Index }).ExecuteAsync(context);
                return;
            }
        }

        var response = context.Response;
        response.StatusCode = outcome.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.Location = $"/v1/entries/{outcome.Index}";
        if (proof is null)
        {
            // {"index":N,"leafHash":"<44 base64 chars>","duplicate":false}: at most 96 bytes.
            var buffer = new byte[128];
            var length = WriteAcknowledgement(buffer, outcome);
            response.ContentLength = length;
            await response.Body.WriteAsync(buffer.AsMemory(0, length), context.RequestAborted);
            return;
        }

        var json = new ArrayBufferWriter<byte>(proof.Length + 256);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", outcome.Index);
            writer.WriteString("leafHash", outcome.LeafHash.ToBase64());
            writer.WriteBoolean("duplicate", outcome.Duplicate);
            writer.WriteString("proof", proof);
            writer.WriteEndObject();
        }

        response.ContentLength = json.WrittenCount;
        await response.Body.WriteAsync(json.WrittenMemory, context.RequestAborted);
    }

    /// <summary>Formats <c>{"index":N,"leafHash":"...","duplicate":bool}</c> (the same JSON as the proof form, without its member).</summary>
    internal static int WriteAcknowledgement(Span<byte> buffer, SubmissionOutcome outcome)
    {
        var at = 0;
        Append(buffer, ref at, "{\"index\":"u8);
        if (!Utf8Formatter.TryFormat(outcome.Index, buffer[at..], out var written))
        {
            throw new InvalidOperationException("acknowledgement buffer too small");
        }

        at += written;
        Append(buffer, ref at, ",\"leafHash\":\""u8);
        Span<byte> leafHash = stackalloc byte[MerkleHash.Size];
        outcome.LeafHash.CopyTo(leafHash);
        if (Base64.EncodeToUtf8(leafHash, buffer[at..], out _, out written) != OperationStatus.Done)
        {
            throw new InvalidOperationException("acknowledgement buffer too small");
        }

        at += written;
        Append(buffer, ref at, outcome.Duplicate ? "\",\"duplicate\":true}"u8 : "\",\"duplicate\":false}"u8);
        return at;
    }

    private static void Append(Span<byte> buffer, ref int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(buffer[at..]);
        at += text.Length;
    }

    /// <summary>
    /// Reads the body into a pooled buffer (returned by the caller), or null when it is larger than the entry limit
    /// (nothing beyond the limit is buffered).
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var max = SubmissionGate.MaxEntryBytes;
        if (request.ContentLength > max)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is { } known ? (int)known + 1 : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > max)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
