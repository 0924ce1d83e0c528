using System.Diagnostics;
using Attest.Nix;
using Attest.Nix.BinaryCache;

namespace Attest.Verifier.Verification;

/// <summary>Where <c>attest-verify path</c> learns the NAR hash it checks: the local Nix store, or a narinfo.</summary>
public static class NarHashSources
{
    /// <summary>Largest narinfo read, in bytes.</summary>
    public const int MaxNarInfoBytes = 1 << 20;

    /// <summary>
    /// Asks the local store for a valid path's NAR hash (<c>nix-store --query --hash</c>, which prints
    /// <c>sha256:&lt;nix32&gt;</c> on every Nix version, unlike the changing <c>nix path-info --json</c> shape).
    /// </summary>
    /// <param name="storePath">The path; it must be valid in the local store.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The NAR hash.</returns>
    /// <exception cref="InvalidOperationException">The store does not know the path, or nix-store is missing.</exception>
    public static async Task<NixHash> FromLocalStoreAsync(StorePath storePath, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nix-store")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--query");
        start.ArgumentList.Add("--hash");
        start.ArgumentList.Add(storePath.FullPath);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("nix-store could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"nix-store could not be started ({e.Message}); give the hash with --nar-hash or --narinfo.", e);
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            string text = (await output.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"nix-store --query --hash {storePath} failed: {(await error.ConfigureAwait(false)).Trim()}");
            }

            return NixHash.TryParse(text, out NixHash hash) && hash.Algorithm == NixHashAlgorithm.Sha256
                ? hash
                : throw new InvalidOperationException($"nix-store --query --hash {storePath} printed \"{text}\", not a sha256 hash.");
        }
    }

    /// <summary>Reads a narinfo from a file or an http(s) URL and returns its store path and NAR hash.</summary>
    /// <param name="location">A file path or URL.</param>
    /// <param name="http">Fetches URLs.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The path and hash the narinfo states.</returns>
    /// <exception cref="InvalidOperationException">The narinfo cannot be read or is not valid.</exception>
    public static async Task<PathQuery> FromNarInfoAsync(string location, HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        ArgumentNullException.ThrowIfNull(http);
        string text;
        if (Uri.TryCreate(location, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            using HttpResponseMessage response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET {uri} answered {(int)response.StatusCode}.");
            }

            if (response.Content.Headers.ContentLength > MaxNarInfoBytes)
            {
                throw new InvalidOperationException($"The narinfo at {uri} is larger than {MaxNarInfoBytes} bytes.");
            }

            byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            text = bytes.Length <= MaxNarInfoBytes
                ? System.Text.Encoding.UTF8.GetString(bytes)
                : throw new InvalidOperationException($"The narinfo at {uri} is larger than {MaxNarInfoBytes} bytes.");
        }
        else
        {
            string file = uri?.IsFile == true ? uri.LocalPath : location;
            try
            {
                text = new FileInfo(file).Length <= MaxNarInfoBytes
                    ? await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)
                    : throw new InvalidOperationException($"The narinfo {file} is larger than {MaxNarInfoBytes} bytes.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Cannot read the narinfo {file}: {e.Message}", e);
            }
        }

        if (!NarInfo.TryParse(text, StorePath.DefaultStoreDir, out NarInfo? info, out string? error))
        {
            throw new InvalidOperationException($"{location} is not a valid narinfo: {error}");
        }

        return info.NarHash.Algorithm == NixHashAlgorithm.Sha256
            ? new PathQuery(info.StorePath, info.NarHash)
            : throw new InvalidOperationException($"{location} gives a {info.NarHash.Algorithm} NAR hash; attestations record sha256.");
    }
}
