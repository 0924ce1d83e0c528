namespace Attest.Verifier.Tests.Cli;

/// <summary>
/// A dishonest log in front of an honest one: forwards every request to the real server and lets the test rewrite the
/// body of chosen responses (a tile, a search answer) before the verifier sees it.
/// </summary>
internal sealed class TamperingHandler(Func<Uri, byte[], byte[]> rewrite) : DelegatingHandler(new HttpClientHandler())
{
    public int Rewritten { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return response;
        }

        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        byte[] changed = rewrite(request.RequestUri!, body);
        if (!ReferenceEquals(changed, body))
        {
            Rewritten++;
        }

        var content = new ByteArrayContent(changed);
        foreach (var header in response.Content.Headers.Where(h => h.Key != "Content-Length"))
        {
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = content;
        return response;
    }
}
