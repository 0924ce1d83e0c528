using System.CommandLine;
using Attest.Agent.Core.Configuration;

namespace Attest.Agent.Commands;

/// <summary>What every command does the same way: load the configuration, report errors on stderr.</summary>
internal static class CommandSupport
{
    public static TextWriter Out(ParseResult parseResult) => parseResult.InvocationConfiguration.Output;

    public static TextWriter Error(ParseResult parseResult) => parseResult.InvocationConfiguration.Error;

    /// <summary>Loads the configuration, or prints why not and returns <see langword="null"/>.</summary>
    public static AgentOptions? LoadOptions(ParseResult parseResult, Option<string?> config)
    {
        var path = AgentOptions.ResolvePath(parseResult.GetValue(config));
        try
        {
            return AgentOptions.Load(path);
        }
        catch (AgentConfigurationException e)
        {
            Error(parseResult).WriteLine($"attest-agent: {e.Message}");
            return null;
        }
    }

    public static int Fail(ParseResult parseResult, int exitCode, string message)
    {
        Error(parseResult).WriteLine($"attest-agent: {message}");
        return exitCode;
    }
}
