namespace Attest.Verifier.Tests.Support;

/// <summary>
/// A dishonest network in front of the log: forwards requests to the real server and lets a test rewrite the answers
/// (a tile's bytes, an entry bundle, a search result) or redirect them to another log instance.
/// </summary>
internal sealed class TamperingHandler : DelegatingHandler
{
    public TamperingHandler()
        : base(new HttpClientHandler())
    {
    }

    /// <summary>Rewrites a response body: (request path and query, body) → new body, or null to leave it.</summary>
    public Func<string, byte[], byte[]?>? Rewrite { get; set; }

    /// <summary>Sends requests to this base address instead (a second log instance).</summary>
    public Uri? RedirectTo { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RedirectTo is { } target && request.RequestUri is { } uri)
        {
            request.RequestUri = new Uri(target, uri.PathAndQuery.TrimStart('/'));
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (Rewrite is null || !response.IsSuccessStatusCode)
        {
            return response;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var rewritten = Rewrite(request.RequestUri!.PathAndQuery, body);
        if (rewritten is null)
        {
            response.Content = new ByteArrayContent(body);
            return response;
        }

        response.Content = new ByteArrayContent(rewritten);
        return response;
    }
}
