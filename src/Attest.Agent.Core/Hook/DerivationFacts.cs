using Attest.Nix;
using Attest.Nix.Derivations;
using Attest.Provenance.Statements;

namespace Attest.Agent.Core.Hook;

/// <summary>What the hook needs from a derivation: its outputs and inputs.</summary>
/// <param name="Outputs">Output names and paths (null for a floating content-addressed output), sorted by name.</param>
/// <param name="Dependencies">Input derivations and sources, sorted by path.</param>
internal sealed record DerivationFacts(IReadOnlyList<(string Name, StorePath? Path)> Outputs, IReadOnlyList<NixDependency> Dependencies)
{
    /// <summary>Parses .drv bytes with <see cref="Derivation.Parse"/> (bounded, strict ATerm).</summary>
    /// <exception cref="NixFormatException">The bytes are not a canonical derivation.</exception>
    public static DerivationFacts Parse(ReadOnlySpan<byte> drv)
    {
        var derivation = Derivation.Parse(drv);
        if (derivation.Outputs.Count == 0)
        {
            throw new NixFormatException("The derivation has no outputs.");
        }

        var outputs = derivation.Outputs
            .Select(o => (o.Name, o.Path.Length == 0 ? (StorePath?)null : StorePath.Parse(o.Path)))
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .ToList();
        var dependencies = derivation.InputDerivations
            .Select(i => new NixDependency(NixDependencyKind.InputDerivation, StorePath.Parse(i.Path)))
            .Concat(derivation.InputSources.Select(s => new NixDependency(NixDependencyKind.InputSource, StorePath.Parse(s))))
            .OrderBy(d => d.Path)
            .ToList();
        return new DerivationFacts(outputs, dependencies);
    }
}
