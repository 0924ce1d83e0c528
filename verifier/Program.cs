using Attest.Verifier.Cli.Commands;

return await VerifierCli.InvokeAsync(args);
