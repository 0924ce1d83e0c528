using System.Security.Cryptography;
using System.Text;
using Attest.Nix.Derivations;

namespace Attest.Nix;

/// <summary>
/// How Nix derives store paths from contents (libstore <c>Store::makeStorePath</c> and friends), so a path can be
/// checked against the bytes it claims to hold: a .drv file against its path, a fixed-output or added path against
/// its content hash.
/// </summary>
/// <remarks>
/// <c>makeStorePath(type, hash, name) = storeDir/nix32(compress20(sha256("type:sha256:&lt;hex&gt;:storeDir:name")))-name</c>,
/// where <c>compress20</c> XORs the 32-byte digest into 20 bytes (byte i goes to i mod 20).
/// </remarks>
public static class StorePathComputation
{
    /// <summary>Nix's <c>makeStorePath</c>.</summary>
    /// <param name="type">The path type, such as <c>source</c>, <c>text:/nix/store/...</c> or <c>output:out</c>.</param>
    /// <param name="hash">The inner hash (always SHA-256 in current Nix).</param>
    /// <param name="name">The store path name.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The store path.</returns>
    public static StorePath MakeStorePath(string type, NixHash hash, string name, string storeDir = StorePath.DefaultStoreDir)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(name);
        if (hash.IsEmpty)
        {
            throw new ArgumentException("The hash is empty.", nameof(hash));
        }

        if (!StorePath.IsValidStoreDir(storeDir))
        {
            throw new ArgumentException($"Invalid store directory '{storeDir}'.", nameof(storeDir));
        }

        var fingerprint = $"{type}:{hash.ToString(NixHashEncoding.Base16, includeAlgorithm: true)}:{storeDir}:{name}";
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint), digest);
        return StorePath.Create(Compress(digest), name, storeDir);
    }

    /// <summary>
    /// Nix's <c>makeTextPath</c>: the path of a text file added with references, such as a <c>.drv</c>
    /// (type <c>text:&lt;ref1&gt;:&lt;ref2&gt;...</c> with references sorted).
    /// </summary>
    /// <param name="name">The name, such as <c>hello-2.12.drv</c>.</param>
    /// <param name="contentHash">SHA-256 of the file contents.</param>
    /// <param name="references">The store paths the text refers to.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The store path.</returns>
    public static StorePath MakeTextPath(
        string name, NixHash contentHash, IEnumerable<StorePath> references, string storeDir = StorePath.DefaultStoreDir)
    {
        if (contentHash.Algorithm != NixHashAlgorithm.Sha256)
        {
            throw new ArgumentException("Text paths use SHA-256 content hashes.", nameof(contentHash));
        }

        return MakeStorePath(MakeType("text", references, selfReference: false), contentHash, name, storeDir);
    }

    /// <summary>
    /// Nix's <c>makeFixedOutputPath</c>: the path of content-addressed data (<c>nix-store --add</c>,
    /// <c>--add-fixed</c>, fixed-output derivations).
    /// </summary>
    /// <param name="name">The store path name.</param>
    /// <param name="hash">The content hash: of the NAR when <paramref name="recursive"/>, else of the flat file.</param>
    /// <param name="recursive">Whether the hash is over the NAR serialisation (<c>r:</c>) rather than a flat file.</param>
    /// <param name="references">References (only allowed for recursive SHA-256 paths).</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The store path.</returns>
    public static StorePath MakeFixedOutputPath(
        string name, NixHash hash, bool recursive, IEnumerable<StorePath>? references = null,
        string storeDir = StorePath.DefaultStoreDir)
    {
        var refs = references?.ToList() ?? [];
        if (recursive && hash.Algorithm == NixHashAlgorithm.Sha256)
        {
            return MakeStorePath(MakeType("source", refs, selfReference: false), hash, name, storeDir);
        }

        if (refs.Count > 0)
        {
            throw new ArgumentException("Only recursive SHA-256 fixed outputs may have references.", nameof(references));
        }

        var inner = $"fixed:out:{(recursive ? "r:" : string.Empty)}{hash.ToString(NixHashEncoding.Base16, includeAlgorithm: true)}:";
        return MakeStorePath("output:out", NixHash.ComputeSha256(Encoding.UTF8.GetBytes(inner)), name, storeDir);
    }

    /// <summary>
    /// The store path Nix gives a .drv file: a text path named <c>&lt;name&gt;.drv</c> over the file's bytes,
    /// referencing its input sources and input derivations.
    /// </summary>
    /// <param name="derivation">The derivation; its <c>name</c> environment variable names the file.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The .drv store path.</returns>
    /// <exception cref="ArgumentException">The derivation has no valid name.</exception>
    public static StorePath ComputeDerivationPath(Derivation derivation, string storeDir = StorePath.DefaultStoreDir)
    {
        ArgumentNullException.ThrowIfNull(derivation);
        var name = derivation.Name;
        if (name is null || !StorePath.IsValidName(name + ".drv"))
        {
            throw new ArgumentException("The derivation has no valid 'name' environment variable.", nameof(derivation));
        }

        var references = derivation.InputSources.Concat(derivation.InputDerivations.Select(i => i.Path))
            .Select(p => StorePath.Parse(p, storeDir));
        return MakeTextPath(name + ".drv", NixHash.ComputeSha256(derivation.Format()), references, storeDir);
    }

    private static string MakeType(string type, IEnumerable<StorePath> references, bool selfReference)
    {
        var builder = new StringBuilder(type);
        foreach (var reference in references.Select(r => r.FullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            builder.Append(':').Append(reference);
        }

        if (selfReference)
        {
            builder.Append(":self");
        }

        return builder.ToString();
    }

    // Nix's compressHash: fold the digest into 20 bytes by XOR.
    private static byte[] Compress(ReadOnlySpan<byte> digest)
    {
        var result = new byte[StorePath.HashSize];
        for (var i = 0; i < digest.Length; i++)
        {
            result[i % StorePath.HashSize] ^= digest[i];
        }

        return result;
    }
}
