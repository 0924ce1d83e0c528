using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Attest.Verifier.Tests.Support;

/// <summary>
/// A dishonest log for tools that run as their own process: an HTTP server on loopback that forwards every GET to the
/// real log through a <see cref="TamperingHandler"/>, so a test can rewrite answers (a tile, a search result) or
/// switch the whole view to another log instance while the tool under test talks to one fixed URL.
/// </summary>
internal sealed class LogProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    private LogProxy(WebApplication app, HttpClient upstream, TamperingHandler handler, Uri url)
    {
        _app = app;
        _upstream = upstream;
        Tampering = handler;
        Url = url;
    }

    /// <summary>Gets the proxy's base URL.</summary>
    public Uri Url { get; }

    /// <summary>Gets the handler that rewrites or redirects what the proxy forwards.</summary>
    public TamperingHandler Tampering { get; }

    /// <summary>Starts a proxy in front of <paramref name="target"/>.</summary>
    public static async Task<LogProxy> StartAsync(Uri target)
    {
        var handler = new TamperingHandler();
        var upstream = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/{**path}", async (HttpContext context) =>
        {
            var relative = context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString.Value;
            using var response = await upstream.GetAsync(new Uri(target, relative), context.RequestAborted);
            var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });
        await app.StartAsync();
        return new LogProxy(app, upstream, handler, new Uri(app.Urls.Single() + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
