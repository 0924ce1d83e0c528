using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Statements;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;

namespace Attest.Verifier.Verification;

/// <summary>
/// Turns one log entry into a <see cref="CheckedAttestation"/> for a store path: the inclusion proof to a checkpoint
/// signed by the log and cosigned per the witness rule, the attestation document's structure, the DSSE signature by
/// the key the policy names for its key id, the subject for the path, and TPM evidence when the builder requires it.
/// </summary>
/// <remarks>
/// TPM evidence: a quote only means something when its attestation key is bound to the builder (docs/tpm-evidence.md,
/// "Enrollment"). The log does not record AK bindings and the policy carries none, so this verifier cannot establish
/// that binding; evidence is reported as unverifiable instead of being trusted on the AK it names itself. A builder
/// with <c>requireTpm</c> therefore never counts, and says why.
/// </remarks>
public sealed class AttestationChecker
{
    private readonly TrustPolicy _policy;
    private readonly Dictionary<string, CheckpointPolicy> _checkpointPolicies;

    /// <summary>Creates a checker for <paramref name="policy"/>.</summary>
    /// <param name="policy">The trust policy.</param>
    /// <exception cref="FormatException">A log or witness key in the policy is not a note verifier key.</exception>
    public AttestationChecker(TrustPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _checkpointPolicies = policy.Logs.ToDictionary(l => l.Origin, LogClient.CreateCheckpointPolicy, StringComparer.Ordinal);
    }

    /// <summary>The reason given for TPM evidence this verifier cannot check.</summary>
    public const string TpmBindingUnavailable =
        "its TPM evidence cannot be verified: neither the log nor the policy records which attestation key is enrolled for this builder";

    /// <summary>Checks one entry for <paramref name="storePath"/>.</summary>
    /// <param name="evidence">The entry and its proof.</param>
    /// <param name="storePath">The store path asked about.</param>
    /// <param name="problem">Why the entry says nothing about the path (not an attestation, no subject for the path), when it returns null.</param>
    /// <returns>The checked attestation, or <see langword="null"/> when the entry is not an attestation of the path.</returns>
    public CheckedAttestation? Check(LogEvidence evidence, StorePath storePath, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        string where = $"{evidence.Origin}#{evidence.Index}";
        if (!AttestationDocument.TryParse(evidence.Entry.Span, out AttestationDocument? document, out var parseError))
        {
            problem = $"{where} is not an attestation document: {parseError}";
            return null;
        }

        NixBuildOutput? output = null;
        foreach (NixBuildOutput candidate in document.Statement.Outputs)
        {
            if (candidate.Path == storePath)
            {
                output = candidate;
                break;
            }
        }

        if (output is null)
        {
            problem = $"{where} does not name {storePath} among its subjects";
            return null;
        }

        problem = null;
        var failures = new List<string>();
        if (evidence.Proof.Index != evidence.Index)
        {
            failures.Add($"its inclusion proof is for index {evidence.Proof.Index}, not {evidence.Index}");
        }
        else if (!_checkpointPolicies.TryGetValue(evidence.Origin, out CheckpointPolicy? checkpointPolicy))
        {
            failures.Add($"log {evidence.Origin} is not named by the policy");
        }
        else
        {
            TlogProofVerdict inclusion = evidence.Proof.Verify(evidence.Entry.Span, checkpointPolicy);
            if (!inclusion.IsValid)
            {
                failures.Add($"not proved in log {evidence.Origin}: {inclusion}");
            }
        }

        string keyId = document.SignerKeyId;
        if (_policy.BuildersByKeyId.TryGetValue(keyId, out BuilderPolicy? builder))
        {
            if (!document.Envelope.IsSignedBy(builder.Key))
            {
                failures.Add($"the DSSE signature does not verify with the key of builder {builder.Name}");
            }

            if (builder.RequireTpm && document.TpmEvidence is not null)
            {
                failures.Add(TpmBindingUnavailable);
            }
        }

        return new CheckedAttestation(evidence.Origin, evidence.Index, keyId, output.NarHash, TpmVerified: false, failures);
    }
}
