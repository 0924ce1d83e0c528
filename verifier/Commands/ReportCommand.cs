using System.CommandLine;
using System.Diagnostics;
using Attest.Transparency.Tiles;
using Attest.Verifier.Logs;
using Attest.Verifier.Reports;

namespace Attest.Verifier.Cli.Commands;

/// <summary>
/// <c>attest-verify report</c>: reads every entry of the logs through their verified tiles, groups attestations by
/// derivation output and writes the reproducibility report as JSON and/or a self-contained HTML page.
/// </summary>
internal sealed class ReportCommand : Command
{
    private readonly CommonOptions _common;
    private readonly MonitorOptions _logs = new();
    private readonly Option<string?> _json = new("--json") { Description = "Write the report as JSON to this file." };
    private readonly Option<string?> _html = new("--html") { Description = "Write the report as a self-contained HTML page to this file." };
    private readonly Option<int> _maxListed = new("--max-listed")
    {
        Description = "Most reproduced and built-once outputs listed (disputed ones are always all listed).",
        DefaultValueFactory = _ => 1000,
    };

    public ReportCommand(CommonOptions common)
        : base("report", "Report reproducibility across builders from the logs: reproduced, disputed and built-once outputs, per builder and per day.")
    {
        _common = common;
        _logs.AddTo(this);
        Options.Add(_json);
        Options.Add(_html);
        Options.Add(_maxListed);
        _maxListed.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 10_000_000)
            {
                result.AddError("--max-listed must be between 0 and 10000000.");
            }
        });
        Validators.Add(result =>
        {
            if (result.GetValue(_json) is null && result.GetValue(_html) is null)
            {
                result.AddError("Give --json FILE, --html FILE or both.");
            }
        });
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (logs, policy) = _logs.Resolve(parseResult, _common);
        if (logs is null)
        {
            return MonitorExitCodes.Error;
        }

        var names = policy?.Builders.ToDictionary(b => b.Key.KeyId, b => b.Name, StringComparer.Ordinal);
        var builder = new ReportBuilder(names);
        using var http = _common.Http();
        var output = CommandSupport.Out(parseResult);
        var watch = Stopwatch.StartNew();
        foreach (var log in logs)
        {
            try
            {
                var size = await ReportReader.ReadAsync(new TiledLog(log, http), builder, cancellationToken);
                await output.WriteLineAsync($"{log.Origin}: read {size} entries.");
            }
            catch (LogIntegrityException e)
            {
                CommandSupport.Fail(parseResult, e.Message);
                return MonitorExitCodes.Misbehaviour;
            }
            catch (TileVerificationException e)
            {
                CommandSupport.Fail(parseResult, $"log {log.Origin} served tiles or entries that do not match its checkpoint: {e.Message}");
                return MonitorExitCodes.Misbehaviour;
            }
            catch (Exception e) when (e is LogUnreachableException or TileNotFoundException or HttpRequestException)
            {
                return CommandSupport.Fail(parseResult, $"cannot read log {log.Origin}: {e.Message}");
            }
        }

        var report = builder.Build(DateTimeOffset.UtcNow, parseResult.GetValue(_maxListed));
        try
        {
            if (parseResult.GetValue(_json) is { } jsonPath)
            {
                await using var stream = File.Create(jsonPath);
                ReportJsonWriter.Write(report, stream);
            }

            if (parseResult.GetValue(_html) is { } htmlPath)
            {
                await using var writer = new StreamWriter(htmlPath);
                ReportHtmlWriter.Write(report, writer);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, $"cannot write the report: {e.Message}");
        }

        var t = report.Totals;
        await output.WriteLineAsync(
            $"{t.Outputs} outputs: {t.Reproduced} reproduced, {t.Disputed} disputed, {t.BuiltOnce} built once ({t.Attestations} attestations, {t.Builders} builders) in {watch.Elapsed.TotalSeconds:0.0} s.");
        return MonitorExitCodes.Ok;
    }
}
