using Attest.Verifier.Gate;

namespace Attest.Verifier.Cli.Gate;

/// <summary>Builds the gate's Kestrel host around a <see cref="NixCacheGate"/>.</summary>
internal static class GateHost
{
    public static WebApplication Build(NixCacheGate gate, string listenUrl, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(listenUrl);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(gate);
        WebApplication app = builder.Build();
        app.MapGateApi();
        return app;
    }
}
