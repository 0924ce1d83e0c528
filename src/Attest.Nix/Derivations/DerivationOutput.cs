namespace Attest.Nix.Derivations;

/// <summary>How a fixed-output or content-addressed derivation output is hashed.</summary>
public enum OutputHashMethod
{
    /// <summary>Input-addressed: no output hash.</summary>
    None = 0,

    /// <summary>Flat file hash (<c>outputHashMode = "flat"</c>; hash algorithm written without prefix).</summary>
    Flat = 1,

    /// <summary>NAR hash (<c>outputHashMode = "recursive"</c>; written <c>r:&lt;algo&gt;</c>).</summary>
    Recursive = 2,

    /// <summary>Text hash as used for .drv files themselves (written <c>text:&lt;algo&gt;</c>).</summary>
    Text = 3,
}

/// <summary>
/// One output of a derivation, <c>(name, path, hashAlgo, hash)</c> in the ATerm. Input-addressed outputs have a path
/// and empty hash fields; fixed-output ones carry <c>hashAlgo</c> (<c>sha256</c>, <c>r:sha256</c>, ...) and a hex
/// hash; floating content-addressed outputs have an empty path and hash but a <c>hashAlgo</c>.
/// </summary>
/// <param name="Name">The output name, such as <c>out</c> or <c>dev</c>.</param>
/// <param name="Path">The output store path, or empty when not yet known (floating CA or deferred).</param>
/// <param name="HashAlgorithm">The raw <c>hashAlgo</c> field.</param>
/// <param name="Hash">The raw hex <c>hash</c> field.</param>
public sealed record DerivationOutput(string Name, string Path, string HashAlgorithm, string Hash)
{
    /// <summary>Whether the output's contents are fixed in advance by <see cref="Hash"/>.</summary>
    public bool IsFixedOutput => Hash.Length > 0;

    /// <summary>The hashing method named by <see cref="HashAlgorithm"/>.</summary>
    public OutputHashMethod Method => HashAlgorithm.Length == 0
        ? OutputHashMethod.None
        : HashAlgorithm.StartsWith("r:", StringComparison.Ordinal)
            ? OutputHashMethod.Recursive
            : HashAlgorithm.StartsWith("text:", StringComparison.Ordinal) ? OutputHashMethod.Text : OutputHashMethod.Flat;

    /// <summary>The output path as a <see cref="StorePath"/>; <see cref="StorePath.IsEmpty"/> when <see cref="Path"/> is empty.</summary>
    /// <param name="storeDir">The store directory the derivation was written for.</param>
    /// <returns>The parsed path.</returns>
    public StorePath GetStorePath(string storeDir = StorePath.DefaultStoreDir) =>
        Path.Length == 0 ? default : StorePath.Parse(Path, storeDir);

    /// <summary>The fixed output hash (algorithm and digest), or an empty hash for other outputs.</summary>
    public NixHash FixedHash
    {
        get
        {
            if (!IsFixedOutput)
            {
                return default;
            }

            var colon = HashAlgorithm.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? HashAlgorithm : HashAlgorithm[(colon + 1)..];
            return NixHash.TryParseAlgorithm(name, out var algorithm)
                ? NixHash.Parse(Hash, algorithm)
                : throw new NixFormatException($"Output '{Name}' has unknown hash algorithm '{HashAlgorithm}'.");
        }
    }
}

/// <summary>An input derivation and the outputs of it that are used, <c>(drvPath, [outputs])</c> in the ATerm.</summary>
/// <param name="Path">The .drv store path.</param>
/// <param name="Outputs">The output names used, sorted.</param>
public sealed record DerivationInput(string Path, IReadOnlyList<string> Outputs);
