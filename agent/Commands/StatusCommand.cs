using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.Spool;

namespace Attest.Agent.Commands;

/// <summary><c>attest-agent status</c>: identity, outbox depth, dead letters, last delivery, last error.</summary>
internal sealed partial class StatusCommand : Command
{
    private readonly Option<string?> _config;
    private readonly Option<bool> _json = new("--json") { Description = "Print the status as one JSON object." };

    public StatusCommand(Option<string?> config)
        : base("status", "Show the builder identity and the state of the spool.")
    {
        _config = config;
        Options.Add(_json);
        SetAction(Execute);
    }

    private int Execute(ParseResult parseResult)
    {
        if (CommandSupport.LoadOptions(parseResult, _config) is not { } options)
        {
            return ExitCodes.ConfigurationError;
        }

        var outbox = new Outbox(options.SpoolDirectory);
        var delivery = AgentState.Read(options.SpoolDirectory, AgentState.DeliveryFileName);
        var hook = AgentState.Read(options.SpoolDirectory, AgentState.HookFileName);
        var lastError = (hook.LastErrorAt ?? DateTimeOffset.MinValue) > (delivery.LastErrorAt ?? DateTimeOffset.MinValue) ? hook : delivery;
        string? publicKey = null;
        string? identityError = null;
        try
        {
            using var key = BuilderIdentity.Load(options.KeyPath);
            publicKey = key.PublicKey.ToString();
        }
        catch (IOException e)
        {
            identityError = e.Message;
        }

        var status = new StatusReport(options.BuilderName, options.KeyPath, publicKey, identityError, options.LogUrls,
            outbox.CountPending(), outbox.CountDeadLetters(), delivery.LastDeliveryAt, delivery.LastDeliveredIndex,
            lastError.LastErrorAt, lastError.LastError);
        var output = CommandSupport.Out(parseResult);
        if (parseResult.GetValue(_json))
        {
            output.WriteLine(JsonSerializer.Serialize(status, StatusJsonContext.Default.StatusReport));
            return ExitCodes.Success;
        }

        output.WriteLine($"builder:        {status.Builder}");
        output.WriteLine($"public key:     {publicKey ?? $"(unavailable: {identityError})"}");
        output.WriteLine($"logs:           {string.Join(' ', options.LogUrls)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"outbox:         {status.Outbox}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dead letters:   {status.DeadLetters}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"last delivery:  {(delivery.LastDeliveryAt is { } at ? $"{at:O} (index {delivery.LastDeliveredIndex})" : "never")}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"last error:     {(lastError.LastError is { } error ? $"{lastError.LastErrorAt:O} {error}" : "none")}"));
        return ExitCodes.Success;
    }

    private sealed record StatusReport(string Builder, string KeyPath, string? PublicKey, string? IdentityError,
        IReadOnlyList<Uri> Logs, int Outbox, int DeadLetters, DateTimeOffset? LastDeliveryAt, long? LastDeliveredIndex,
        DateTimeOffset? LastErrorAt, string? LastError);

    // Source-generated: the agent is published as Native AOT, where reflection-based serialization is unavailable.
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(StatusReport))]
    private sealed partial class StatusJsonContext : JsonSerializerContext;
}
