using System.Net;
using System.Text;

namespace Attest.Verifier.Gate;

/// <summary>An opened upstream NAR file: a stream to copy from, and its length when known. Disposing releases the upstream.</summary>
/// <param name="Content">The bytes, unchanged.</param>
/// <param name="Length">The length, when the upstream states it.</param>
/// <param name="Owner">What to dispose with the stream (the HTTP response), or <see langword="null"/>.</param>
public sealed record UpstreamNar(Stream Content, long? Length, IDisposable? Owner) : IAsyncDisposable
{
    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync().ConfigureAwait(false);
        Owner?.Dispose();
    }
}

/// <summary>The binary cache the gate sits in front of: a <c>file://</c> directory or an HTTP cache.</summary>
public abstract class UpstreamCache
{
    /// <summary>Largest narinfo accepted from the upstream, in bytes (Nix's own are well under 64 KiB; references dominate).</summary>
    public const int DefaultMaxNarInfoBytes = 1024 * 1024;

    /// <summary>Creates an upstream for a <c>file://</c> or <c>http(s)://</c> URL.</summary>
    /// <param name="url">The upstream cache's URL.</param>
    /// <param name="http">The HTTP client for HTTP upstreams.</param>
    /// <param name="maxNarInfoBytes">Size cap of narinfos.</param>
    /// <returns>The upstream.</returns>
    /// <exception cref="ArgumentException">The URL is not an absolute file, http or https URL.</exception>
    public static UpstreamCache Create(Uri url, HttpClient http, int maxNarInfoBytes = DefaultMaxNarInfoBytes)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(http);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException($"The upstream {url} is not an absolute URL.", nameof(url));
        }

        return url.Scheme switch
        {
            "file" => new FileUpstreamCache(url.LocalPath, maxNarInfoBytes),
            "http" or "https" => new HttpUpstreamCache(url, http, maxNarInfoBytes),
            _ => throw new ArgumentException($"The upstream {url} is neither file://, http:// nor https://.", nameof(url)),
        };
    }

    /// <summary>Fetches <c>&lt;hashPart&gt;.narinfo</c>.</summary>
    /// <param name="hashPart">The store path's 32-character hash part (already validated).</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The text, or <see langword="null"/> when the upstream does not have it.</returns>
    /// <exception cref="UpstreamException">The upstream failed, or its answer is larger than the cap or not UTF-8.</exception>
    public abstract Task<string?> GetNarInfoAsync(string hashPart, CancellationToken cancellationToken);

    /// <summary>Opens the file a narinfo's <c>URL</c> names (a relative path such as <c>nar/&lt;hash&gt;.nar.xz</c>).</summary>
    /// <param name="relativeUrl">The relative URL (already validated).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The NAR, or <see langword="null"/> when the upstream does not have it.</returns>
    /// <exception cref="UpstreamException">The upstream failed.</exception>
    public abstract Task<UpstreamNar?> OpenNarAsync(string relativeUrl, CancellationToken cancellationToken);

    /// <summary>Decodes a narinfo's bytes as strict UTF-8.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="where">Where they came from, for the message.</param>
    /// <returns>The text.</returns>
    protected static string DecodeNarInfo(ReadOnlySpan<byte> bytes, string where)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new UpstreamException($"The upstream narinfo {where} is not UTF-8.");
        }
    }
}

/// <summary>An upstream answer the gate cannot use: an error status, a transport failure, or an oversized or undecodable narinfo.</summary>
public sealed class UpstreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UpstreamException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    public UpstreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public UpstreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A <c>file://</c> binary cache directory, as <c>nix copy --to file://DIR</c> writes it.</summary>
public sealed class FileUpstreamCache : UpstreamCache
{
    private readonly string _root;
    private readonly int _maxNarInfoBytes;

    /// <summary>Creates the upstream.</summary>
    /// <param name="directory">The cache directory.</param>
    /// <param name="maxNarInfoBytes">Size cap of narinfos.</param>
    public FileUpstreamCache(string directory, int maxNarInfoBytes = DefaultMaxNarInfoBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNarInfoBytes, 1);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        _maxNarInfoBytes = maxNarInfoBytes;
    }

    /// <inheritdoc/>
    public override async Task<string?> GetNarInfoAsync(string hashPart, CancellationToken cancellationToken)
    {
        string file = Resolve(hashPart + ".narinfo");
        try
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
            if (stream.Length > _maxNarInfoBytes)
            {
                throw new UpstreamException($"The upstream narinfo {hashPart}.narinfo is {stream.Length} bytes; the gate accepts at most {_maxNarInfoBytes}.");
            }

            byte[] bytes = new byte[(int)stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return DecodeNarInfo(bytes, hashPart + ".narinfo");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpstreamException($"Cannot read the upstream narinfo {file}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override Task<UpstreamNar?> OpenNarAsync(string relativeUrl, CancellationToken cancellationToken)
    {
        string file = Resolve(relativeUrl);
        try
        {
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult<UpstreamNar?>(new UpstreamNar(stream, stream.Length, null));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<UpstreamNar?>(null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpstreamException($"Cannot read the upstream NAR {file}: {e.Message}", e);
        }
    }

    private string Resolve(string relative)
    {
        string full = Path.GetFullPath(Path.Combine(_root, relative));
        return full.StartsWith(_root, StringComparison.Ordinal)
            ? full
            : throw new UpstreamException($"The upstream path {relative} leaves the cache directory.");
    }
}

/// <summary>An HTTP binary cache.</summary>
public sealed class HttpUpstreamCache : UpstreamCache
{
    private readonly Uri _base;
    private readonly HttpClient _http;
    private readonly int _maxNarInfoBytes;

    /// <summary>Creates the upstream.</summary>
    /// <param name="baseUrl">The cache URL.</param>
    /// <param name="http">The HTTP client.</param>
    /// <param name="maxNarInfoBytes">Size cap of narinfos.</param>
    public HttpUpstreamCache(Uri baseUrl, HttpClient http, int maxNarInfoBytes = DefaultMaxNarInfoBytes)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNarInfoBytes, 1);
        _base = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _http = http;
        _maxNarInfoBytes = maxNarInfoBytes;
    }

    /// <inheritdoc/>
    public override async Task<string?> GetNarInfoAsync(string hashPart, CancellationToken cancellationToken)
    {
        var url = new Uri(_base, hashPart + ".narinfo");
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamException($"The upstream answered {(int)response.StatusCode} for {url}.");
            }

            if (response.Content.Headers.ContentLength > _maxNarInfoBytes)
            {
                throw new UpstreamException($"The upstream narinfo {url} is {response.Content.Headers.ContentLength} bytes; the gate accepts at most {_maxNarInfoBytes}.");
            }

            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[_maxNarInfoBytes + 1];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return total > _maxNarInfoBytes
                ? throw new UpstreamException($"The upstream narinfo {url} is larger than {_maxNarInfoBytes} bytes.")
                : DecodeNarInfo(buffer.AsSpan(0, total), url.AbsoluteUri);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"The upstream {url} cannot be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"The upstream {url} timed out.", e);
        }
    }

    /// <inheritdoc/>
    public override async Task<UpstreamNar?> OpenNarAsync(string relativeUrl, CancellationToken cancellationToken)
    {
        var url = new Uri(_base, relativeUrl);
        HttpResponseMessage? response = null;
        try
        {
            response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                response.Dispose();
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamException($"The upstream answered {(int)response.StatusCode} for {url}.");
            }

            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var nar = new UpstreamNar(body, response.Content.Headers.ContentLength, response);
            response = null;
            return nar;
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"The upstream {url} cannot be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"The upstream {url} timed out.", e);
        }
        finally
        {
            response?.Dispose();
        }
    }
}
