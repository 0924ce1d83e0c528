using Attest.Log.Storage;
using Attest.LogServer.Apis;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.LogServer;

/// <summary>Builds and runs the log server: configuration, keys, the engine, and the HTTP surface.</summary>
public static class LogServerApp
{
    /// <summary>The address used when no <c>--urls</c> (or ASPNETCORE_URLS / HTTP_PORTS) is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>Short command-line flags mapped to configuration keys.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "Log:DataDirectory",
        ["--origin"] = "Log:Origin",
        ["--key-file"] = "Log:KeyFile",
        ["--admin-key-file"] = "Log:AdminKeyFile",
        ["--admin-token"] = "Log:AdminToken",
        ["--batch-size"] = "Log:Sequencer:MaxBatchSize",
        ["--batch-interval"] = "Log:Sequencer:BatchInterval",
        ["--queue-capacity"] = "Log:Sequencer:QueueCapacity",
        ["--builder-rate"] = "Log:BuilderRatePerSecond",
        ["--builder-burst"] = "Log:BuilderBurst",
        ["--witness-quorum"] = "Log:WitnessQuorum",
    };

    /// <summary>Runs the server until it is stopped; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = await BuildAsync(args);
        }
        catch (LogStoreException ex)
        {
            await Console.Error.WriteLineAsync($"attest-log: {ex.Message}");
            return ExitCodes.StoreRefused;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"attest-log: {ex.Message}");
            return ExitCodes.BadConfiguration;
        }

        await using (app)
        {
            await app.RunAsync();
        }

        return ExitCodes.Success;
    }

    /// <summary>Creates the application: reads configuration, creates or loads the keys, opens the log, maps the endpoints.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        // appsettings.json ships beside the binary; relative paths in it (./data) still resolve against the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var options = ServerOptions.Bind(builder.Configuration);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(options);

        // Keys and the store are set up before the host starts so a refusal stops the process with its reason.
        using (var startupLoggers = LoggerFactory.Create(logging => logging.AddConsole()))
        {
            builder.Services.AddSingleton(ServerKeys.LoadOrCreate(options, startupLoggers.CreateLogger("Attest.LogServer")));
        }

        builder.Services.AddSingleton<LogComponents>();
        builder.Services.AddSingleton(services => services.GetRequiredService<LogComponents>().Engine);
        builder.Services.AddSingleton(services => services.GetRequiredService<LogComponents>().Builders);
        builder.Services.AddSingleton(services => services.GetRequiredService<LogComponents>().Gate);
        builder.Services.AddSingleton(services => services.GetRequiredService<LogComponents>().Engine.Store);
        var ekValidator = options.Tpm.CreateValidator();
        builder.Services.AddSingleton(services =>
        {
            var enrollments = services.GetRequiredService<LogComponents>().Enrollments;
            return ekValidator is null
                ? new TpmRegistrarHost(null, enrollments)
                : new TpmRegistrarHost(new Registrar(ekValidator, enrollments, new RegistrarOptions { ChallengeLifetime = options.Tpm.ChallengeLifetime }), enrollments);
        });
        builder.Services.AddHostedService<LogLifetimeService>();

        var app = builder.Build();
        var keys = app.Services.GetRequiredService<ServerKeys>();
        var log = app.Services.GetRequiredService<LogComponents>();
        try
        {
            await log.OpenAsync(options, keys, app.Services.GetRequiredService<ILoggerFactory>(), CancellationToken.None);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var engine = log.Engine;
        LogMessages.Ready(app.Logger, engine.Origin, engine.Verifier.Encode(), engine.Store.Directory);
        Console.WriteLine($"origin: {engine.Origin}");
        Console.WriteLine($"verifier key: {engine.Verifier.Encode()}");
        Console.WriteLine($"admin key: {keys.AdminKey.PublicKey}");

        app.UseExceptionHandler();
        app.MapWriteApi();
        app.MapTileApi();
        app.MapLightClientApi();
        app.MapAdminApi();
        app.MapEnrollmentApi();
        app.MapOperationsApi();
        return app;
    }
}
