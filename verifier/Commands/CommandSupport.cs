using System.CommandLine;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Cli.Commands;

/// <summary>What every verb does the same way: load the policy, report errors on stderr.</summary>
internal static class CommandSupport
{
    public const string PolicyEnvironmentVariable = "ATTEST_VERIFY_POLICY";

    public static string DefaultPolicyPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "attest-verify", "policy.json");

    public static TextWriter Out(ParseResult parseResult) => parseResult.InvocationConfiguration.Output;

    public static TextWriter Error(ParseResult parseResult) => parseResult.InvocationConfiguration.Error;

    /// <summary>Loads the policy named by <c>--policy</c>, the environment or the default, or prints why not.</summary>
    public static TrustPolicy? LoadPolicy(ParseResult parseResult, CommonOptions options)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PolicyEnvironmentVariable);
        string path = parseResult.GetValue(options.Policy)
            ?? (string.IsNullOrEmpty(fromEnvironment) ? DefaultPolicyPath : fromEnvironment);
        try
        {
            return TrustPolicyReader.ReadFile(path);
        }
        catch (PolicyFormatException e)
        {
            Fail(parseResult, $"the policy {path} is not valid: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(parseResult, $"cannot read the policy {path}: {e.Message}");
        }

        return null;
    }

    public static int Fail(ParseResult parseResult, string message)
    {
        Error(parseResult).WriteLine($"attest-verify: {message}");
        return ExitCodes.Error;
    }
}
