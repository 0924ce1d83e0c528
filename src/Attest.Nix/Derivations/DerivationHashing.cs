using System.Text;

namespace Attest.Nix.Derivations;

/// <summary>
/// Nix's <c>hashDerivationModulo</c> and the output paths of input-addressed derivations, so a .drv's claimed output
/// paths can be checked against its contents (and those of its input derivations) without asking Nix.
/// </summary>
/// <remarks>
/// A fixed-output derivation hashes to <c>sha256("fixed:out:&lt;hashAlgo&gt;:&lt;hash&gt;:&lt;outPath&gt;")</c>;
/// any other derivation to SHA-256 of its ATerm with every input derivation path replaced by the hex of that input's
/// own modulo hash. For computing a derivation's own outputs the output paths (and the environment variables named
/// after the outputs) are blanked first. The output path is then
/// <c>makeStorePath("output:&lt;id&gt;", hash, name or name-id)</c>.
/// </remarks>
public static class DerivationHashing
{
    /// <summary>Computes <c>hashDerivationModulo</c> of <paramref name="derivation"/>.</summary>
    /// <param name="derivation">The derivation.</param>
    /// <param name="loadInput">Loads an input derivation by .drv path (for example <see cref="Derivation.Load"/>).</param>
    /// <param name="maskOutputs">Whether to blank the output paths first (as when Nix computes them).</param>
    /// <returns>The SHA-256 modulo hash.</returns>
    public static NixHash HashModulo(Derivation derivation, Func<string, Derivation> loadInput, bool maskOutputs) =>
        HashModulo(derivation, loadInput, maskOutputs, new Dictionary<string, NixHash>(StringComparer.Ordinal), depth: 0);

    /// <summary>
    /// Computes the output paths of an input-addressed derivation, as <c>nix-instantiate</c> writes them into it.
    /// </summary>
    /// <param name="derivation">The derivation; it must have a <c>name</c> and no fixed or floating outputs.</param>
    /// <param name="loadInput">Loads an input derivation by .drv path.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>Output name → store path.</returns>
    /// <exception cref="ArgumentException">The derivation is fixed-output, content-addressed or unnamed.</exception>
    public static IReadOnlyDictionary<string, StorePath> ComputeOutputPaths(
        Derivation derivation, Func<string, Derivation> loadInput, string storeDir = StorePath.DefaultStoreDir)
    {
        ArgumentNullException.ThrowIfNull(derivation);
        var name = derivation.Name ?? throw new ArgumentException("The derivation has no 'name'.", nameof(derivation));
        if (derivation.Outputs.Any(o => o.HashAlgorithm.Length > 0))
        {
            throw new ArgumentException(
                "Fixed-output and content-addressed outputs are not input-addressed; use StorePathComputation.MakeFixedOutputPath.",
                nameof(derivation));
        }

        var hash = HashModulo(derivation, loadInput, maskOutputs: true);
        var result = new Dictionary<string, StorePath>(StringComparer.Ordinal);
        foreach (var output in derivation.Outputs)
        {
            var pathName = output.Name == "out" ? name : $"{name}-{output.Name}";
            result[output.Name] = StorePathComputation.MakeStorePath("output:" + output.Name, hash, pathName, storeDir);
        }

        return result;
    }

    private static NixHash HashModulo(
        Derivation derivation, Func<string, Derivation> loadInput, bool maskOutputs, Dictionary<string, NixHash> cache,
        int depth)
    {
        ArgumentNullException.ThrowIfNull(derivation);
        ArgumentNullException.ThrowIfNull(loadInput);
        if (depth > 10_000)
        {
            throw new ArgumentException("Input derivations nest deeper than 10000 levels (a cycle?).", nameof(derivation));
        }

        if (derivation.IsFixedOutput)
        {
            var output = derivation.Outputs[0];
            return NixHash.ComputeSha256(Encoding.UTF8.GetBytes(
                $"fixed:out:{output.HashAlgorithm}:{output.Hash}:{output.Path}"));
        }

        var inputs = new List<DerivationInput>(derivation.InputDerivations.Count);
        foreach (var input in derivation.InputDerivations)
        {
            if (!cache.TryGetValue(input.Path, out var inputHash))
            {
                inputHash = HashModulo(loadInput(input.Path), loadInput, maskOutputs: false, cache, depth + 1);
                cache[input.Path] = inputHash;
            }

            inputs.Add(new DerivationInput(inputHash.ToHex(), input.Outputs));
        }

        var outputs = derivation.Outputs;
        var environment = derivation.Environment;
        if (maskOutputs)
        {
            var names = outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            outputs = [.. outputs.Select(o => o with { Path = string.Empty })];
            environment = [.. environment.Select(e => names.Contains(e.Key) ? new KeyValuePair<string, string>(e.Key, string.Empty) : e)];
        }

        var rewritten = new Derivation(
            outputs, inputs, derivation.InputSources, derivation.System, derivation.Builder, derivation.Arguments, environment);
        return NixHash.ComputeSha256(rewritten.Format());
    }
}
