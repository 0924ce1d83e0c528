using System.Diagnostics.CodeAnalysis;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Statements;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;
using Attest.Verifier.Verification.Internal;

namespace Attest.Verifier.Verification;

/// <summary>
/// Turns one log entry into a <see cref="CheckedAttestation"/> for a store path: the inclusion proof to a checkpoint
/// signed by the log and cosigned per the witness rule, the attestation document's structure, the DSSE signature by
/// the key the policy names for its key id, the subject for the path, and its TPM evidence.
/// </summary>
/// <remarks>
/// TPM evidence is checked against the attestation key (AK) that the log's admin-signed <c>ak-binding</c> entries bound
/// to the signing builder before the attestation's index (<see cref="AkBindingHistory"/>), never against the AK the
/// evidence names itself; the registry entries come from the caller (<see cref="IRegistrySource"/>). For a builder
/// with <c>requireTpm</c> every TPM failure is a failure of the attestation; for the others it is a note and the
/// attestation counts without TPM. Each distinct checkpoint is verified once per checker. Thread-safe.
/// </remarks>
public sealed class AttestationChecker : IDisposable
{
    private readonly TrustPolicy _policy;
    private readonly ProofChecker _proofs;
    private readonly TpmEvidenceChecker _tpm;

    /// <summary>Creates a checker for <paramref name="policy"/>.</summary>
    /// <param name="policy">The trust policy.</param>
    /// <exception cref="FormatException">A log or witness key in the policy is not a note verifier key.</exception>
    public AttestationChecker(TrustPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _proofs = new ProofChecker(policy);
        _tpm = new TpmEvidenceChecker(policy, _proofs);
    }

    /// <summary>Checks one entry for <paramref name="storePath"/>, without registry entries (TPM evidence then cannot verify).</summary>
    /// <param name="evidence">The entry and its proof.</param>
    /// <param name="storePath">The store path asked about.</param>
    /// <param name="problem">Why the entry says nothing about the path (not an attestation, no subject for the path), when it returns null.</param>
    /// <returns>The checked attestation, or <see langword="null"/> when the entry is not an attestation of the path.</returns>
    public CheckedAttestation? Check(LogEvidence evidence, StorePath storePath, out string? problem) =>
        Check(evidence, storePath, [], out problem);

    /// <summary>Checks one entry for <paramref name="storePath"/>.</summary>
    /// <param name="evidence">The entry and its proof.</param>
    /// <param name="storePath">The store path asked about.</param>
    /// <param name="registry">The registry entries (with proofs) of the entry's log that name its signer; they are verified here.</param>
    /// <param name="problem">Why the entry says nothing about the path, when it returns null.</param>
    /// <returns>The checked attestation, or <see langword="null"/> when the entry is not an attestation of the path.</returns>
    public CheckedAttestation? Check(LogEvidence evidence, StorePath storePath, IReadOnlyList<LogEvidence> registry, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(registry);
        if (!TryParse(evidence, storePath, out ParsedAttestation? parsed, out problem))
        {
            return null;
        }

        return Check(parsed, registry);
    }

    /// <summary>Whether TPM evidence of a builder needs its registry entries: the builder is known and the log's admin key is pinned.</summary>
    internal bool NeedsRegistry(ParsedAttestation parsed) =>
        parsed.Document.TpmEvidence is not null
        && _policy.BuildersByKeyId.ContainsKey(parsed.Document.SignerKeyId)
        && _tpm.CanCheck(parsed.Evidence.Origin);

    /// <summary>Parses the entry as an attestation of <paramref name="storePath"/>.</summary>
    internal static bool TryParse(LogEvidence evidence, StorePath storePath, [NotNullWhen(true)] out ParsedAttestation? parsed, out string? problem)
    {
        parsed = null;
        if (!AttestationDocument.TryParse(evidence.Entry.Span, out AttestationDocument? document, out var parseError))
        {
            problem = $"{evidence.Origin}#{evidence.Index} is not an attestation document: {parseError}";
            return false;
        }

        foreach (NixBuildOutput candidate in document.Statement.Outputs)
        {
            if (candidate.Path == storePath)
            {
                parsed = new ParsedAttestation(evidence, document, candidate);
                problem = null;
                return true;
            }
        }

        problem = $"{evidence.Origin}#{evidence.Index} does not name {storePath} among its subjects";
        return false;
    }

    /// <summary>Checks a parsed attestation.</summary>
    internal CheckedAttestation Check(ParsedAttestation parsed, IReadOnlyList<LogEvidence> registry)
    {
        LogEvidence evidence = parsed.Evidence;
        AttestationDocument document = parsed.Document;
        var failures = new List<string>();
        if (_proofs.Check(evidence) is { } notProved)
        {
            failures.Add(notProved);
        }

        string keyId = document.SignerKeyId;
        TpmCheck tpm = TpmCheck.None;
        IReadOnlyList<string> notes = [];
        if (_policy.BuildersByKeyId.TryGetValue(keyId, out BuilderPolicy? builder))
        {
            if (!document.Envelope.IsSignedBy(builder.Key))
            {
                failures.Add($"the DSSE signature does not verify with the key of builder {builder.Name}");
            }
            else if (failures.Count == 0)
            {
                // Only an attestation that is itself genuine and logged is worth a quote check.
                tpm = _tpm.Check(document, evidence, builder, registry);
                if (builder.RequireTpm)
                {
                    failures.AddRange(tpm.Failures);
                }
                else
                {
                    notes = tpm.Failures;
                }
            }
        }

        return new CheckedAttestation(evidence.Origin, evidence.Index, keyId, parsed.Output.NarHash, tpm.Verified, failures)
        {
            TpmNotes = notes,
            TpmCounters = tpm.Counters,
            TpmAkName = tpm.AkName,
        };
    }

    /// <inheritdoc/>
    public void Dispose() => _tpm.Dispose();
}

/// <summary>An entry parsed as an attestation of one store path.</summary>
/// <param name="Evidence">The entry and its proof.</param>
/// <param name="Document">The attestation document.</param>
/// <param name="Output">The output that names the path.</param>
internal sealed record ParsedAttestation(LogEvidence Evidence, AttestationDocument Document, NixBuildOutput Output);
