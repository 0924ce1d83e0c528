namespace Attest.Log.Storage;

/// <summary>The secondary indexes kept beside the entries, written in the same batch as the leaves.</summary>
public enum SearchKind : byte
{
    /// <summary>A Nix output store path named as a subject of an attestation.</summary>
    StorePath = 1,

    /// <summary>The store path of the derivation that was built.</summary>
    DrvPath = 2,

    /// <summary>A NAR hash of an output (as written in the statement, e.g. <c>sha256:...</c>).</summary>
    NarHash = 3,

    /// <summary>The key identifier of the builder that signed the entry, or the builder a registry change names.</summary>
    Builder = 4,

    /// <summary>Every builder-registry change, under the empty value, so the registry can be replayed in log order.</summary>
    Registry = 5,
}
