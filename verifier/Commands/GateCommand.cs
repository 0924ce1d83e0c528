using System.CommandLine;
using Attest.Nix;
using Attest.Nix.Signing;
using Attest.Verifier.Cli.Gate;
using Attest.Verifier.Gate;
using Attest.Verifier.Logs;

namespace Attest.Verifier.Cli.Commands;

/// <summary>
/// <c>attest-verify gate</c>: a Nix binary cache in front of an upstream cache that serves a narinfo only when the
/// policy's quorum holds for its store path and NAR hash (docs/gate.md). Runs until SIGINT/SIGTERM.
/// </summary>
internal sealed class GateCommand : Command
{
    private readonly CommonOptions _common;
    private readonly Option<string> _upstream = new("--upstream") { Description = "The cache in front of which the gate sits: file:///dir or http(s)://host/path.", Required = true };
    private readonly Option<string> _listen = new("--listen")
    {
        Description = "The address to listen on.",
        DefaultValueFactory = _ => "http://127.0.0.1:8090",
    };
    private readonly Option<string?> _signKey = new("--sign-key") { Description = "Re-sign served narinfos with this Nix secret key file (name:base64, as nix-store --generate-binary-cache-key writes)." };
    private readonly Option<bool> _keepSignatures = new("--keep-upstream-signatures") { Description = "With --sign-key, keep the upstream's signatures beside the gate's instead of replacing them." };
    private readonly Option<int> _priority = new("--priority")
    {
        Description = "Priority announced in nix-cache-info (lower is preferred).",
        DefaultValueFactory = _ => 30,
    };
    private readonly Option<int> _positiveTtl = new("--trusted-ttl")
    {
        Description = "Seconds a trusted decision is served before the logs are asked again.",
        DefaultValueFactory = _ => 600,
    };
    private readonly Option<int> _negativeTtl = new("--refused-ttl")
    {
        Description = "Seconds a refusal is remembered.",
        DefaultValueFactory = _ => 30,
    };
    private readonly Option<int> _cacheSize = new("--cache-size")
    {
        Description = "Most decisions kept in memory.",
        DefaultValueFactory = _ => 100_000,
    };

    private readonly Option<int> _followInterval = new("--follow-interval")
    {
        Description = "Seconds between fetches of the logs' checkpoints (newer ones make refusals be decided again).",
        DefaultValueFactory = _ => 5,
    };

    public GateCommand(CommonOptions common)
        : base("gate", "Serve a Nix binary cache that only offers paths the trust policy's quorum vouches for.")
    {
        _common = common;
        Options.Add(_upstream);
        Options.Add(_listen);
        Options.Add(_signKey);
        Options.Add(_keepSignatures);
        Options.Add(_priority);
        Options.Add(_positiveTtl);
        Options.Add(_negativeTtl);
        Options.Add(_cacheSize);
        Options.Add(_followInterval);
        AddRange(_priority, 0, 10_000, "--priority");
        AddRange(_positiveTtl, 0, 86_400 * 30, "--trusted-ttl");
        AddRange(_negativeTtl, 0, 86_400, "--refused-ttl");
        AddRange(_cacheSize, 1, 10_000_000, "--cache-size");
        AddRange(_followInterval, 1, 86_400, "--follow-interval");
        Validators.Add(result =>
        {
            if (result.GetValue(_keepSignatures) && result.GetValue(_signKey) is null)
            {
                result.AddError("--keep-upstream-signatures needs --sign-key.");
            }
        });
        SetAction(ExecuteAsync);
    }

    private static void AddRange(Option<int> option, int min, int max, string name) =>
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < min || result.GetValueOrDefault<int>() > max)
            {
                result.AddError($"{name} must be between {min} and {max}.");
            }
        });

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadPolicy(parseResult, _common) is not { } policy)
        {
            return ExitCodes.Error;
        }

        string upstreamText = parseResult.GetRequiredValue(_upstream);
        if (!Uri.TryCreate(upstreamText, UriKind.Absolute, out Uri? upstreamUrl) || upstreamUrl.Scheme is not ("file" or "http" or "https"))
        {
            return CommandSupport.Fail(parseResult, $"--upstream \"{upstreamText}\" is not a file://, http:// or https:// URL.");
        }

        string listen = parseResult.GetRequiredValue(_listen);
        if (!Uri.TryCreate(listen, UriKind.Absolute, out Uri? listenUrl) || listenUrl.Scheme is not ("http" or "https"))
        {
            return CommandSupport.Fail(parseResult, $"--listen \"{listen}\" is not an http:// URL.");
        }

        NixSigningKey? signingKey = null;
        if (parseResult.GetValue(_signKey) is { } keyFile)
        {
            try
            {
                string keyText = (await File.ReadAllTextAsync(keyFile, cancellationToken)).Trim();
                if (!NixSigningKey.TryParse(keyText, out signingKey))
                {
                    return CommandSupport.Fail(parseResult, $"{keyFile} does not hold a Nix secret key (name:base64).");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CommandSupport.Fail(parseResult, $"cannot read the signing key {keyFile}: {e.Message}");
            }
        }

        using (signingKey)
        {
            using HttpClient http = _common.Http();
            var state = new VerifierState(parseResult.GetValue(_common.State) ?? VerifierState.DefaultDirectory);
            var decisionTimeout = new NixCacheGateOptions().DecisionTimeout;
            FollowingPathDecider decider;
            try
            {
                // Checks the policy's keys up front, so a bad key fails here rather than at every request.
                foreach (var log in policy.Logs)
                {
                    _ = LogClient.CreateCheckpointPolicy(log);
                }

                decider = new FollowingPathDecider(policy, http, state, decisionTimeout * 2);
            }
            catch (FormatException e)
            {
                return CommandSupport.Fail(parseResult, e.Message);
            }

            var options = new NixCacheGateOptions
            {
                StoreDir = StorePath.DefaultStoreDir,
                Priority = parseResult.GetValue(_priority),
                SigningKey = signingKey,
                KeepUpstreamSignatures = parseResult.GetValue(_keepSignatures),
                Cache = new GateCacheOptions
                {
                    Capacity = parseResult.GetValue(_cacheSize),
                    PositiveTtl = TimeSpan.FromSeconds(parseResult.GetValue(_positiveTtl)),
                    NegativeTtl = TimeSpan.FromSeconds(parseResult.GetValue(_negativeTtl)),
                },
            };
            using var gate = new NixCacheGate(UpstreamCache.Create(upstreamUrl, http), decider, options);
            await using WebApplication app = GateHost.Build(gate, listen);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                return CommandSupport.Fail(parseResult, $"cannot listen on {listen}: {e.Message}");
            }

            string keyDescription = signingKey is null ? "the upstream (not re-signed)" : signingKey.PublicKey.ToString();
            GateLog.Started(app.Services.GetRequiredService<ILogger<NixCacheGate>>(), string.Join(", ", app.Urls), upstreamUrl.ToString(), keyDescription);
            await CommandSupport.Out(parseResult).WriteLineAsync($"attest-verify gate: listening on {string.Join(", ", app.Urls)}; trusted-public-keys = {keyDescription}");
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
            Task following = FollowAsync(decider, gate, TimeSpan.FromSeconds(parseResult.GetValue(_followInterval)), app.Services.GetRequiredService<ILogger<NixCacheGate>>(), stopping.Token);
            await app.WaitForShutdownAsync(cancellationToken);
            await stopping.CancelAsync();
            await following;
            return ExitCodes.Trusted;
        }
    }

    // Off the request path: requests are decided against the checkpoints verified last; a newer one makes the gate
    // decide refusals again and re-verify trusted paths in the background.
    private static async Task FollowAsync(FollowingPathDecider decider, NixCacheGate gate, TimeSpan interval, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                if (await decider.RefreshAsync(cancellationToken))
                {
                    gate.LogsAdvanced();
                    GateLog.LogsAdvanced(logger, string.Join(", ", decider.Checkpoints.Select(c => $"{c.Checkpoint.Origin} size {c.Checkpoint.TreeSize}")));
                }
            }
            catch (LogIntegrityException e)
            {
                gate.ForgetDecisions();
                GateLog.LogMisbehaved(logger, e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Unreachable logs, a timeout, or a state directory that cannot be written: keep deciding on what was
                // verified and try again at the next tick (the loop ends when the gate stops) rather than stop following.
                GateLog.LogsUnreachable(logger, e.Message);
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
