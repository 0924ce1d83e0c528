using System.Globalization;

namespace Attest.LogServer.Apis;

/// <summary>application/problem+json answers (RFC 9457) with the extra fields and headers the log's clients rely on.</summary>
internal static class Problems
{
    public static IResult Create(HttpContext context, int status, string title, string detail, string? field = null, TimeSpan? retryAfter = null, IDictionary<string, object?>? extensions = null)
    {
        var extra = extensions is null ? new Dictionary<string, object?>(StringComparer.Ordinal) : new Dictionary<string, object?>(extensions, StringComparer.Ordinal);
        if (field is not null)
        {
            extra["field"] = field;
        }

        if (retryAfter is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            extra["retryAfter"] = seconds;
        }

        return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extra);
    }

    public static IResult BadParameter(HttpContext context, string parameter, string detail) =>
        Create(context, StatusCodes.Status400BadRequest, "Invalid parameter", detail, parameter);

    public static IResult NotFound(HttpContext context, string detail) =>
        Create(context, StatusCodes.Status404NotFound, "Not found", detail);
}
