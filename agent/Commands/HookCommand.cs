using System.CommandLine;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.Spool;

namespace Attest.Agent.Commands;

/// <summary>
/// <c>attest-agent hook</c>: Nix's <c>post-build-hook</c>. Attests the build named by <c>DRV_PATH</c> and spools the
/// document; never fails the build unless <c>failBuildOnError</c> is set (Nix stops all builds when the hook fails).
/// </summary>
internal sealed class HookCommand : Command
{
    private readonly Option<string?> _config;

    public HookCommand(Option<string?> config)
        : base("hook", "Post-build hook: attest the build in DRV_PATH/OUT_PATHS and spool the signed attestation.")
    {
        _config = config;
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var request = HookRequest.FromEnvironment();
        AgentOptions options;
        try
        {
            options = AgentOptions.Load(AgentOptions.ResolvePath(parseResult.GetValue(_config)));
        }
        catch (AgentConfigurationException e)
        {
            // Without a configuration there is no failBuildOnError either: the safe default is not to fail.
            await CommandSupport.Error(parseResult).WriteLineAsync($"attest-agent hook: {request.DrvPath}: NOT attested: {e.Message}");
            return ExitCodes.Success;
        }

        try
        {
            var result = await new HookRunner(options).RunAsync(request, cancellationToken);
            if (result.TpmWarning is { } warning)
            {
                await CommandSupport.Error(parseResult).WriteLineAsync($"attest-agent hook: {request.DrvPath}: attested WITHOUT TPM evidence: {warning}");
            }

            await CommandSupport.Error(parseResult).WriteLineAsync(
                $"attest-agent hook: attested {request.DrvPath} ({result.Statement.Outputs.Count} outputs) -> {result.Document.Name}");
            return ExitCodes.Success;
        }
        catch (AttestationException e)
        {
            await CommandSupport.Error(parseResult).WriteLineAsync($"attest-agent hook: {request.DrvPath}: NOT attested: {e.Message}");
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
