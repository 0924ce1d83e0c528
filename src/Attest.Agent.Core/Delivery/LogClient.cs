using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Attest.Agent.Core.Delivery;

/// <summary>The agent's side of the log server's HTTP API: submit documents, search entries.</summary>
public sealed class LogClient
{
    /// <summary>Path of the submission endpoint, relative to the log's base URL.</summary>
    public const string SubmitPath = "v1/entries";

    /// <summary>Largest response body read (problem documents and search results).</summary>
    public const int MaxResponseBytes = 16 << 20;

    private const int MaxDetailChars = 4096;
    private readonly HttpClient _http;

    /// <summary>Creates a client for one log.</summary>
    /// <param name="http">The HTTP client (its timeout applies to each request).</param>
    /// <param name="baseUrl">The log's base URL.</param>
    public LogClient(HttpClient http, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        _http = http;
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    }

    /// <summary>The log's base URL (ending in a slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Submits one document. Never throws for network or HTTP failures: they become the result.</summary>
    /// <param name="document">The document (canonical JSON).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The log's answer.</returns>
    public async Task<SubmissionResult> SubmitAsync(ReadOnlyMemory<byte> document, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(document);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(new Uri(BaseUrl, SubmitPath), content, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new SubmissionResult(SubmissionOutcome.Transient, 0, null, null, $"network error: {e.Message}");
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new SubmissionResult(SubmissionOutcome.Transient, 0, null, null, $"timeout: {e.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            string body;
            try
            {
                body = await ReadBodyAsync(response, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException)
            {
                return new SubmissionResult(SubmissionOutcome.Transient, status, null, null,
                    $"reading the response failed: {e.Message}");
            }

            var retryAfter = RetryAfter(response);
            if (status is 200 or 201)
            {
                return TryReadIndex(body, out var index)
                    ? new SubmissionResult(status == 201 ? SubmissionOutcome.Created : SubmissionOutcome.Duplicate,
                        status, index, null, body)
                    : new SubmissionResult(SubmissionOutcome.Transient, status, null, retryAfter,
                        $"the log answered {status} without an \"index\": {Truncate(body)}");
            }

            var outcome = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout
                or HttpStatusCode.TooManyRequests
                ? SubmissionOutcome.Transient
                : SubmissionOutcome.Rejected;
            return new SubmissionResult(outcome, status, null, retryAfter, Truncate(body));
        }
    }

    /// <summary>Runs <c>GET /v1/search</c> and returns the raw JSON answer.</summary>
    /// <param name="parameter">The search key: <c>storePath</c>, <c>drvPath</c>, <c>narHash</c> or <c>builder</c>.</param>
    /// <param name="value">The value searched for.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response body.</returns>
    /// <exception cref="HttpRequestException">The request failed or the log answered with an error.</exception>
    public async Task<string> SearchAsync(string parameter, string value, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUrl, $"v1/search?{Uri.EscapeDataString(parameter)}={Uri.EscapeDataString(value)}");
        return await GetStringAsync(uri, cancellationToken);
    }

    /// <summary>Fetches a path under the log's base URL as text.</summary>
    /// <param name="relativePath">The path, for example <c>checkpoint</c> or <c>v1/entries/5</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response body.</returns>
    /// <exception cref="HttpRequestException">The request failed or the log answered with an error.</exception>
    public async Task<string> GetAsync(string relativePath, CancellationToken cancellationToken) =>
        await GetStringAsync(new Uri(BaseUrl, relativePath), cancellationToken);

    private async Task<string> GetStringAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await ReadBodyAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"GET {uri} answered {(int)response.StatusCode}: {Truncate(body)}", null, response.StatusCode);
        }

        return body;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new InvalidDataException(
                $"The response is {response.Content.Headers.ContentLength} bytes; the limit is {MaxResponseBytes}.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                throw new InvalidDataException($"The response exceeds {MaxResponseBytes} bytes.");
            }

            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static bool TryReadIndex(string body, out long index)
    {
        index = 0;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("index", out var value)
                && value.TryGetInt64(out index)
                && index >= 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Truncate(string text) => text.Length <= MaxDetailChars ? text : text[..MaxDetailChars] + "…";
}
