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
        };
        return root;
    }
}
