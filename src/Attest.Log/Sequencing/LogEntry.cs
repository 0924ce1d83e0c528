using System.Security.Cryptography;
using Attest.Log.Storage;
using Attest.Transparency.Merkle;

namespace Attest.Log.Sequencing;

/// <summary>A secondary-index term of an entry (for example its output store paths).</summary>
/// <param name="Kind">The index.</param>
/// <param name="Value">The exact value to find the entry by.</param>
public readonly record struct SearchTerm(SearchKind Kind, string Value);

/// <summary>
/// An admitted document waiting to be sequenced: its canonical bytes, what to index it by, and the two hashes the log
/// needs, computed here from the bytes (so they always match them, and off the single sequencing thread).
/// </summary>
public sealed class LogEntry
{
    /// <summary>Creates the entry and hashes the document.</summary>
    /// <param name="document">The RFC 8785 canonical JSON bytes that become the leaf; not copied, so not to be changed afterwards.</param>
    /// <param name="searchTerms">Secondary-index terms written in the same batch as the leaf.</param>
    /// <param name="registryChange">For a builder-registry document, the change it makes once sequenced; otherwise null.</param>
    public LogEntry(byte[] document, IReadOnlyList<SearchTerm> searchTerms, BuilderChange? registryChange = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(searchTerms);
        Document = document;
        SearchTerms = searchTerms;
        RegistryChange = registryChange;
        Digest = SHA256.HashData(document);
        LeafHash = TreeHasher.HashLeaf(document);
    }

    /// <summary>The RFC 8785 canonical JSON bytes that become the leaf.</summary>
    public byte[] Document { get; }

    /// <summary>SHA-256 of <see cref="Document"/>, the exact deduplication key.</summary>
    public byte[] Digest { get; }

    /// <summary>The RFC 9162 leaf hash of <see cref="Document"/>.</summary>
    public MerkleHash LeafHash { get; }

    /// <summary>Secondary-index terms written in the same batch as the leaf.</summary>
    public IReadOnlyList<SearchTerm> SearchTerms { get; }

    /// <summary>For a builder-registry document, the change it makes once sequenced; otherwise null.</summary>
    public BuilderChange? RegistryChange { get; }
}

/// <summary>A change to the builder registry carried by a registry entry.</summary>
/// <param name="KeyId">The builder key's identifier.</param>
/// <param name="PublicKey">The builder's verifier key in text form.</param>
/// <param name="Name">The builder's name.</param>
/// <param name="Revoke">True for a revocation, false for a registration.</param>
public sealed record BuilderChange(string KeyId, string PublicKey, string Name, bool Revoke);

/// <summary>The outcome of a submission: its index and whether the document was already in the log.</summary>
/// <param name="Index">The log index of the (first copy of the) document.</param>
/// <param name="Duplicate">True when the exact document was logged before and nothing new was written.</param>
public readonly record struct AppendResult(long Index, bool Duplicate);
