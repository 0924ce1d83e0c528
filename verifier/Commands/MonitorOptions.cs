using System.CommandLine;
using Attest.Transparency.Notes;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Cli.Commands;

/// <summary>The log-selection options <c>monitor</c> and <c>report</c> share: the policy's logs, or one log named on the command line.</summary>
internal sealed class MonitorOptions
{
    public Option<string?> Log { get; } = new("--log") { Description = "Follow this log URL instead of the policy's logs (with --key and --origin)." };

    public Option<string?> Key { get; } = new("--key") { Description = "The log's note verifier key (with --log)." };

    public Option<string?> Origin { get; } = new("--origin") { Description = "The log's origin (with --log; default: the key's name)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Log);
        command.Options.Add(Key);
        command.Options.Add(Origin);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Log) is null != (result.GetValue(Key) is null))
            {
                result.AddError("--log and --key go together.");
            }

            if (result.GetValue(Origin) is not null && result.GetValue(Log) is null)
            {
                result.AddError("--origin needs --log.");
            }

            if (result.GetValue(Log) is { } text && ParseHttpUrl(text) is null)
            {
                result.AddError("--log must be an absolute http(s) URL.");
            }
        });
    }

    /// <summary>The logs to follow, and the policy when one was loaded (null with --log); null logs after an error was printed.</summary>
    public (IReadOnlyList<LogPolicy>? Logs, TrustPolicy? Policy) Resolve(ParseResult parseResult, CommonOptions common)
    {
        if (parseResult.GetValue(Log) is { } text && ParseHttpUrl(text) is { } url)
        {
            var key = parseResult.GetRequiredValue(Key)!;
            if (!NoteVerifier.TryImport(key, out var verifier, out var error))
            {
                CommandSupport.Fail(parseResult, $"--key is not a note verifier key: {error}");
                return (null, null);
            }

            var origin = parseResult.GetValue(Origin) ?? verifier.Name;
            var withSlash = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
            return ([new LogPolicy(origin, key, withSlash, WitnessPolicy.None)], null);
        }

        var policy = CommandSupport.LoadPolicy(parseResult, common);
        return policy is null ? (null, null) : (policy.Logs, policy);
    }

    /// <summary>An absolute http(s) URL, or null.</summary>
    public static Uri? ParseHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null;

    /// <summary>The monitor's state directory: <c>monitor/</c> under <c>--state</c> or the default state directory.</summary>
    public static string StateDirectory(ParseResult parseResult, CommonOptions common) =>
        Path.Combine(
            parseResult.GetValue(common.State)
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "attest-verify"),
            "monitor");
}
