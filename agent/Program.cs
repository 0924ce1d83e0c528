using Attest.Agent.Commands;

// Nix runs the post-build hook after every build and waits for it: its command line skips the full parser.
return HookCommand.TryParseFastPath(args, out var hookConfig)
    ? await HookCommand.RunAsync(hookConfig, Console.Error, CancellationToken.None)
    : await AgentCli.InvokeAsync(args);
