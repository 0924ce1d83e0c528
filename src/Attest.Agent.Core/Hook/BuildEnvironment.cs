using System.Runtime.InteropServices;
using Attest.Agent.Core.NixTools;
using Attest.Provenance.Statements;

namespace Attest.Agent.Core.Hook;

/// <summary>Collects the environment a build ran in, recorded in the statement's internal parameters.</summary>
public static class BuildEnvironment
{
    /// <summary>The environment variable Nix exports its whole configuration in when running the hook.</summary>
    public const string NixConfigVariable = "NIX_CONFIG";

    /// <summary>
    /// Collects the environment: Nix settings from <paramref name="nixSettings"/> (the hook's <c>NIX_CONFIG</c>)
    /// or <c>nix show-config</c>, the Nix version (cached in <paramref name="stateDirectory"/>, see
    /// <see cref="NixVersionCache"/>), the kernel from <c>/proc</c>, <c>/run/current-system</c>.
    /// </summary>
    /// <param name="builderName">The builder name.</param>
    /// <param name="nix">The Nix runner.</param>
    /// <param name="nixSettings">The settings Nix passed, or <see langword="null"/> to ask Nix.</param>
    /// <param name="stateDirectory">Where the Nix version is cached, or <see langword="null"/> to always ask Nix.</param>
    /// <param name="cancellationToken">Cancels the Nix commands.</param>
    /// <returns>The environment.</returns>
    /// <exception cref="NixCommandException">Nix could not be asked.</exception>
    public static async Task<NixBuildEnvironment> CollectAsync(
        string builderName, NixCli nix, IReadOnlyDictionary<string, string>? nixSettings, string? stateDirectory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nix);
        var version = stateDirectory is null
            ? nix.GetVersionAsync(cancellationToken)
            : NixVersionCache.GetVersionAsync(nix, stateDirectory, cancellationToken);
        var settings = nixSettings ?? await nix.ShowConfigAsync(cancellationToken);
        string Setting(string name) => settings.TryGetValue(name, out var value) ? value : string.Empty;
        return new NixBuildEnvironment(
            await version,
            Setting("system"),
            Setting("sandbox"),
            Setting("substituters").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            ReadKernel(),
            ReadCurrentSystem(),
            builderName);
    }

    private static string ReadKernel()
    {
        static string Read(string name)
        {
            try
            {
                return File.ReadAllText($"/proc/sys/kernel/{name}").Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "unknown";
            }
        }

        var architecture = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{Read("ostype")} {Read("osrelease")} {architecture}";
    }

    private static string? ReadCurrentSystem()
    {
        try
        {
            return new FileInfo("/run/current-system").ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
