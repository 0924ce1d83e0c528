using Attest.Log.Storage;

namespace Attest.Log.Sequencing;

/// <summary>A secondary-index term of an entry (for example its output store paths).</summary>
/// <param name="Kind">The index.</param>
/// <param name="Value">The exact value to find the entry by.</param>
public readonly record struct SearchTerm(SearchKind Kind, string Value);

/// <summary>An admitted document waiting to be sequenced: its canonical bytes, their SHA-256 and what to index it by.</summary>
/// <param name="Document">The RFC 8785 canonical JSON bytes that become the leaf.</param>
/// <param name="Digest">SHA-256 of <paramref name="Document"/>, the exact deduplication key.</param>
/// <param name="SearchTerms">Secondary-index terms written in the same batch as the leaf.</param>
/// <param name="RegistryChange">For a builder-registry document, the change it makes once sequenced; otherwise null.</param>
public sealed record LogEntry(byte[] Document, byte[] Digest, IReadOnlyList<SearchTerm> SearchTerms, BuilderChange? RegistryChange = null);

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
