using Attest.LogServer;
using Attest.LogServer.Cli;

// `attest-log builders add|revoke|list ...` works on the data directory while the server is stopped;
// anything else runs the server.
if (args.Length > 0 && string.Equals(args[0], "builders", StringComparison.Ordinal))
{
    return await BuildersCommand.RunAsync(args);
}

return await LogServerApp.RunAsync(args);
