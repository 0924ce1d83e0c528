using System.CommandLine;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Spool;
using Attest.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attest.Agent.Commands;

/// <summary><c>attest-agent run</c>: the long-running delivery service (systemd <c>Type=notify</c> friendly).</summary>
internal sealed class RunCommand : Command
{
    private readonly Option<string?> _config;

    public RunCommand(Option<string?> config)
        : base("run", "Watch the spool and deliver attestations until stopped (SIGTERM stops cleanly).")
    {
        _config = config;
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadOptions(parseResult, _config) is not { } options)
        {
            return ExitCodes.ConfigurationError;
        }

        if (options.LogUrls.Count == 0)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.ConfigurationError, "logUrls is empty: nowhere to deliver to.");
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSystemd();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new Outbox(options.SpoolDirectory));
        // One long-lived client; pooled connections are recycled so DNS changes of the log are picked up.
        builder.Services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = options.Delivery.RequestTimeout,
        });
        builder.Services.AddSingleton(services => new DeliveryService(services.GetRequiredService<Outbox>(),
            options.LogUrls.Select(u => new LogClient(services.GetRequiredService<HttpClient>(), u)).ToList(), options.Delivery,
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<DeliveryService>>()));
        builder.Services.AddHostedService<DeliveryWorker>();

        using var host = builder.Build();
        try
        {
            await host.RunAsync(cancellationToken);
        }
        catch (Exception e) when (e is SpoolException or IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IoError, e.Message);
        }

        return ExitCodes.Success;
    }
}
