using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.Spool;

namespace Attest.Agent.Commands;

/// <summary>
/// <c>attest-agent hook</c>: Nix's <c>post-build-hook</c>. Attests the build named by <c>DRV_PATH</c> and spools the
/// document; never fails the build unless <c>failBuildOnError</c> is set (Nix stops all builds when the hook fails).
/// </summary>
/// <remarks>
/// Nix waits for the hook after every build, so <c>Program</c> recognises the installed command line
/// (<see cref="TryParseFastPath"/>) and runs <see cref="RunAsync"/> without building the System.CommandLine tree,
/// which costs more start-up time than the rest of the hook; anything else goes through the full parser.
/// </remarks>
internal sealed class HookCommand : Command
{
    private readonly Option<string?> _config;

    public HookCommand(Option<string?> config)
        : base("hook", "Post-build hook: attest the build in DRV_PATH/OUT_PATHS and spool the signed attestation.")
    {
        _config = config;
        SetAction((parseResult, cancellationToken) =>
            RunAsync(parseResult.GetValue(_config), CommandSupport.Error(parseResult), cancellationToken));
    }

    /// <summary>
    /// Recognises exactly the hook command lines the documentation installs: <c>hook</c>, <c>hook --config FILE</c>,
    /// <c>hook -c FILE</c>, <c>hook --config=FILE</c>. Anything else (help, typos) is left to the full parser.
    /// </summary>
    public static bool TryParseFastPath(string[] args, out string? configPath)
    {
        configPath = null;
        switch (args)
        {
            case ["hook"]:
                return true;
            case ["hook", "--config" or "-c", var path] when path.Length > 0 && !path.StartsWith('-'):
                configPath = path;
                return true;
            case ["hook", var option] when option.StartsWith("--config=", StringComparison.Ordinal) && option.Length > "--config=".Length:
                configPath = option["--config=".Length..];
                return true;
            default:
                return false;
        }
    }

    /// <summary>Runs the hook: attest and spool, report on <paramref name="error"/> (Nix shows it in the build log).</summary>
    public static async Task<int> RunAsync(string? configPath, TextWriter error, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var request = HookRequest.FromEnvironment();
        AgentOptions options;
        try
        {
            options = AgentOptions.Load(AgentOptions.ResolvePath(configPath));
        }
        catch (AgentConfigurationException e)
        {
            // Without a configuration there is no failBuildOnError either: the safe default is not to fail.
            await error.WriteLineAsync($"attest-agent hook: {request.DrvPath}: NOT attested: {e.Message}");
            return ExitCodes.Success;
        }

        try
        {
            var result = await new HookRunner(options).RunAsync(request, cancellationToken);
            if (result.TpmWarning is { } warning)
            {
                await error.WriteLineAsync($"attest-agent hook: {request.DrvPath}: attested WITHOUT TPM evidence: {warning}");
            }

            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"attest-agent hook: attested {request.DrvPath} ({result.Statement.Outputs.Count} outputs) -> {result.Document.Name} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms (hashing {result.HashingTime.TotalMilliseconds:F1} ms)"));
            return ExitCodes.Success;
        }
        catch (AttestationException e)
        {
            await error.WriteLineAsync($"attest-agent hook: {request.DrvPath}: NOT attested: {e.Message}");
            RecordError(options, e.Message);
            return options.FailBuildOnError ? ExitCodes.AttestationFailed : ExitCodes.Success;
        }
    }

    private static void RecordError(AgentOptions options, string message)
    {
        try
        {
            new Outbox(options.SpoolDirectory).EnsureCreated();
            new AgentState(null, null, DateTimeOffset.UtcNow, message).Write(options.SpoolDirectory, AgentState.HookFileName);
        }
        catch (Exception e) when (e is SpoolException or IOException or UnauthorizedAccessException)
        {
            // The error is already on stderr, which Nix shows in the build log; a full disk must not fail the build.
        }
    }
}
