using Microsoft.Extensions.Logging;

namespace Attest.Agent.Commands;

internal static class AgentLogging
{
    /// <summary>Logging for the one-shot commands: everything to stderr, so stdout stays machine-readable.</summary>
    public static ILoggerFactory CreateConsoleFactory() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
