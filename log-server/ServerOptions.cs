using Attest.Log;
using Attest.Log.Enrollment;

namespace Attest.LogServer;

/// <summary>The host's configuration: the engine's <see cref="LogOptions"/> plus the admin API token.</summary>
public sealed class ServerOptions
{
    /// <summary>The engine configuration (section <c>Log</c>).</summary>
    public LogOptions Log { get; } = new();

    /// <summary>The TPM registrar configuration (section <c>Log:Tpm</c>).</summary>
    public TpmEnrollmentOptions Tpm { get; } = new();

    /// <summary>The admin API bearer token (<c>Log:AdminToken</c>); when unset, one is created in <c>&lt;data&gt;/admin.token</c>.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Reads and validates the configuration.</summary>
    public static ServerOptions Bind(IConfiguration configuration)
    {
        var options = new ServerOptions();
        var section = configuration.GetSection("Log");
        section.Bind(options.Log);
        options.AdminToken = section["AdminToken"];
        section.GetSection("Tpm").Bind(options.Tpm);
        options.Log.Validate();
        options.Tpm.Validate();
        return options;
    }
}
