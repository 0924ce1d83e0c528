using System.CommandLine;
using System.Globalization;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.Tpm;

namespace Attest.Agent.Commands;

/// <summary><c>attest-agent tpm</c>: TPM commands (<c>enroll</c>).</summary>
internal sealed class TpmCommand : Command
{
    public TpmCommand(Option<string?> config)
        : base("tpm", "TPM attestation key commands.")
    {
        Subcommands.Add(new TpmEnrollCommand(config));
    }
}

/// <summary>
/// <c>attest-agent tpm enroll</c>: binds the configured AK to the builder key at every configured log (or <c>--log</c>):
/// the registrar checks the EK certificate, the TPM answers its credential challenge, the log appends the binding.
/// </summary>
internal sealed class TpmEnrollCommand : Command
{
    private readonly Option<string?> _config;
    private readonly Option<Uri?> _log = new("--log") { Description = "Enroll with this log only (default: every log in the configuration)." };

    public TpmEnrollCommand(Option<string?> config)
        : base("enroll", "Enroll the TPM attestation key with the logs' registrars (EK certificate check, credential activation).")
    {
        _config = config;
        Options.Add(_log);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (CommandSupport.LoadOptions(parseResult, _config) is not { } options)
        {
            return ExitCodes.ConfigurationError;
        }

        if (options.Tpm is not { } tpm)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.ConfigurationError, "the configuration has no \"tpm\" section.");
        }

        IReadOnlyList<Uri> logs = parseResult.GetValue(_log) is { } one ? [one] : options.LogUrls;
        if (logs.Count == 0)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.Usage, "no log to enroll with: configure logUrls or pass --log.");
        }

        using var key = LoadKey(parseResult, options.KeyPath, out int failure);
        if (key is null)
        {
            return failure;
        }

        using var http = new HttpClient { Timeout = options.Delivery.RequestTimeout };
        var output = CommandSupport.Out(parseResult);
        foreach (var log in logs)
        {
            try
            {
                var result = await TpmEnrollmentClient.EnrollAsync(http, log, key, tpm, cancellationToken);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"enrolled AK {result.AkName} for builder {result.BuilderKeyId} at {log} (log index {result.LogIndex})"));
            }
            catch (TpmEnrollmentException e)
            {
                return CommandSupport.Fail(parseResult, ExitCodes.Failure, $"tpm enroll at {log}: {e.Message}");
            }
        }

        return ExitCodes.Success;
    }

    private static Provenance.Signing.IdentityKey? LoadKey(ParseResult parseResult, string path, out int failure)
    {
        try
        {
            failure = ExitCodes.Success;
            return BuilderIdentity.Load(path);
        }
        catch (IOException e)
        {
            failure = CommandSupport.Fail(parseResult, ExitCodes.IoError, e.Message);
            return null;
        }
    }
}
