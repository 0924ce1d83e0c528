using System.CommandLine;

namespace Attest.Agent.Commands;

/// <summary>The <c>attest-agent</c> command tree.</summary>
internal static class AgentCli
{
    public static RootCommand CreateRootCommand()
    {
        var config = new Option<string?>("--config", "-c")
        {
            Description = $"Configuration file (default: ${Core.Configuration.AgentOptions.PathEnvironmentVariable} or {Core.Configuration.AgentOptions.DefaultPath}).",
            Recursive = true,
        };
        var root = new RootCommand("Attest build agent: attests every Nix build and delivers the attestations to a transparency log.")
        {
            config,
            new InitCommand(config),
            new HookCommand(config),
            new RunCommand(config),
            new RebuildCommand(config),
            new FlushCommand(config),
            new NarHashCommand(),
            new StatusCommand(config),
            new TpmCommand(config),
        };
        return root;
    }

    /// <summary>Parses and runs a command line; parse errors exit with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        var parseResult = CreateRootCommand().Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await configuration.Error.WriteLineAsync($"attest-agent: {error.Message}");
            }

            await configuration.Error.WriteLineAsync("Run 'attest-agent --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parseResult.InvokeAsync(configuration);
    }
}
