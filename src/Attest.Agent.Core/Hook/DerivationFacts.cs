using System.Text.Json;
using Attest.Agent.Core.NixTools;
using Attest.Nix;
using Attest.Provenance.Statements;

namespace Attest.Agent.Core.Hook;

/// <summary>What the hook needs from a derivation: its outputs and inputs.</summary>
/// <param name="Outputs">Output names and paths (null for a floating content-addressed output).</param>
/// <param name="Dependencies">Input derivations and sources.</param>
internal sealed record DerivationFacts(IReadOnlyList<(string Name, StorePath? Path)> Outputs, IReadOnlyList<NixDependency> Dependencies)
{
    /// <summary>Reads the derivation as Nix itself parses it (<c>nix show-derivation</c>).</summary>
    public static async Task<DerivationFacts> ReadAsync(NixCli nix, StorePath derivation, CancellationToken cancellationToken)
    {
        var json = await nix.RunAsync("nix",
            ["--extra-experimental-features", "nix-command", "show-derivation", .. nix.StoreArguments(), derivation.FullPath],
            cancellationToken);
        return FromShowDerivation(json, derivation);
    }

    /// <summary>
    /// Reads <c>nix show-derivation</c> output: <c>{"&lt;drv&gt;": {"outputs": {"out": {"path": ...}}, "inputSrcs": [...],
    /// "inputDrvs": {"&lt;drv&gt;": [...]}, ...}}</c>.
    /// </summary>
    /// <exception cref="FormatException">The output is not what Nix prints for this derivation.</exception>
    public static DerivationFacts FromShowDerivation(string json, StorePath derivation)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (!root.TryGetProperty(derivation.FullPath, out var drv) && !root.TryGetProperty(derivation.BaseName, out drv))
            {
                throw new FormatException($"nix show-derivation did not describe {derivation}.");
            }

            var outputs = new List<(string, StorePath?)>();
            foreach (var output in drv.GetProperty("outputs").EnumerateObject())
            {
                StorePath? path = output.Value.TryGetProperty("path", out var p) && p.GetString() is { Length: > 0 } text
                    ? Parse(text)
                    : null;
                outputs.Add((output.Name, path));
            }

            if (outputs.Count == 0)
            {
                throw new FormatException($"{derivation} has no outputs.");
            }

            var dependencies = new List<NixDependency>();
            foreach (var input in drv.GetProperty("inputDrvs").EnumerateObject())
            {
                dependencies.Add(new NixDependency(NixDependencyKind.InputDerivation, Parse(input.Name)));
            }

            foreach (var source in drv.GetProperty("inputSrcs").EnumerateArray())
            {
                dependencies.Add(new NixDependency(NixDependencyKind.InputSource, Parse(source.GetString()!)));
            }

            outputs.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
            dependencies.Sort((a, b) => a.Path.CompareTo(b.Path));
            return new DerivationFacts(outputs, dependencies);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Cannot read nix show-derivation output for {derivation}: {e.Message}", e);
        }
    }

    private static StorePath Parse(string text) => text.StartsWith('/') ? StorePath.Parse(text) : StorePath.FromBaseName(text);
}
