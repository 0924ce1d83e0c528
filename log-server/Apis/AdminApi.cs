using Attest.Log.Admission;
using Attest.Log.Storage;
using Attest.Provenance.Signing;

namespace Attest.LogServer.Apis;

/// <summary>
/// The admin API of a running log (the CLI cannot open the store while the server holds its lock): builder keys are
/// registered and revoked by appending admin-signed registry changes. Every request needs
/// <c>Authorization: Bearer &lt;admin token&gt;</c>, compared in fixed time.
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/v1/admin").AddEndpointFilter(RequireAdminTokenAsync);
        admin.MapGet("/builders", ListBuilders);
        admin.MapPost("/builders", AddBuilderAsync);
        admin.MapPost("/builders/{keyId}/revoke", RevokeBuilderAsync);
        routes.MapGet("/v1/log/admin-key", (BuilderAdministration builders) => Results.Text(builders.AdminKey + "\n", "text/plain; charset=utf-8"));
        return routes;
    }

    internal sealed record AddBuilderRequest(string? PublicKey, string? Operator, string? Group, string? Reason);

    internal sealed record RevokeBuilderRequest(string? Operator, string? Reason);

    internal sealed record BuilderResponse(string KeyId, string Name, string PublicKey, bool Revoked, string? Group, long? RegisteredAt, long? RevokedAt);

    internal sealed record ChangeResponse(long Index, string KeyId);

    private static async ValueTask<object?> RequireAdminTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.RequestServices.GetRequiredService<ServerKeys>();
        var logger = http.RequestServices.GetRequiredService<ILogger<ServerKeys>>();
        string header = http.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            LogMessages.AdminRefused(logger, "no bearer token");
            return Problems.Create(http, StatusCodes.Status401Unauthorized, "Admin token required", "Send Authorization: Bearer <admin token>.");
        }

        if (!keys.IsAdminToken(header.AsSpan(Scheme.Length).Trim()))
        {
            LogMessages.AdminRefused(logger, "wrong bearer token");
            return Problems.Create(http, StatusCodes.Status403Forbidden, "Admin token not accepted", "The bearer token is not this log's admin token.");
        }

        return await next(context);
    }

    private static IResult ListBuilders(BuilderAdministration builders, LogStore store) =>
        Results.Ok(builders.Registry.Builders.Values
            .OrderBy(b => b.KeyId, StringComparer.Ordinal)
            .Select(b =>
            {
                var record = store.GetBuilder(b.KeyId);
                return new BuilderResponse(b.KeyId, b.Name, b.Key.ToString(), b.IsRevoked, b.Group, record?.RegisteredAt, record?.RevokedAt);
            }));

    private static async Task<IResult> AddBuilderAsync(HttpContext context, BuilderAdministration builders, ILogger<BuilderAdministration> logger, AddBuilderRequest request)
    {
        if (!IdentityPublicKey.TryParse(request.PublicKey, out var key, out var error))
        {
            return Problems.BadParameter(context, "publicKey", $"publicKey is not a builder public key: {error}");
        }

        if (string.IsNullOrWhiteSpace(request.Operator))
        {
            return Problems.BadParameter(context, "operator", "operator (who makes the change) is required.");
        }

        try
        {
            var index = await builders.AddAsync(key, request.Operator, request.Group, request.Reason ?? "", context.RequestAborted);
            LogMessages.BuilderChanged(logger, key.KeyId, "registered", index);
            return Results.Created($"/v1/entries/{index}", new ChangeResponse(index, key.KeyId));
        }
        catch (InvalidOperationException ex)
        {
            return Problems.Create(context, StatusCodes.Status409Conflict, "Registry change refused", ex.Message, "publicKey");
        }
    }

    private static async Task<IResult> RevokeBuilderAsync(HttpContext context, BuilderAdministration builders, ILogger<BuilderAdministration> logger, string keyId, RevokeBuilderRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Operator))
        {
            return Problems.BadParameter(context, "operator", "operator (who makes the change) is required.");
        }

        try
        {
            var index = await builders.RevokeAsync(keyId, request.Operator, request.Reason ?? "", context.RequestAborted);
            LogMessages.BuilderChanged(logger, keyId, "revoked", index);
            return Results.Ok(new ChangeResponse(index, keyId));
        }
        catch (InvalidOperationException ex)
        {
            return Problems.Create(context, StatusCodes.Status409Conflict, "Registry change refused", ex.Message, "keyId");
        }
    }
}
