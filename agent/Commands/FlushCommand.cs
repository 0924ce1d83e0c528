using System.CommandLine;
using System.Globalization;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Spool;
using Microsoft.Extensions.Logging;

namespace Attest.Agent.Commands;

/// <summary><c>attest-agent flush</c>: deliver the outbox once, retrying for up to <c>--wait</c>.</summary>
internal sealed class FlushCommand : Command
{
    private readonly Option<string?> _config;
    private readonly Option<double> _wait = new("--wait")
    {
        Description = "Seconds to keep retrying while a log is unreachable (0: a single pass).",
        DefaultValueFactory = _ => 0,
    };

    public FlushCommand(Option<string?> config)
        : base("flush", "Deliver every spooled attestation once; exits 5 if some remain, 6 if a log refused some.")
    {
        _config = config;
        _wait.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is < 0 or > 86_400)
            {
                result.AddError("--wait must be between 0 and 86400 seconds.");
            }
        });
        Options.Add(_wait);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadOptions(parseResult, _config) is not { } options)
        {
            return ExitCodes.ConfigurationError;
        }

        using var loggerFactory = AgentLogging.CreateConsoleFactory();
        using var http = new HttpClient { Timeout = options.Delivery.RequestTimeout };
        DeliveryService service;
        try
        {
            service = new DeliveryService(new Outbox(options.SpoolDirectory), options.LogUrls.Select(u => new LogClient(http, u)).ToList(),
                options.Delivery, TimeProvider.System, loggerFactory.CreateLogger<DeliveryService>());
        }
        catch (AgentConfigurationException e)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.ConfigurationError, e.Message);
        }

        DeliveryPass result;
        try
        {
            result = await service.FlushAsync(TimeSpan.FromSeconds(parseResult.GetValue(_wait)), cancellationToken);
        }
        catch (Exception e) when (e is SpoolException or IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IoError, e.Message);
        }

        await CommandSupport.Out(parseResult).WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"delivered {result.Delivered}, dead-lettered {result.DeadLettered}, pending {result.Pending}"));
        if (result.Pending > 0)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.DeliveryIncomplete,
                $"{result.Pending} attestation(s) remain in the outbox: {result.LastError ?? "a log is backing off"}");
        }

        return result.DeadLettered > 0 ? ExitCodes.DeadLettered : ExitCodes.Success;
    }
}
