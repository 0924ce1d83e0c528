using System.Globalization;
using System.Text;

namespace Attest.Nix.Signing;

/// <summary>
/// The message Nix signs for a store path (<c>ValidPathInfo::fingerprint</c>):
/// <c>1;&lt;storePath&gt;;&lt;narHash as sha256:nix32&gt;;&lt;narSize&gt;;&lt;sorted full reference paths, comma-separated&gt;</c>.
/// </summary>
public static class PathFingerprint
{
    /// <summary>Builds the fingerprint.</summary>
    /// <param name="storePath">The store path.</param>
    /// <param name="narHash">The NAR hash; must be SHA-256 (Nix refuses to fingerprint other hashes).</param>
    /// <param name="narSize">The NAR size; must be positive.</param>
    /// <param name="references">The references, in any order; they are sorted as Nix's path set is.</param>
    /// <returns>The fingerprint text.</returns>
    public static string Compute(StorePath storePath, NixHash narHash, long narSize, IEnumerable<StorePath> references)
    {
        if (storePath.IsEmpty)
        {
            throw new ArgumentException("The store path is empty.", nameof(storePath));
        }

        if (narHash.Algorithm != NixHashAlgorithm.Sha256)
        {
            throw new ArgumentException("Nix fingerprints only SHA-256 NAR hashes.", nameof(narHash));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(narSize);
        ArgumentNullException.ThrowIfNull(references);
        var sorted = references.Select(r => r.FullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var builder = new StringBuilder(256)
            .Append("1;").Append(storePath.FullPath)
            .Append(';').Append(narHash.ToString())
            .Append(';').Append(narSize.ToString(CultureInfo.InvariantCulture))
            .Append(';').AppendJoin(',', sorted);
        return builder.ToString();
    }
}
