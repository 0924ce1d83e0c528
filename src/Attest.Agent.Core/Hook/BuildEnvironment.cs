using System.Runtime.InteropServices;
using Attest.Agent.Core.NixTools;

namespace Attest.Agent.Core.Hook;

/// <summary>The environment a build ran in, recorded in the statement's internal parameters.</summary>
/// <param name="BuilderName">The configured builder name.</param>
/// <param name="NixVersion">The Nix version (<c>2.8.0</c>).</param>
/// <param name="System">Nix's <c>system</c> setting (<c>x86_64-linux</c>).</param>
/// <param name="Sandbox">Nix's <c>sandbox</c> setting (<c>true</c>, <c>false</c>, <c>relaxed</c>).</param>
/// <param name="Substituters">Nix's <c>substituters</c>, space-separated as Nix prints them.</param>
/// <param name="Store">The store the build used (<c>auto</c> or its URI).</param>
/// <param name="Kernel">The running kernel: <c>ostype osrelease version arch</c>.</param>
/// <param name="CurrentSystem">The store path <c>/run/current-system</c> points to on NixOS, when present.</param>
public sealed record BuildEnvironment(
    string BuilderName,
    string NixVersion,
    string System,
    string Sandbox,
    string Substituters,
    string Store,
    string Kernel,
    string? CurrentSystem)
{
    /// <summary>The environment variable Nix exports its whole configuration in when running the hook.</summary>
    public const string NixConfigVariable = "NIX_CONFIG";

    /// <summary>
    /// Collects the environment: Nix settings from <paramref name="nixConfig"/> (the hook's <c>NIX_CONFIG</c>)
    /// or <c>nix show-config</c>, the Nix version, the kernel from <c>/proc</c>, <c>/run/current-system</c>.
    /// </summary>
    /// <param name="builderName">The builder name.</param>
    /// <param name="nix">The Nix runner.</param>
    /// <param name="nixConfig">The settings Nix passed, or <see langword="null"/> to ask Nix.</param>
    /// <param name="cancellationToken">Cancels the Nix commands.</param>
    /// <returns>The environment.</returns>
    /// <exception cref="NixCommandException">Nix could not be asked.</exception>
    public static async Task<BuildEnvironment> CollectAsync(
        string builderName, NixCli nix, IReadOnlyDictionary<string, string>? nixConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nix);
        var version = nix.GetVersionAsync(cancellationToken);
        var settings = nixConfig ?? await nix.ShowConfigAsync(cancellationToken);
        string Setting(string name) => settings.TryGetValue(name, out var value) ? value : string.Empty;
        return new BuildEnvironment(
            builderName,
            await version,
            Setting("system"),
            Setting("sandbox"),
            Setting("substituters"),
            nix.Store.Uri ?? (Setting("store") is { Length: > 0 } store ? store : "auto"),
            ReadKernel(),
            ReadCurrentSystem());
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

        return $"{Read("ostype")} {Read("osrelease")} {Read("version")} {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
    }

    private static string? ReadCurrentSystem()
    {
        try
        {
            var target = new FileInfo("/run/current-system").ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
