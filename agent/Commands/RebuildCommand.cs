using System.CommandLine;
using System.Globalization;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.Rebuild;
using Microsoft.Extensions.Logging;

namespace Attest.Agent.Commands;

/// <summary>
/// <c>attest-agent rebuild &lt;drv-path | store-path&gt;</c> and <c>rebuild --from-log</c>: rebuild independently,
/// attest under this builder's identity, compare with the log.
/// </summary>
internal sealed class RebuildCommand : Command
{
    private readonly Option<string?> _config;
    private readonly Argument<string?> _target = new("target") { Description = "A .drv path or an output store path.", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _fromLog = new("--from-log") { Description = "Rebuild derivations in the log that only one other builder has attested." };
    private readonly Option<long?> _start = new("--start") { Description = "With --from-log: first index to examine in every log (default: where the previous run left off in each)." };
    private readonly Option<int> _max = new("--max") { Description = "With --from-log: most derivations to rebuild.", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _check = new("--check") { Description = "Rebuild with nix-store --check in the default store instead of nix.rebuildStore." };

    public RebuildCommand(Option<string?> config)
        : base("rebuild", "Rebuild a derivation independently, attest it, and compare with the log (exit 7 on mismatch, 9 if not in the log).")
    {
        _config = config;
        Arguments.Add(_target);
        Options.Add(_fromLog);
        Options.Add(_start);
        Options.Add(_max);
        Options.Add(_check);
        Validators.Add(result =>
        {
            var hasTarget = result.GetValue(_target) is not null;
            var fromLog = result.GetValue(_fromLog);
            if (hasTarget == fromLog)
            {
                result.AddError("Give either a derivation or store path, or --from-log.");
            }
        });
        _start.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() < 0)
            {
                result.AddError("--start must not be negative.");
            }
        });
        _max.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--max must be positive.");
            }
        });
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadOptions(parseResult, _config) is not { } options)
        {
            return ExitCodes.ConfigurationError;
        }

        if (options.LogUrls.Count == 0)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.ConfigurationError, "logUrls is empty: there is no log to compare with.");
        }

        using var loggerFactory = AgentLogging.CreateConsoleFactory();
        using var http = new HttpClient { Timeout = options.Delivery.RequestTimeout };
        var rebuilder = new Rebuilder(options, options.LogUrls.Select(u => new LogClient(http, u)).ToList(), TimeProvider.System,
            loggerFactory.CreateLogger<Rebuilder>());
        var output = CommandSupport.Out(parseResult);
        var check = parseResult.GetValue(_check);
        try
        {
            if (parseResult.GetValue(_fromLog))
            {
                var worst = ExitCodes.Success;
                var scans = await rebuilder.RebuildUnconfirmedAsync(parseResult.GetValue(_start), parseResult.GetValue(_max), check,
                    (derivation, report, error) =>
                    {
                        if (report is not null)
                        {
                            Print(output, report);
                            worst = Math.Max(worst, ExitCodeOf(report));
                        }
                        else
                        {
                            output.WriteLine($"{derivation}: skipped: {error}");
                        }
                    }, cancellationToken);
                foreach (var scan in scans)
                {
                    if (scan.Error is not null)
                    {
                        await CommandSupport.Error(parseResult).WriteLineAsync($"attest-agent: log {scan.Log}: {scan.Error}");
                        worst = Math.Max(worst, ExitCodes.Failure);
                    }

                    if (scan.Origin is not null)
                    {
                        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"next index: {scan.NextIndex} ({scan.Origin}, {scan.Log})"));
                    }
                }

                return worst == ExitCodes.NotInLog ? ExitCodes.Success : worst;
            }

            var result = await rebuilder.RebuildAsync(parseResult.GetValue(_target)!, check, cancellationToken);
            Print(output, result);
            return ExitCodeOf(result);
        }
        catch (AttestationException e)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.RebuildFailed, e.Message);
        }
        catch (HttpRequestException e)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.Failure, $"the log is unreachable: {e.Message}");
        }
    }

    private static int ExitCodeOf(RebuildReport report) => report.Verdict switch
    {
        OutputVerdict.Mismatch => ExitCodes.RebuildMismatch,
        OutputVerdict.NotInLog => ExitCodes.NotInLog,
        _ => ExitCodes.Success,
    };

    private static void Print(TextWriter output, RebuildReport report)
    {
        output.WriteLine($"{report.Derivation}: {Describe(report.Verdict)} (attestation spooled as {report.SpooledDocument})");
        foreach (var o in report.Outputs)
        {
            output.WriteLine($"  {o.Name} {o.Path} {o.NarHash}: {Describe(o.Verdict)}");
            if (o.OriginalNarHash is { } original)
            {
                var same = original.Equals(o.NarHash) ? "same" : "DIFFERENT";
                var kept = o.CheckPath is null ? string.Empty : $"; the rebuilt result is kept as {o.CheckPath}";
                output.WriteLine($"    {same} {original} in the local store (the original build){kept}");
            }

            foreach (var (builder, hash, index) in o.Others)
            {
                var same = hash.Equals(o.NarHash) ? "same" : "DIFFERENT";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {same} {hash} by {builder} (log index {index})"));
            }
        }

        foreach (var path in report.UncheckedOutputs)
        {
            output.WriteLine($"  {path}: not compared (nix-store --check stops at the first output that differs)");
        }
    }

    private static string Describe(OutputVerdict verdict) => verdict switch
    {
        OutputVerdict.Match => "match",
        OutputVerdict.Mismatch => "MISMATCH",
        _ => "not in the log",
    };
}
