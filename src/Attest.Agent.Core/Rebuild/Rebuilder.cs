using System.Globalization;
using System.Text;
using System.Text.Json;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Core.Spool;
using Attest.Nix;
using Attest.Nix.Nar;
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
    /// <summary>The suffix Nix gives the kept result of a <c>--check</c> rebuild that differs.</summary>
    public const string CheckSuffix = ".check";

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
    /// <remarks>
    /// With <c>--check</c>, a rebuild that differs is not a failure: Nix keeps the differing result as
    /// <c>&lt;out&gt;.check</c> (with <c>--keep-failed</c>), and that result is attested under this builder's identity
    /// with the original output path as subject and the rebuilt NAR hash, which is what a verifier compares.
    /// </remarks>
    public async Task<RebuildReport> RebuildAsync(string target, bool check, CancellationToken cancellationToken)
    {
        if (!StorePath.TryParse(target, out var path))
        {
            throw new AttestationException($"'{target}' is not a store path.");
        }

        var local = new NixCli(_options.Nix.BinDirectory, NixStoreLocation.Default) { CommandTimeout = Timeout.InfiniteTimeSpan };
        var derivation = path.IsDerivation ? path : await FindDerivationAsync(local, path, cancellationToken);
        _logger.Rebuilding(derivation.FullPath);
        var runner = new HookRunner(_options, _time);
        NixProvenance statement;
        CheckResult? checkResult = null;
        if (check || _options.Nix.RebuildStore is null)
        {
            checkResult = await CheckInDefaultStoreAsync(local, derivation, cancellationToken);
            statement = checkResult.Differences.Count == 0
                ? await runner.AttestAsync(local, derivation.FullPath, null, checkResult.Settings, cancellationToken)
                : await AttestCheckResultAsync(local, derivation, checkResult, cancellationToken);
        }
        else
        {
            var (nix, settings) = await BuildInRebuildStoreAsync(local, derivation, cancellationToken);
            statement = await runner.AttestAsync(nix, derivation.FullPath, null, settings, cancellationToken);
        }

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
            NixHash? original = checkResult is not null && checkResult.Originals.TryGetValue(o.Path, out var registered) ? registered : null;
            var verdict = original is { } local && !local.Equals(o.NarHash) ? OutputVerdict.Mismatch
                : same.Count == 0 ? OutputVerdict.NotInLog
                : same.All(s => s.NarHash.Equals(o.NarHash)) ? OutputVerdict.Match
                : OutputVerdict.Mismatch;
            return new RebuiltOutput(o.Name, o.Path, o.NarHash, verdict, same)
            {
                OriginalNarHash = original,
                CheckPath = checkResult?.Differences.FirstOrDefault(d => d.Path == o.Path)?.CheckPath,
            };
        }).ToList();
        return new RebuildReport(derivation, outputs, spooled.Name)
        {
            UncheckedOutputs = checkResult is { Differences.Count: > 0 }
                ? [.. checkResult.Originals.Keys.Where(p => !statement.Outputs.Any(o => o.Path == p)).Order()]
                : [],
        };
    }

    /// <summary>
    /// Works through every configured log's attestations and rebuilds each derivation that exactly one builder,
    /// not this one, has attested (in any of the logs), when its .drv is in the local store. Each log resumes where
    /// the previous call left off (<see cref="RebuildPositions"/>, keyed by the log's origin); the position is
    /// saved after every rebuild and at the end, so an interrupted run resumes without repeating work.
    /// </summary>
    /// <param name="fromIndex">First log index to examine in every log, or null to resume from the saved positions.</param>
    /// <param name="maxRebuilds">Most derivations to rebuild (over all logs).</param>
    /// <param name="check">Rebuild with <c>--check</c> in the default store.</param>
    /// <param name="progress">Receives each report, or the derivation and why it was not rebuilt.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>Per log: its origin and next index, or why it could not be read.</returns>
    /// <exception cref="AttestationException">The saved positions cannot be read or written.</exception>
    public async Task<IReadOnlyList<LogScanResult>> RebuildUnconfirmedAsync(long? fromIndex, int maxRebuilds, bool check,
        Action<StorePath, RebuildReport?, string?> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (_logs.Count == 0)
        {
            throw new AgentConfigurationException("No log URL is configured.");
        }

        var ownKey = OwnKeyId();
        RebuildPositions positions;
        try
        {
            positions = RebuildPositions.Load(_options.SpoolDirectory);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new AttestationException($"Cannot read the rebuild positions: {e.Message}", e);
        }

        var pending = PendingOwnDerivations();
        var decided = new HashSet<StorePath>();
        var results = new List<LogScanResult>();
        var rebuilt = 0;
        foreach (var log in _logs)
        {
            string origin;
            try
            {
                origin = await ReadOriginAsync(log, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                results.Add(new LogScanResult(log.BaseUrl, null, fromIndex ?? 0, $"cannot read its checkpoint: {e.Message}"));
                continue;
            }

            var index = fromIndex ?? positions.Get(origin);
            var limit = index + MaxEntriesPerScan;
            string? error = null;
            while (index < limit && rebuilt < maxRebuilds)
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
                catch (HttpRequestException e)
                {
                    error = $"reading entry {index} failed: {e.Message}";
                    break;
                }

                var rebuild = false;
                if (TryReadAttestation(body, out var document) && !decided.Contains(document.DerivationPath))
                {
                    try
                    {
                        rebuild = await ShouldRebuildAsync(document.DerivationPath, ownKey, pending, cancellationToken);
                    }
                    catch (Exception e) when (e is HttpRequestException or AttestationException)
                    {
                        // Stop this log here, so the entry is examined again by the next run.
                        error = $"searching the logs for the derivation of entry {index} failed: {e.Message}";
                        break;
                    }

                    decided.Add(document.DerivationPath);
                }

                if (rebuild)
                {
                    var derivation = document.DerivationPath;
                    if (!File.Exists(derivation.FullPath))
                    {
                        progress(derivation, null, $"{derivation} is not in the local store; fetch it first (nix-store --realise or nix copy --derivation)");
                    }
                    else
                    {
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

                        SavePosition(positions, origin, index + 1);
                    }
                }

                index++;
            }

            SavePosition(positions, origin, index);
            results.Add(new LogScanResult(log.BaseUrl, origin, index, error));
        }

        return results;
    }

    /// <summary>
    /// Whether a derivation seen in a log needs this rebuilder: attested by exactly one builder across all logs, and
    /// neither attested by this builder in a log nor waiting in its outbox.
    /// </summary>
    /// <exception cref="HttpRequestException">A log could not be searched.</exception>
    /// <exception cref="AttestationException">A log's answer is malformed.</exception>
    private async Task<bool> ShouldRebuildAsync(StorePath derivation, string ownKey, HashSet<StorePath> pending, CancellationToken cancellationToken)
    {
        if (pending.Contains(derivation))
        {
            return false;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var log in _logs)
        {
            foreach (var (_, document) in ReadSearchResults(await log.SearchAsync("drvPath", derivation.FullPath, cancellationToken)))
            {
                if (document.DerivationPath == derivation)
                {
                    keys.Add(document.SignerKeyId);
                }
            }
        }

        return keys.Count == 1 && !keys.Contains(ownKey);
    }

    private HashSet<StorePath> PendingOwnDerivations()
    {
        var result = new HashSet<StorePath>();
        var outbox = new Outbox(_options.SpoolDirectory, _time);
        try
        {
            foreach (var document in outbox.ListPending())
            {
                if (AttestationDocument.TryParse(Outbox.Read(document), out var parsed, out _))
                {
                    result.Add(parsed.DerivationPath);
                }
            }
        }
        catch (Exception e) when (e is SpoolException or IOException or UnauthorizedAccessException)
        {
            // No outbox yet (or unreadable): the logs' search answers still show what this builder delivered.
        }

        return result;
    }

    /// <summary>The log's origin: the first line of its checkpoint (C2SP tlog-checkpoint).</summary>
    private static async Task<string> ReadOriginAsync(LogClient log, CancellationToken cancellationToken)
    {
        var checkpoint = await log.GetAsync("checkpoint", cancellationToken);
        var newline = checkpoint.IndexOf('\n', StringComparison.Ordinal);
        var origin = newline < 0 ? string.Empty : checkpoint[..newline];
        // c2sp.org/tlog-checkpoint: the origin is a non-empty line of printable text.
        return origin.Length is > 0 and <= 1024 && origin.All(c => c is > ' ' and <= '~' || c == ' ')
            ? origin
            : throw new HttpRequestException($"{log.BaseUrl}checkpoint does not start with an origin line.");
    }

    private static void SavePosition(RebuildPositions positions, string origin, long next)
    {
        try
        {
            positions.Save(origin, next);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AttestationException($"Cannot save the rebuild position of '{origin}': {e.Message}", e);
        }
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

    private async Task<CheckResult> CheckInDefaultStoreAsync(NixCli local, StorePath derivation, CancellationToken cancellationToken)
    {
        // Without valid outputs there is nothing to check against: build them first, then rebuild with --check,
        // which compares every output bit for bit with the registered one.
        await RealiseAsync(local, derivation, check: false, cancellationToken);
        var (_, facts) = HookRunner.ReadDerivation(local.Store, derivation);
        var outputs = facts.Outputs.Where(o => o.Path is not null).Select(o => (o.Name, Path: o.Path!.Value)).ToList();
        var originals = new Dictionary<StorePath, NixHash>();
        try
        {
            foreach (var (p, info) in await local.QueryPathInfoAsync(outputs.Select(o => o.Path).ToList(), cancellationToken))
            {
                originals[p] = info.NarHash;
            }
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot read the registered outputs of {derivation}: {e.Message}", e);
        }

        // Nix replaces only the .check result of the output it found different; a stale one of another output
        // from an earlier check must not be taken for this rebuild's.
        foreach (var (_, output) in outputs)
        {
            DeletePath(local.Store.PhysicalPath(output) + CheckSuffix);
        }

        var settings = await EffectiveSettingsAsync(local, cancellationToken);
        var startedOn = _time.GetUtcNow();
        var (exitCode, error) = await RunRealiseAsync(local, derivation, check: true, cancellationToken);
        var finishedOn = _time.GetUtcNow();
        RemoveKeptBuildDirectories(error);
        if (exitCode == 0)
        {
            return new CheckResult(originals, [], settings, startedOn, finishedOn);
        }

        // Nix stops at the first output that differs (src/libstore/build/local-derivation-goal.cc, bmCheck) and
        // moves the rebuilt result to <out>.check; outputs after it in its order are not compared.
        var differences = outputs
            .Select(o => new CheckDifference(o.Name, o.Path, local.Store.PhysicalPath(o.Path) + CheckSuffix))
            .Where(d => Path.Exists(d.CheckPath) || new FileInfo(d.CheckPath).LinkTarget is not null)
            .ToList();
        if (differences.Count == 0 || !error.Contains("may not be deterministic", StringComparison.Ordinal))
        {
            throw new AttestationException($"Rebuilding {derivation} with --check failed (exit {exitCode}): {LastLine(error)}");
        }

        return new CheckResult(originals, differences, settings, startedOn, finishedOn);
    }

    /// <summary>
    /// The statement for a <c>--check</c> rebuild that differs: the subjects are the original output paths (what a
    /// verifier looks up) with the NAR hashes and references of the kept <c>.check</c> results.
    /// </summary>
    private async Task<NixProvenance> AttestCheckResultAsync(NixCli local, StorePath derivation, CheckResult result, CancellationToken cancellationToken)
    {
        var (drvBytes, facts) = HookRunner.ReadDerivation(local.Store, derivation);
        var candidates = await ReferenceCandidatesAsync(local, derivation, result.Originals.Keys, cancellationToken);
        var outputs = new List<NixBuildOutput>();
        foreach (var difference in result.Differences)
        {
            try
            {
                var (hash, references) = ReferenceScanner.Scan(difference.CheckPath, candidates, cancellationToken);
                outputs.Add(new NixBuildOutput(difference.Name, difference.Path, hash.Hash, hash.Size, references));
            }
            catch (Exception e) when (e is NarSerializationException or IOException or UnauthorizedAccessException)
            {
                throw new AttestationException($"Cannot read the rebuilt result '{difference.CheckPath}': {e.Message}", e);
            }
        }

        NixBuildEnvironment environment;
        try
        {
            environment = await BuildEnvironment.CollectAsync(_options.BuilderName, local, result.Settings, null, cancellationToken);
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot describe the environment of the rebuild: {e.Message}", e);
        }

        try
        {
            return new NixProvenance
            {
                Derivation = derivation,
                DerivationSha256 = NixHash.FromSha256(System.Security.Cryptography.SHA256.HashData(drvBytes)),
                Outputs = outputs,
                Environment = environment,
                Dependencies = facts.Dependencies,
                BuilderId = NixProvenance.BuilderIdFor(_options.BuilderName),
                InvocationId = $"urn:uuid:{Guid.NewGuid()}",
                StartedOn = result.StartedOn,
                FinishedOn = result.FinishedOn,
            };
        }
        catch (ArgumentException e)
        {
            throw new AttestationException($"Cannot describe the rebuild of {derivation}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The paths a rebuilt output may reference: Nix scans for its inputs' closure and the derivation's own outputs;
    /// the closure of the .drv with outputs (<c>nix-store -qR --include-outputs</c>) holds both, and .drv files,
    /// which Nix never offers as references of a build, are left out.
    /// </summary>
    private static async Task<List<StorePath>> ReferenceCandidatesAsync(
        NixCli local, StorePath derivation, IEnumerable<StorePath> outputs, CancellationToken cancellationToken)
    {
        string closure;
        try
        {
            closure = await local.RunAsync("nix-store",
                ["--query", "--requisites", "--include-outputs", .. local.StoreArguments(), derivation.FullPath], cancellationToken);
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot read the input closure of {derivation}: {e.Message}", e);
        }

        var candidates = new HashSet<StorePath>(outputs);
        foreach (var line in closure.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (StorePath.TryParse(line, out var p) && !p.IsDerivation)
            {
                candidates.Add(p);
            }
        }

        return [.. candidates];
    }

    private async Task<Dictionary<string, string>> EffectiveSettingsAsync(NixCli nix, CancellationToken cancellationToken)
    {
        Dictionary<string, string> settings;
        try
        {
            settings = new Dictionary<string, string>(await nix.ShowConfigAsync(cancellationToken), StringComparer.Ordinal);
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot read the Nix settings: {e.Message}", e);
        }

        foreach (var (name, value) in EffectiveRebuildOptions())
        {
            settings[name] = value;
        }

        return settings;
    }

    /// <summary>Removes the build directories <c>--keep-failed</c> left (Nix prints "keeping build directory '...'").</summary>
    private static void RemoveKeptBuildDirectories(string error)
    {
        const string Marker = "keeping build directory '";
        foreach (var line in error.Split('\n'))
        {
            var at = line.IndexOf(Marker, StringComparison.Ordinal);
            var end = at < 0 ? -1 : line.IndexOf('\'', at + Marker.Length);
            if (end < 0)
            {
                continue;
            }

            var directory = line[(at + Marker.Length)..end];
            // Only Nix's own temporary build directories, never anything a malformed message could name.
            if (Path.GetFileName(directory).StartsWith("nix-build-", StringComparison.Ordinal) && Path.IsPathFullyQualified(directory))
            {
                DeletePath(directory);
            }
        }
    }

    private static void DeletePath(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || File.Exists(path))
            {
                info.Delete();
            }
            else if (Directory.Exists(path))
            {
                MakeWritable(path);
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AttestationException($"Cannot remove '{path}': {e.Message}", e);
        }
    }

    private static void MakeWritable(string directory)
    {
        // Store outputs are read-only (0555 directories): make them deletable first.
        File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            if (new DirectoryInfo(sub).LinkTarget is null)
            {
                MakeWritable(sub);
            }
        }
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
        return (rebuild, await EffectiveSettingsAsync(rebuild, cancellationToken));
    }

    private async Task RealiseAsync(NixCli nix, StorePath derivation, bool check, CancellationToken cancellationToken)
    {
        var (exitCode, error) = await RunRealiseAsync(nix, derivation, check, cancellationToken);
        if (exitCode != 0)
        {
            throw new AttestationException($"Rebuilding {derivation} failed (exit {exitCode}): {LastLine(error)}");
        }
    }

    private async Task<(int ExitCode, string Error)> RunRealiseAsync(NixCli nix, StorePath derivation, bool check, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--realise", derivation.FullPath };
        arguments.AddRange(nix.StoreArguments());
        if (check)
        {
            // --keep-failed makes Nix keep a differing result as <out>.check instead of discarding it.
            arguments.AddRange(["--check", "--keep-failed"]);
        }

        foreach (var (name, value) in EffectiveRebuildOptions())
        {
            arguments.AddRange(["--option", name, value]);
        }

        var (exitCode, _, error) = await nix.RunRawAsync("nix-store", arguments, cancellationToken);
        return (exitCode, error);
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

    /// <summary>What a <c>--check</c> rebuild found.</summary>
    /// <param name="Originals">The registered NAR hash of every output.</param>
    /// <param name="Differences">The outputs Nix found different, with their kept results; empty when all matched.</param>
    /// <param name="Settings">The Nix settings of the rebuild.</param>
    /// <param name="StartedOn">When the rebuild started.</param>
    /// <param name="FinishedOn">When it finished.</param>
    private sealed record CheckResult(
        IReadOnlyDictionary<StorePath, NixHash> Originals, IReadOnlyList<CheckDifference> Differences,
        IReadOnlyDictionary<string, string> Settings, DateTimeOffset StartedOn, DateTimeOffset FinishedOn);

    private sealed record CheckDifference(string Name, StorePath Path, string CheckPath);
}

/// <summary>How far <see cref="Rebuilder.RebuildUnconfirmedAsync"/> got in one log.</summary>
/// <param name="Log">The log's URL.</param>
/// <param name="Origin">The log's origin, when its checkpoint could be read.</param>
/// <param name="NextIndex">The next index to examine (saved for the next run).</param>
/// <param name="Error">Why the scan of this log stopped early, or null.</param>
public sealed record LogScanResult(Uri Log, string? Origin, long NextIndex, string? Error);
