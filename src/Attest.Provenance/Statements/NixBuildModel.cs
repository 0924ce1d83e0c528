using Attest.Nix;

namespace Attest.Provenance.Statements;

/// <summary>One output of a Nix build: a statement subject plus what the log and verifiers compare.</summary>
/// <param name="Name">The output name from the derivation, such as <c>out</c> or <c>dev</c>.</param>
/// <param name="Path">The output's store path (the subject's <c>name</c>).</param>
/// <param name="NarHash">The SHA-256 hash of the output's NAR serialization (the subject's <c>digest.sha256</c>).</param>
/// <param name="NarSize">The NAR's size in bytes.</param>
/// <param name="References">The store paths the output refers to, as Nix registered them.</param>
public sealed record NixBuildOutput(
    string Name,
    StorePath Path,
    NixHash NarHash,
    long NarSize,
    IReadOnlyList<StorePath> References);

/// <summary>The build machine's environment, recorded as SLSA <c>internalParameters</c>.</summary>
/// <param name="NixVersion">The Nix version, such as <c>2.8.0</c>.</param>
/// <param name="System">The Nix system type, such as <c>x86_64-linux</c>.</param>
/// <param name="Sandbox">Nix's <c>sandbox</c> setting: <c>true</c>, <c>false</c> or <c>relaxed</c>.</param>
/// <param name="Substituters">The configured substituters, in order.</param>
/// <param name="Kernel">The kernel, such as <c>Linux 6.12.48 x86_64</c>.</param>
/// <param name="NixOSSystem">The booted NixOS system (<c>/run/current-system</c>'s target), or null off NixOS.</param>
/// <param name="BuilderName">The builder's identity name, as its key is named.</param>
public sealed record NixBuildEnvironment(
    string NixVersion,
    string System,
    string Sandbox,
    IReadOnlyList<string> Substituters,
    string Kernel,
    string? NixOSSystem,
    string BuilderName);

/// <summary>Which kind of derivation input a resolved dependency is.</summary>
public enum NixDependencyKind
{
    /// <summary>An input derivation (<c>inputDrvs</c>); written as <c>"name": "inputDrv"</c>.</summary>
    InputDerivation = 1,

    /// <summary>An input source (<c>inputSrcs</c>); written as <c>"name": "inputSrc"</c>.</summary>
    InputSource,
}

/// <summary>One SLSA <c>resolvedDependencies</c> entry: a derivation input by store path.</summary>
/// <param name="Kind">Input derivation or input source.</param>
/// <param name="Path">The input's store path.</param>
public sealed record NixDependency(NixDependencyKind Kind, StorePath Path);
