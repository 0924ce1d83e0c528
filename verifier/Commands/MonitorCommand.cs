using System.CommandLine;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;
using Attest.Transparency.Witness;
using Attest.Verifier.Monitoring;

namespace Attest.Verifier.Cli.Commands;

/// <summary>
/// <c>attest-verify monitor</c>: follows the logs' checkpoints and tiles, verifies consistency and re-derives the tree
/// from the entries, keeps its state on disk, and reports misbehaviour loudly on stderr with exit code 3. Optionally
/// a c2sp.org/tlog-witness that cosigns only checkpoints it verified.
/// </summary>
internal sealed class MonitorCommand : Command
{
    private readonly CommonOptions _common;
    private readonly MonitorOptions _logs = new();
    private readonly Option<bool> _once = new("--once") { Description = "Catch up once and exit (0 clean, 2 unreachable, 3 misbehaviour)." };
    private readonly Option<int> _interval = new("--interval")
    {
        Description = "Seconds between passes in continuous mode.",
        DefaultValueFactory = _ => 60,
    };

    private readonly Option<bool> _checkSearch = new("--check-search") { Description = "Also query /v1/search for every indexed store path and report entries the log omits or alters." };
    private readonly Option<string?> _witnessKey = new("--witness-key") { Description = "Act as a tlog-witness with this note private key file (needs --listen)." };
    private readonly Option<string?> _listen = new("--listen") { Description = "Serve POST /add-checkpoint at this URL, for example http://127.0.0.1:7380 (needs --witness-key)." };

    public MonitorCommand(CommonOptions common)
        : base("monitor", "Follow logs, verify every checkpoint, tile and entry, and report forks, split views, rewritten tiles and vanished entries: exit 3.")
    {
        _common = common;
        _logs.AddTo(this);
        Options.Add(_once);
        Options.Add(_interval);
        Options.Add(_checkSearch);
        Options.Add(_witnessKey);
        Options.Add(_listen);
        _interval.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 86_400)
            {
                result.AddError("--interval must be between 1 and 86400 seconds.");
            }
        });
        Validators.Add(result =>
        {
            if (result.GetValue(_witnessKey) is null != (result.GetValue(_listen) is null))
            {
                result.AddError("--witness-key and --listen go together.");
            }

            if (result.GetValue(_listen) is { } listen && MonitorOptions.ParseHttpUrl(listen) is null)
            {
                result.AddError("--listen must be an absolute http(s) URL.");
            }

            if (result.GetValue(_listen) is not null && result.GetValue(_once))
            {
                result.AddError("A witness serves requests; it cannot run with --once.");
            }
        });
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (logs, _) = _logs.Resolve(parseResult, _common);
        if (logs is null)
        {
            return MonitorExitCodes.Error;
        }

        if (logs.Count == 0)
        {
            return CommandSupport.Fail(parseResult, "the policy names no log to monitor.");
        }

        var stateDirectory = MonitorOptions.StateDirectory(parseResult, _common);
        MonitorStateStore store;
        try
        {
            store = new MonitorStateStore(stateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, $"cannot use the state directory {stateDirectory}: {e.Message}");
        }

        using var http = _common.Http();
        var monitors = logs.Select(l => new LogMonitor(l, http, store)).ToList();
        var output = CommandSupport.Out(parseResult);
        var error = CommandSupport.Error(parseResult);
        var checkSearch = parseResult.GetValue(_checkSearch);
        if (parseResult.GetValue(_once))
        {
            var worst = MonitorExitCodes.Ok;
            foreach (var monitor in monitors)
            {
                worst = Math.Max(worst, await PassAsync(monitor, null, checkSearch, output, error, cancellationToken));
            }

            return worst;
        }

        MonitorWitness? witness = null;
        WebApplication? app = null;
        FileWitnessStateStore? witnessState = null;
        try
        {
            if (parseResult.GetValue(_witnessKey) is { } keyFile)
            {
                CosignatureSigner signer;
                try
                {
                    signer = CosignatureSigner.Import((await File.ReadAllTextAsync(keyFile, cancellationToken)).Trim());
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
                {
                    return CommandSupport.Fail(parseResult, $"cannot read the witness key {keyFile}: {e.Message}");
                }

                witnessState = new FileWitnessStateStore(Path.Combine(stateDirectory, "witness"));
                var witnessLogs = logs.Select(l => new WitnessLog(l.Origin, NoteVerifier.Import(l.VerifierKey)));
                witness = new MonitorWitness(monitors, new CheckpointWitness(witnessLogs, witnessState, signer));
                app = BuildWitnessApp(MonitorOptions.ParseHttpUrl(parseResult.GetRequiredValue(_listen)!)!, witness);
                await app.StartAsync(cancellationToken);
                await output.WriteLineAsync($"Witness {signer.Verifier.Encode()} listening on {parseResult.GetRequiredValue(_listen)}.");
            }

            var interval = TimeSpan.FromSeconds(parseResult.GetValue(_interval));
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var monitor in monitors)
                {
                    if (await PassAsync(monitor, witness, checkSearch, output, error, cancellationToken) == MonitorExitCodes.Misbehaviour)
                    {
                        // The state was not advanced: a restart repeats the finding until an operator has looked.
                        return MonitorExitCodes.Misbehaviour;
                    }
                }

                var delay = Task.Delay(interval, cancellationToken);
                if (witness is not null && await Task.WhenAny(delay, witness.Misbehaviour) == witness.Misbehaviour)
                {
                    // A checkpoint offered to the witness proved the log dishonest: as loud and final as a pass finding.
                    return await ReportAsync(await witness.Misbehaviour, output, error);
                }

                try
                {
                    await delay;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return MonitorExitCodes.Ok;
        }
        finally
        {
            if (app is not null)
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }

            witnessState?.Dispose();
        }
    }

    private static async Task<int> PassAsync(LogMonitor monitor, MonitorWitness? witness, bool checkSearch, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        MonitorResult result;
        try
        {
            result = witness is null
                ? await monitor.PassAsync(checkSearch, cancellationToken)
                : await witness.PassAsync(monitor, checkSearch, cancellationToken);
        }
        catch (FormatException e)
        {
            await error.WriteLineAsync($"attest-verify: monitor state for {monitor.Origin} is unusable: {e.Message}");
            return MonitorExitCodes.Error;
        }

        return await ReportAsync(result, output, error);
    }

    private static async Task<int> ReportAsync(MonitorResult result, TextWriter output, TextWriter error)
    {
        if (result.Findings.Count == 0)
        {
            await output.WriteLineAsync(result.TreeSize == result.PreviousSize
                ? $"{result.Origin}: size {result.TreeSize}, nothing new; consistent."
                : $"{result.Origin}: size {result.PreviousSize} -> {result.TreeSize}, {result.EntriesVerified} entries re-derived; consistent.");
            return MonitorExitCodes.Ok;
        }

        var misbehaved = result.Findings.Any(f => f.IsMisbehaviour);
        if (misbehaved)
        {
            await error.WriteLineAsync("!!! attest-verify monitor: LOG MISBEHAVIOUR DETECTED !!!");
        }

        foreach (var finding in result.Findings)
        {
            await error.WriteLineAsync((finding.IsMisbehaviour ? "!!! " : "attest-verify: ") + finding);
        }

        if (misbehaved)
        {
            await error.WriteLineAsync($"!!! The verified state of {result.Origin} stays at size {result.PreviousSize}; keep the evidence and contact the log operator.");
        }

        return misbehaved ? MonitorExitCodes.Misbehaviour : MonitorExitCodes.Error;
    }

    private static WebApplication BuildWitnessApp(Uri listen, MonitorWitness witness)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(listen.AbsoluteUri.TrimEnd('/'));
        var app = builder.Build();
        app.MapPost("/add-checkpoint", async (HttpContext context) =>
        {
            if (context.Request.ContentLength > AddCheckpointRequest.MaxBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            using var body = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (body.Length + read > AddCheckpointRequest.MaxBodyBytes)
                {
                    context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                    return;
                }

                await body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            }

            var response = await witness.AddCheckpointAsync(body.ToArray(), context.RequestAborted);
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
        });
        return app;
    }
}
