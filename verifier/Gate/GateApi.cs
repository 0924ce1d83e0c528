using System.Text;
using Attest.Verifier.Gate;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Attest.Verifier.Cli.Gate;

/// <summary>The gate's HTTP surface: the Nix binary-cache protocol (<c>nix-cache-info</c>, narinfos, NARs) over a <see cref="NixCacheGate"/>.</summary>
internal static class GateApi
{
    public const string ReasonHeader = "X-Attest-Reason";
    public const string CacheInfoContentType = "text/x-nix-cache-info";
    public const string NarInfoContentType = "text/x-nix-narinfo";
    public const string NarContentType = "application/x-nix-nar";
    private const int MaxReasonHeaderLength = 2048;
    private static readonly string[] _getAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapGateApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/nix-cache-info", _getAndHead, (NixCacheGate gate) => TypedResults.Text(gate.CacheInfo, CacheInfoContentType));
        app.MapMethods("/{hashPart}.narinfo", _getAndHead, GetNarInfoAsync);
        app.MapMethods("/nar/{file}", _getAndHead, GetNarAsync);

        // Build logs are not part of what the gate vouches for.
        app.MapMethods("/log/{**rest}", _getAndHead, () => TypedResults.NotFound());
        app.MapFallback((HttpContext context, ILogger<NixCacheGate> logger) =>
        {
            GateLog.NotFound(logger, context.Request.Path.Value ?? string.Empty);
            return TypedResults.NotFound();
        });
        return app;
    }

    public static async Task<Results<ContentHttpResult, NotFound, ProblemHttpResult>> GetNarInfoAsync(
        string hashPart, HttpContext context, NixCacheGate gate, ILogger<NixCacheGate> logger, CancellationToken cancellationToken)
    {
        NarInfoOutcome outcome = await gate.GetNarInfoAsync(hashPart, cancellationToken);
        switch (outcome.Status)
        {
            case NarInfoStatus.Served:
                GateLog.NarInfoServed(logger, outcome.StorePath.FullPath);
                return TypedResults.Text(outcome.NarInfo, NarInfoContentType);
            case NarInfoStatus.Refused:
                GateLog.NarInfoRefused(logger, outcome.StorePath.FullPath, outcome.Decision!.Verdict?.ExpectedNarHash.ToString() ?? "?", outcome.Reason!);
                context.Response.Headers[ReasonHeader] = HeaderSafe(outcome.Reason!);
                return TypedResults.NotFound();
            case NarInfoStatus.BadUpstream:
                GateLog.BadUpstreamNarInfo(logger, hashPart, outcome.Reason!);
                return TypedResults.Problem(outcome.Reason, statusCode: StatusCodes.Status502BadGateway, title: "The upstream cache's answer is unusable");
            default:
                context.Response.Headers[ReasonHeader] = HeaderSafe(outcome.Reason!);
                return TypedResults.NotFound();
        }
    }

    public static async Task<Results<PushStreamHttpResult, Ok, NotFound, ProblemHttpResult>> GetNarAsync(
        string file, HttpContext context, NixCacheGate gate, ILogger<NixCacheGate> logger, CancellationToken cancellationToken)
    {
        string url = "nar/" + file;
        NarOutcome outcome = await gate.OpenNarAsync(url, cancellationToken);
        switch (outcome.Status)
        {
            case NarStatus.Served:
                UpstreamNar nar = outcome.Nar!;
                context.Response.RegisterForDisposeAsync(nar);
                context.Response.ContentLength = nar.Length;
                if (HttpMethods.IsHead(context.Request.Method))
                {
                    return TypedResults.Ok();
                }

                // Copied unchanged as it arrives: the NAR is never held in memory whole.
                return TypedResults.Stream(body => nar.Content.CopyToAsync(body, 64 * 1024, context.RequestAborted), NarContentType);
            case NarStatus.BadUpstream:
                GateLog.BadUpstreamNar(logger, url, outcome.Reason!);
                return TypedResults.Problem(outcome.Reason, statusCode: StatusCodes.Status502BadGateway, title: "The upstream cache failed");
            default:
                GateLog.NarRefused(logger, url, outcome.Reason!);
                context.Response.Headers[ReasonHeader] = HeaderSafe(outcome.Reason!);
                return TypedResults.NotFound();
        }
    }

    /// <summary>Header values are visible ASCII; anything else becomes '?', and long reasons are cut.</summary>
    private static string HeaderSafe(string reason)
    {
        var text = new StringBuilder(Math.Min(reason.Length, MaxReasonHeaderLength));
        foreach (char c in reason.AsSpan(0, Math.Min(reason.Length, MaxReasonHeaderLength)))
        {
            text.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return text.ToString();
    }
}
