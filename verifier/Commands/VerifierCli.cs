using System.CommandLine;

namespace Attest.Verifier.Cli.Commands;

/// <summary>The <c>attest-verify</c> command tree: one sealed command class per verb.</summary>
internal static class VerifierCli
{
    /// <summary>Builds the command tree; <paramref name="http"/> creates the HTTP client each command uses.</summary>
    public static RootCommand CreateRootCommand(Func<HttpClient> http)
    {
        var policy = new Option<string?>("--policy", "-p")
        {
            Description = $"Trust policy file (default: ${CommandSupport.PolicyEnvironmentVariable} or {CommandSupport.DefaultPolicyPath}).",
            Recursive = true,
        };
        var state = new Option<string?>("--state")
        {
            Description = "Directory holding the newest verified checkpoint of each log (default: ~/.local/state/attest-verify).",
            Recursive = true,
        };
        var options = new CommonOptions(policy, state, http);
        return new RootCommand("Attest verifier: decides whether Nix store paths were reproduced by enough independent, attested builders in honest logs.")
        {
            policy,
            state,
            new PathCommand(options),
            new GateCommand(options),
            new MonitorCommand(options),
            new ReportCommand(options),
        };
    }

    /// <summary>Parses and runs a command line; parse errors exit with <see cref="ExitCodes.Error"/>.</summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null, Func<HttpClient>? http = null)
    {
        configuration ??= new InvocationConfiguration();
        http ??= () => new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var parseResult = CreateRootCommand(http).Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await configuration.Error.WriteLineAsync($"attest-verify: {error.Message}");
            }

            await configuration.Error.WriteLineAsync("Run 'attest-verify --help' for usage.");
            return ExitCodes.Error;
        }

        return await parseResult.InvokeAsync(configuration);
    }
}

/// <summary>Options every verb shares, and how it gets an HTTP client.</summary>
internal sealed record CommonOptions(Option<string?> Policy, Option<string?> State, Func<HttpClient> Http);
