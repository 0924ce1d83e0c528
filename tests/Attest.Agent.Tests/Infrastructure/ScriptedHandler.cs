using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Attest.Agent.Tests.Infrastructure;

/// <summary>An HTTP handler answering from a function and recording what it was sent.</summary>
internal sealed class ScriptedHandler(Func<HttpRequestMessage, byte[], HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<(Uri Uri, byte[] Body)> Requests { get; } = [];

    public static HttpResponseMessage Json(HttpStatusCode status, string body, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(body, Encoding.UTF8, status is HttpStatusCode.OK or HttpStatusCode.Created
                ? "application/json" : "application/problem+json"),
        };
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(delay);
        }

        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        lock (Requests)
        {
            Requests.Add((request.RequestUri!, body));
        }

        return respond(request, body);
    }
}
