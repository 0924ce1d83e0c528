using Attest.Log.Engine;
using Attest.Transparency.Tiles;

namespace Attest.LogServer.Apis;

/// <summary>c2sp.org/tlog-tiles: hash tiles and entry bundles; full ones immutable, partial ones short-lived.</summary>
internal static class TileApi
{
    /// <summary>Full tiles never change (tlog-tiles: "full tiles are immutable").</summary>
    public const string FullTileCacheControl = "public, max-age=31536000, immutable";

    /// <summary>A partial tile is replaced by a wider one as the log grows.</summary>
    public const string PartialTileCacheControl = "public, max-age=1";

    public static IEndpointRouteBuilder MapTileApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/tile/{**rest}", GetTile);
        return routes;
    }

    private static IResult GetTile(HttpContext context, LogEngine engine, string rest)
    {
        if (!TilePath.TryParse("tile/" + rest, out var path))
        {
            return Problems.NotFound(context, $"'tile/{rest}' is not a tile path.");
        }

        var bytes = engine.ReadTile(path);
        if (bytes is null)
        {
            return Problems.NotFound(context, $"The log has no tile '{path}' yet.");
        }

        context.Response.Headers.CacheControl = path.IsPartial ? PartialTileCacheControl : FullTileCacheControl;
        return Results.Bytes(bytes, "application/octet-stream");
    }
}
