using Attest.Nix;
using Attest.Provenance.Json;

namespace Attest.Provenance.Attestations;

/// <summary>Limits and context for parsing attestation documents.</summary>
public sealed record AttestationOptions
{
    private readonly int _maxEntryBytes = JsonCanonicalizationOptions.LogEntryLimit;
    private JsonCanonicalizationOptions? _json;

    /// <summary>Gets options with the log's limits and the default store directory.</summary>
    public static AttestationOptions Default { get; } = new();

    /// <summary>Gets the largest document accepted, before and after canonicalization (the log's 65,535 bytes).</summary>
    public int MaxEntryBytes
    {
        get => _maxEntryBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxEntryBytes = value;
            _json = null;
        }
    }

    /// <summary>Gets the store directory every store path must be in.</summary>
    public string StoreDir { get; init; } = StorePath.DefaultStoreDir;

    internal JsonCanonicalizationOptions Json => _json ??= new JsonCanonicalizationOptions
    {
        MaxInputBytes = MaxEntryBytes,
        MaxOutputBytes = MaxEntryBytes,
    };
}
