using Attest.Log.Engine;

namespace Attest.LogServer.Apis;

/// <summary>The checkpoint, the log key, health and metrics.</summary>
internal static class OperationsApi
{
    /// <summary>How long clients and caches may keep the checkpoint (it changes with every batch).</summary>
    public const string CheckpointCacheControl = "public, max-age=1";

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/checkpoint", GetCheckpoint);
        routes.MapGet("/v1/log/key", (LogEngine engine) => Results.Text(engine.Verifier.Encode() + "\n", "text/plain; charset=utf-8"));
        routes.MapGet("/health", GetHealth);
        routes.MapGet("/metrics", (LogEngine engine) => Results.Text(engine.Metrics.WritePrometheus(), "text/plain; version=0.0.4; charset=utf-8"));
        return routes;
    }

    private static IResult GetCheckpoint(HttpContext context, LogEngine engine)
    {
        context.Response.Headers.CacheControl = CheckpointCacheControl;
        return Results.Bytes(engine.Checkpoint.ToBytes(), "text/plain; charset=utf-8");
    }

    private static IResult GetHealth(LogEngine engine) =>
        Results.Ok(new HealthResponse("ok", engine.DurableHead.Size, engine.CheckpointSize, engine.Sequencer.QueueDepth));

    internal sealed record HealthResponse(string Status, long TreeSize, long CheckpointSize, int QueueDepth);
}
