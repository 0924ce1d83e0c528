using Attest.Transparency.Bundles;

namespace Attest.Verifier.Logs;

/// <summary>
/// One log entry as the verifier hands it on: the leaf bytes and a c2sp.org/tlog-proof bundle (inclusion proof and
/// the signed checkpoint) that lets anyone re-check it later, online or from a saved bundle.
/// </summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="Index">The leaf index.</param>
/// <param name="Entry">The leaf bytes (the canonical attestation document).</param>
/// <param name="Proof">The inclusion proof to a signed checkpoint.</param>
public sealed record LogEvidence(string Origin, ulong Index, ReadOnlyMemory<byte> Entry, TlogProof Proof);

/// <summary>Where the verifier finds the log entries about a store path: a live log, or a saved bundle.</summary>
public interface IEvidenceSource
{
    /// <summary>Finds every entry the source holds that names <paramref name="storePath"/>, each with its proof.</summary>
    /// <param name="storePath">The store path.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The entries; whether they verify is decided by the caller.</returns>
    /// <exception cref="LogIntegrityException">The log contradicted itself or a checkpoint seen earlier.</exception>
    Task<IReadOnlyList<LogEvidence>> FindAsync(Attest.Nix.StorePath storePath, CancellationToken cancellationToken);
}

/// <summary>
/// Where the verifier finds a log's builder-registry entries (docs/formats.md §6): the admin-signed changes, among them
/// the <c>ak-binding</c> entries that bind TPM attestation keys to builder keys.
/// </summary>
public interface IRegistrySource
{
    /// <summary>
    /// Finds the registry entries of log <paramref name="origin"/> that name <paramref name="builderKeyId"/>, each with
    /// its proof; a source may also return other registry entries of that log, and returns none for a log it does not hold.
    /// </summary>
    /// <param name="origin">The log.</param>
    /// <param name="builderKeyId">The builder key id.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The entries, in any order; whether they verify is decided by the caller.</returns>
    /// <exception cref="LogIntegrityException">The log contradicted itself.</exception>
    Task<IReadOnlyList<LogEvidence>> FindRegistryChangesAsync(string origin, string builderKeyId, CancellationToken cancellationToken);
}
