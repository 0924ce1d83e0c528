using Attest.Nix;

namespace Attest.Agent.Core.NixTools;

/// <summary>What the Nix store database records about a valid path (<c>nix path-info --json</c>).</summary>
/// <param name="Path">The store path.</param>
/// <param name="NarHash">The NAR hash Nix registered.</param>
/// <param name="NarSize">The NAR size Nix registered.</param>
/// <param name="References">The paths it references, sorted.</param>
/// <param name="Deriver">The derivation that produced it, when known.</param>
/// <param name="RegisteredAt">When Nix registered it as valid (the end of its build), when known.</param>
public sealed record PathInfo(StorePath Path, NixHash NarHash, long NarSize, IReadOnlyList<StorePath> References, StorePath? Deriver, DateTimeOffset? RegisteredAt);
