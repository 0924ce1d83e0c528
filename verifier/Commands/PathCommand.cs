using System.CommandLine;
using Attest.Nix;
using Attest.Verifier.Bundles;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Cli.Commands;

/// <summary>
/// <c>attest-verify path &lt;store-path&gt;...</c>: checks every attestation of each path in every policy log (or in a
/// saved bundle) and applies the quorum; exit 0 when all are trusted, 1 when one is not, 2 on any error.
/// </summary>
internal sealed class PathCommand : Command
{
    private readonly CommonOptions _common;
    private readonly Argument<string[]> _paths = new("store-path") { Description = "Store paths to verify.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string?> _narHash = new("--nar-hash") { Description = "The NAR hash to check (sha256:<nix32|hex> or SRI); one path only." };
    private readonly Option<string?> _narInfo = new("--narinfo") { Description = "Take the path's NAR hash from this narinfo file or URL; one path only." };
    private readonly Option<bool> _json = new("--json") { Description = "Print the verdicts as JSON for programs." };
    private readonly Option<string?> _offline = new("--offline") { Description = "Verify from this saved bundle instead of the logs (no network)." };
    private readonly Option<string?> _saveBundle = new("--save-bundle") { Description = "Write the entries and proofs found to this bundle file, for --offline later." };
    private readonly Option<int> _parallel = new("--parallel")
    {
        Description = "Paths verified at once in batch mode.",
        DefaultValueFactory = _ => 8,
    };

    public PathCommand(CommonOptions common)
        : base("path", "Verify store paths against the trust policy's quorum: exit 0 trusted, 1 not trusted, 2 error.")
    {
        _common = common;
        Arguments.Add(_paths);
        Options.Add(_narHash);
        Options.Add(_narInfo);
        Options.Add(_json);
        Options.Add(_offline);
        Options.Add(_saveBundle);
        Options.Add(_parallel);
        _parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 256)
            {
                result.AddError("--parallel must be between 1 and 256.");
            }
        });
        Validators.Add(result =>
        {
            int paths = result.GetValue(_paths)?.Length ?? 0;
            bool hash = result.GetValue(_narHash) is not null;
            bool narInfo = result.GetValue(_narInfo) is not null;
            if (hash && narInfo)
            {
                result.AddError("Give --nar-hash or --narinfo, not both.");
            }

            if ((hash || narInfo) && paths != 1)
            {
                result.AddError("--nar-hash and --narinfo apply to exactly one store path.");
            }

            if (result.GetValue(_offline) is not null && result.GetValue(_saveBundle) is not null)
            {
                result.AddError("--offline and --save-bundle cannot be combined.");
            }
        });
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadPolicy(parseResult, _common) is not { } policy)
        {
            return ExitCodes.Error;
        }

        var paths = new List<StorePath>();
        foreach (string text in parseResult.GetRequiredValue(_paths))
        {
            if (!StorePath.TryParse(text.TrimEnd('/'), out StorePath path))
            {
                return CommandSupport.Fail(parseResult, $"\"{text}\" is not a store path (/nix/store/<hash>-<name>).");
            }

            paths.Add(path);
        }

        // Created only when needed, so --offline with a given hash never touches the network.
        using var http = new LazyHttpClient(_common.Http);
        List<PathQuery> queries;
        try
        {
            queries = await ResolveHashesAsync(parseResult, paths, http, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return CommandSupport.Fail(parseResult, e.Message);
        }

        PathVerifier verifier;
        try
        {
            verifier = await CreateVerifierAsync(parseResult, policy, http, cancellationToken);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, e.Message);
        }

        IReadOnlyList<PathOutcome> outcomes;
        using (verifier)
        {
            outcomes = await verifier.VerifyManyAsync(queries, parseResult.GetValue(_parallel), cancellationToken);
        }

        if (parseResult.GetValue(_saveBundle) is { } bundleFile)
        {
            var verified = outcomes.Where(o => o.Verification is not null).Select(o => o.Verification!).ToList();
            var bundle = OfflineBundle.Create(verified.SelectMany(v => v.Evidence), verified.SelectMany(v => v.Registry));
            try
            {
                await File.WriteAllBytesAsync(bundleFile, bundle.ToJson(), cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CommandSupport.Fail(parseResult, $"cannot write the bundle {bundleFile}: {e.Message}");
            }
        }

        TextWriter output = CommandSupport.Out(parseResult);
        if (parseResult.GetValue(_json))
        {
            await output.WriteLineAsync(VerdictOutput.ToJson(outcomes));
        }
        else
        {
            await output.WriteAsync(VerdictOutput.ToText(outcomes));
        }

        foreach (PathOutcome failed in outcomes.Where(o => o.Error is not null))
        {
            CommandSupport.Fail(parseResult, $"{failed.Query.StorePath}: {failed.Error!.Message}");
        }

        return outcomes.Any(o => o.Error is not null) ? ExitCodes.Error
            : outcomes.All(o => o.Verification!.Verdict.Trusted) ? ExitCodes.Trusted
            : ExitCodes.NotTrusted;
    }

    private async Task<List<PathQuery>> ResolveHashesAsync(ParseResult parseResult, List<StorePath> paths, LazyHttpClient http, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(_narHash) is { } hashText)
        {
            return NixHash.TryParse(hashText, out NixHash hash) && hash.Algorithm == NixHashAlgorithm.Sha256
                ? [new PathQuery(paths[0], hash)]
                : throw new InvalidOperationException($"--nar-hash \"{hashText}\" is not a sha256 hash (sha256:<nix32>, sha256:<hex> or sha256-<base64>).");
        }

        if (parseResult.GetValue(_narInfo) is { } narInfo)
        {
            PathQuery fromNarInfo = await NarHashSources.FromNarInfoAsync(narInfo, http.Value, cancellationToken);
            return fromNarInfo.StorePath == paths[0]
                ? [fromNarInfo]
                : throw new InvalidOperationException($"The narinfo {narInfo} describes {fromNarInfo.StorePath}, not {paths[0]}.");
        }

        var queries = new List<PathQuery>(paths.Count);
        foreach (StorePath path in paths)
        {
            queries.Add(new PathQuery(path, await NarHashSources.FromLocalStoreAsync(path, cancellationToken)));
        }

        return queries;
    }

    private async Task<PathVerifier> CreateVerifierAsync(ParseResult parseResult, TrustPolicy policy, LazyHttpClient http, CancellationToken cancellationToken)
    {
        if (parseResult.GetValue(_offline) is { } bundleFile)
        {
            var info = new FileInfo(bundleFile);
            if (info.Exists && info.Length > OfflineBundle.MaxBundleBytes)
            {
                throw new FormatException($"The bundle {bundleFile} is larger than {OfflineBundle.MaxBundleBytes} bytes.");
            }

            byte[] bytes = await File.ReadAllBytesAsync(bundleFile, cancellationToken);
            return OfflineBundle.TryParse(bytes, out OfflineBundle? bundle, out string? error)
                ? new PathVerifier(policy, [bundle])
                : throw new FormatException($"The bundle {bundleFile} is not valid: {error}");
        }

        var state = new VerifierState(parseResult.GetValue(_common.State) ?? VerifierState.DefaultDirectory);
        return PathVerifier.ForLogs(policy, http.Value, state);
    }
}

/// <summary>An HTTP client made on first use and disposed with its owner.</summary>
internal sealed class LazyHttpClient(Func<HttpClient> create) : IDisposable
{
    private HttpClient? _client;

    public HttpClient Value => _client ??= create();

    public void Dispose() => _client?.Dispose();
}
