using System.Buffers;
using System.Text.Json;
using Attest.Log.Admission;
using Attest.Log.Engine;
using Attest.Transparency.Bundles;

namespace Attest.LogServer.Apis;

/// <summary><c>POST /v1/entries</c>: admission, sequencing, and optionally waiting for a signed checkpoint with a tlog-proof bundle.</summary>
internal static class WriteApi
{
    /// <summary>Longest a <c>?wait=checkpoint</c> request waits for the checkpoint before answering 504.</summary>
    public static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapWriteApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/entries", PostEntryAsync);
        return routes;
    }

    private static async Task<IResult> PostEntryAsync(HttpContext context, LogEngine engine, SubmissionGate gate, ILogger<SubmissionGate> logger, string? wait)
    {
        if (wait is not null && wait != "checkpoint")
        {
            return Problems.BadParameter(context, "wait", "wait must be 'checkpoint' when given.");
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
            return Problems.Create(context, outcome.HttpStatus, outcome.Title!, outcome.Detail!, outcome.Field, outcome.RetryAfter,
                outcome.Limit is { } limit ? new Dictionary<string, object?> { ["limit"] = limit } : null);
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
                return Problems.Create(context, StatusCodes.Status504GatewayTimeout, "Checkpoint not yet signed",
                    $"Entry {outcome.Index} is durable but no signed checkpoint covered it within {CheckpointWait.TotalSeconds} s.",
                    extensions: new Dictionary<string, object?> { ["index"] = outcome.Index });
            }
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", outcome.Index);
            writer.WriteString("leafHash", outcome.LeafHash.ToBase64());
            writer.WriteBoolean("duplicate", outcome.Duplicate);
            if (proof is not null)
            {
                writer.WriteString("proof", proof);
            }

            writer.WriteEndObject();
        }

        context.Response.Headers.Location = $"/v1/entries/{outcome.Index}";
        return Results.Text(buffer.WrittenSpan, "application/json; charset=utf-8", outcome.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);
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
