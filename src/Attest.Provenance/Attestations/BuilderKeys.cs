using System.Diagnostics.CodeAnalysis;
using Attest.Provenance.Signing;

namespace Attest.Provenance.Attestations;

/// <summary>A builder key as the log's registry knows it.</summary>
/// <param name="Key">The public key, named as registered.</param>
/// <param name="IsRevoked">Whether the key has been revoked (its attestations are then refused with 403).</param>
/// <param name="Group">The operator group the builder belongs to, if any.</param>
public sealed record RegisteredBuilder(IdentityPublicKey Key, bool IsRevoked, string? Group = null)
{
    /// <summary>Gets the key id.</summary>
    public string KeyId => Key.KeyId;

    /// <summary>Gets the registered name.</summary>
    public string Name => Key.Name;
}

/// <summary>Looks builder keys up by key id; the log server backs it with its registry.</summary>
public interface IBuilderKeyResolver
{
    /// <summary>Finds the builder registered under <paramref name="keyId"/>, revoked or not.</summary>
    /// <param name="keyId">The DSSE key id (lowercase hex SHA-256 of the public key).</param>
    /// <param name="builder">The registered builder, if any.</param>
    /// <returns>Whether a builder was ever registered under that key id.</returns>
    bool TryResolve(string keyId, [NotNullWhen(true)] out RegisteredBuilder? builder);
}
