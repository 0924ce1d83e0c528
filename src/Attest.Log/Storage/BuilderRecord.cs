namespace Attest.Log.Storage;

/// <summary>A builder key as the registry knows it: registered at one log index and possibly revoked at a later one.</summary>
/// <param name="KeyId">The builder key's identifier (its text form's key id).</param>
/// <param name="PublicKey">The builder's verifier key in its text form.</param>
/// <param name="Name">The builder's human-readable name.</param>
/// <param name="RegisteredAt">The log index of the registration entry.</param>
/// <param name="RevokedAt">The log index of the revocation entry, or null while the key may write.</param>
public sealed record BuilderRecord(string KeyId, string PublicKey, string Name, long RegisteredAt, long? RevokedAt)
{
    /// <summary>Whether the key may currently write to the log.</summary>
    public bool IsActive => RevokedAt is null;
}
