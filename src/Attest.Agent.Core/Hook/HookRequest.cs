namespace Attest.Agent.Core.Hook;

/// <summary>What Nix hands the post-build hook, from its environment.</summary>
/// <param name="DrvPath"><c>DRV_PATH</c>: the derivation that was built.</param>
/// <param name="OutPaths"><c>OUT_PATHS</c>: the output paths, space-separated (empty on Nix 2.8).</param>
/// <param name="NixConfig"><c>NIX_CONFIG</c>: the build loop's effective settings, when Nix exported them.</param>
public sealed record HookRequest(string? DrvPath, string? OutPaths, string? NixConfig)
{
    /// <summary>Reads the request from this process's environment.</summary>
    /// <returns>The request.</returns>
    public static HookRequest FromEnvironment() => new(
        Environment.GetEnvironmentVariable("DRV_PATH"),
        Environment.GetEnvironmentVariable("OUT_PATHS"),
        Environment.GetEnvironmentVariable(BuildEnvironment.NixConfigVariable));
}
