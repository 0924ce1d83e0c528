using System.Globalization;
using System.Text;
using System.Text.Json;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Core.Spool;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Statements;
using Microsoft.Extensions.Logging;

namespace Attest.Agent.Core.Rebuild;

/// <summary>
/// An independent rebuilder: builds a derivation itself (in a store of its own, or with <c>--check</c> in the
/// default store), attests the result under its own identity (spooled like any build), and compares the NAR
/// hashes with the other builders' attestations in the log.
/// </summary>
public sealed class Rebuilder
{
    /// <summary>Most log entries examined by one <see cref="RebuildUnconfirmedAsync"/> call.</summary>
    public const int MaxEntriesPerScan = 100_000;

    private readonly AgentOptions _options;
    private readonly IReadOnlyList<LogClient> _logs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a rebuilder.</summary>
    /// <param name="options">The agent configuration (its builder identity signs the rebuilds).</param>
    /// <param name="logs">The logs to compare with.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public Rebuilder(AgentOptions options, IReadOnlyList<LogClient> logs, TimeProvider time, ILogger<Rebuilder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logs = logs;
        _time = time;
        _logger = logger;
    }

    /// <summary>Rebuilds a derivation (or the derivation of a store path), attests and compares.</summary>
    /// <param name="target">A .drv path or an output path.</param>
    /// <param name="check">Rebuild with <c>--check</c> in the default store instead of the configured rebuild store.</param>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The report.</returns>
    /// <exception cref="AttestationException">The target is invalid, the build failed or the result cannot be attested.</exception>
    public async Task<RebuildReport> RebuildAsync(string target, bool check, CancellationToken cancellationToken)
    {
        if (!StorePath.TryParse(target, out var path))
        {
            throw new AttestationException($"'{target}' is not a store path.");
        }

        var local = new NixCli(_options.Nix.BinDirectory, NixStoreLocation.Default) { CommandTimeout = Timeout.InfiniteTimeSpan };
        var derivation = path.IsDerivation ? path : await FindDerivationAsync(local, path, cancellationToken);
        _logger.Rebuilding(derivation.FullPath);
        var (nix, settings) = check || _options.Nix.RebuildStore is null
            ? await CheckInDefaultStoreAsync(local, derivation, cancellationToken)
            : await BuildInRebuildStoreAsync(local, derivation, cancellationToken);

        var runner = new HookRunner(_options, _time);
        var statement = await runner.AttestAsync(nix, derivation.FullPath, null, settings, cancellationToken);
        var bytes = runner.Sign(statement);
        SpooledDocument spooled;
        try
        {
            spooled = new Outbox(_options.SpoolDirectory, _time).Enqueue(bytes);
        }
        catch (SpoolException e)
        {
            throw new AttestationException(e.Message, e);
        }

        var others = await FindOthersAsync(derivation, cancellationToken);
        var outputs = statement.Outputs.Select(o =>
        {
            var same = others.Where(e => e.Output.Path == o.Path).Select(e => (e.Builder, e.Output.NarHash, e.Index)).ToList();
            var verdict = same.Count == 0 ? OutputVerdict.NotInLog
                : same.All(s => s.NarHash.Equals(o.NarHash)) ? OutputVerdict.Match
                : OutputVerdict.Mismatch;
            return new RebuiltOutput(o.Name, o.Path, o.NarHash, verdict, same);
        }).ToList();
        return new RebuildReport(derivation, outputs, spooled.Name);
    }

    /// <summary>
    /// Works through the log's attestations from <paramref name="fromIndex"/> and rebuilds every derivation only
    /// one builder (not this one) has attested, when its .drv is in the local store.
    /// </summary>
    /// <param name="fromIndex">First log index to examine.</param>
    /// <param name="maxRebuilds">Most derivations to rebuild.</param>
    /// <param name="check">Rebuild with <c>--check</c> in the default store.</param>
    /// <param name="progress">Receives each report, or the derivation and error of a failed rebuild.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>The next index to examine (for a later call).</returns>
    public async Task<long> RebuildUnconfirmedAsync(long fromIndex, int maxRebuilds, bool check,
        Action<StorePath, RebuildReport?, string?> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var log = _logs.Count > 0 ? _logs[0] : throw new AgentConfigurationException("No log URL is configured.");
        var ownKey = OwnKeyId();
        var attesters = new Dictionary<StorePath, HashSet<string>>();
        var order = new List<StorePath>();
        var index = fromIndex;
        for (; index < fromIndex + MaxEntriesPerScan; index++)
        {
            string body;
            try
            {
                body = await log.GetAsync(string.Create(CultureInfo.InvariantCulture, $"v1/entries/{index}"), cancellationToken);
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                break;
            }

            if (TryReadAttestation(body, out var document))
            {
                if (!attesters.TryGetValue(document.DerivationPath, out var keys))
                {
                    attesters[document.DerivationPath] = keys = [];
                    order.Add(document.DerivationPath);
                }

                keys.Add(document.SignerKeyId);
            }
        }

        var rebuilt = 0;
        foreach (var derivation in order)
        {
            var keys = attesters[derivation];
            if (keys.Count != 1 || keys.Contains(ownKey) || rebuilt >= maxRebuilds)
            {
                continue;
            }

            if (!File.Exists(derivation.FullPath))
            {
                progress(derivation, null, $"{derivation} is not in the local store; fetch it first (nix-store --realise or nix copy --derivation)");
                continue;
            }

            rebuilt++;
            try
            {
                progress(derivation, await RebuildAsync(derivation.FullPath, check, cancellationToken), null);
            }
            catch (AttestationException e)
            {
                _logger.RebuildFailed(derivation.FullPath, e.Message);
                progress(derivation, null, e.Message);
            }
        }

        return index;
    }

    private string OwnKeyId()
    {
        try
        {
            using var key = Identity.BuilderIdentity.Load(_options.KeyPath);
            return key.KeyId;
        }
        catch (IOException e)
        {
            throw new AttestationException(e.Message, e);
        }
    }

    private static async Task<StorePath> FindDerivationAsync(NixCli nix, StorePath output, CancellationToken cancellationToken)
    {
        try
        {
            var info = await nix.QueryPathInfoAsync([output], cancellationToken);
            return info[output].Deriver is { } deriver && deriver.IsDerivation
                ? deriver
                : throw new AttestationException($"Nix does not know which derivation produced {output}; pass the .drv path.");
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot find the derivation of {output}: {e.Message}", e);
        }
    }

    private async Task<(NixCli Nix, IReadOnlyDictionary<string, string>? Settings)> CheckInDefaultStoreAsync(
        NixCli local, StorePath derivation, CancellationToken cancellationToken)
    {
        // Without valid outputs there is nothing to check against: build them first, then rebuild with --check,
        // which fails if the second build differs bit for bit.
        await RealiseAsync(local, derivation, check: false, cancellationToken);
        await RealiseAsync(local, derivation, check: true, cancellationToken);
        return (local, null);
    }

    private async Task<(NixCli Nix, IReadOnlyDictionary<string, string>? Settings)> BuildInRebuildStoreAsync(
        NixCli local, StorePath derivation, CancellationToken cancellationToken)
    {
        NixStoreLocation store;
        try
        {
            store = NixStoreLocation.Parse(_options.Nix.RebuildStore);
        }
        catch (ArgumentException e)
        {
            throw new AttestationException($"nix.rebuildStore: {e.Message}", e);
        }

        var rebuild = new NixCli(_options.Nix.BinDirectory, store) { CommandTimeout = Timeout.InfiniteTimeSpan };
        try
        {
            // Copy the derivation and its input closure (not the outputs): the rebuild store builds them itself.
            await local.RunAsync("nix", ["--extra-experimental-features", "nix-command", "copy", "--derivation", "--no-check-sigs",
                "--to", store.Uri!, derivation.FullPath], cancellationToken);
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot copy {derivation} into the rebuild store: {e.Message}", e);
        }

        await RealiseAsync(rebuild, derivation, check: false, cancellationToken);
        var settings = new Dictionary<string, string>(await rebuild.ShowConfigAsync(cancellationToken), StringComparer.Ordinal);
        foreach (var (name, value) in EffectiveRebuildOptions())
        {
            settings[name] = value;
        }

        return (rebuild, settings);
    }

    private async Task RealiseAsync(NixCli nix, StorePath derivation, bool check, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--realise", derivation.FullPath };
        arguments.AddRange(nix.StoreArguments());
        if (check)
        {
            arguments.Add("--check");
        }

        foreach (var (name, value) in EffectiveRebuildOptions())
        {
            arguments.AddRange(["--option", name, value]);
        }

        var (exitCode, _, error) = await nix.RunRawAsync("nix-store", arguments, cancellationToken);
        if (exitCode != 0)
        {
            var reason = error.Contains("may not be deterministic", StringComparison.Ordinal)
                ? $"the rebuild differs from the existing outputs (nix-store --check): {LastLine(error)}"
                : LastLine(error);
            throw new AttestationException($"Rebuilding {derivation} failed (exit {exitCode}): {reason}");
        }
    }

    private IEnumerable<KeyValuePair<string, string>> EffectiveRebuildOptions()
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // An independent rebuild must not fetch what it is meant to reproduce, and must not attest it twice
            // through a configured hook.
            ["substituters"] = string.Empty,
            ["post-build-hook"] = string.Empty,
        };
        foreach (var (name, value) in _options.Nix.RebuildOptions)
        {
            options[name] = value;
        }

        return options;
    }

    private async Task<List<(string Builder, NixBuildOutput Output, long Index)>> FindOthersAsync(
        StorePath derivation, CancellationToken cancellationToken)
    {
        var ownKey = OwnKeyId();
        var result = new List<(string, NixBuildOutput, long)>();
        foreach (var log in _logs)
        {
            string body;
            try
            {
                body = await log.SearchAsync("drvPath", derivation.FullPath, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new AttestationException($"Cannot search {log.BaseUrl} for {derivation}: {e.Message}", e);
            }

            foreach (var (index, document) in ReadSearchResults(body))
            {
                if (string.Equals(document.SignerKeyId, ownKey, StringComparison.Ordinal) || document.DerivationPath != derivation)
                {
                    continue;
                }

                result.AddRange(document.Statement.Outputs.Select(o => (document.Statement.BuilderId, o, index)));
            }
        }

        return result;
    }

    /// <summary>Reads a <c>/v1/search</c> answer: <c>{"entries":[{"index":n,"document":{...}}],...}</c>.</summary>
    /// <param name="body">The response body.</param>
    /// <returns>The attestation entries (other kinds of entry are skipped).</returns>
    /// <exception cref="AttestationException">The answer is not what the log serves.</exception>
    internal static List<(long Index, AttestationDocument Document)> ReadSearchResults(string body)
    {
        var result = new List<(long, AttestationDocument)>();
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var entry in json.RootElement.GetProperty("entries").EnumerateArray())
            {
                var index = entry.GetProperty("index").GetInt64();
                var raw = Encoding.UTF8.GetBytes(entry.GetProperty("document").GetRawText());
                if (AttestationDocument.TryParse(raw, out var document, out _))
                {
                    result.Add((index, document));
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new AttestationException($"The log's search answer is malformed: {e.Message}", e);
        }

        return result;
    }

    private static bool TryReadAttestation(string entryBody, out AttestationDocument document)
    {
        document = null!;
        try
        {
            using var json = JsonDocument.Parse(entryBody);
            var raw = Encoding.UTF8.GetBytes(json.RootElement.GetProperty("document").GetRawText());
            if (AttestationDocument.TryParse(raw, out var parsed, out _))
            {
                document = parsed;
                return true;
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not an attestation entry (e.g. a builder-registry change) or not JSON: skip it.
        }

        return false;
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines.TakeLast(3));
    }
}
