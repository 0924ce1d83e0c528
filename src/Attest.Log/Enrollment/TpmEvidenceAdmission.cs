using Attest.Log.Admission;
using Attest.Provenance.Attestations;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Log.Enrollment;

/// <summary>
/// The log's checks of a document's <c>tpm</c> member. Always: it parses strictly as TPM evidence (400 naming the
/// field). When the registrar is enabled (EK roots configured): its AK must be bound to the signing builder by an
/// <c>ak-binding</c> entry (403 otherwise), and the quote must verify with that AK over this statement (signature,
/// extraData = SHA-256 of the DSSE PAE, qualifiedSigner, pcrDigest of the given values, safe clock; 400 otherwise).
/// That is one ECDSA or RSA verification with a cached key, cheap next to the admission's Ed25519 check. Counter
/// monotonicity, the event log and golden values stay with the verifier, which sees the whole log in order.
/// </summary>
public sealed class TpmEvidenceAdmission : IDisposable
{
    // Which PCRs a machine must quote is the verifier's policy; admission checks only that the quote is genuine.
    private static readonly QuotePolicy AdmissionPolicy = new() { RequiredPcrs = PcrSelection.Empty };

    private readonly LogEnrollmentStore? _bindings;
    private readonly AttestationKeyCache _keys = new(10_000);

    /// <summary>Creates the checks.</summary>
    /// <param name="bindings">The AK bindings when the registrar is enabled; null to check the format only.</param>
    public TpmEvidenceAdmission(LogEnrollmentStore? bindings) => _bindings = bindings;

    /// <summary>Checks the evidence of an admitted, signature-verified document; returns the refusal, or null when acceptable (or absent).</summary>
    /// <param name="document">The parsed document.</param>
    /// <param name="builderKeyId">The key id of the builder whose signature verified.</param>
    public SubmissionOutcome? Check(AttestationDocument document, string builderKeyId)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.TpmEvidence is not { } json)
        {
            return null;
        }

        if (!TpmEvidence.TryParse(json.Span, out var evidence, out var error))
        {
            return SubmissionOutcome.Refused(400, "invalid-tpm-evidence", "Invalid TPM evidence", $"$.tpm: {error}", "$.tpm");
        }

        if (_bindings is null)
        {
            return null;
        }

        var akName = Convert.ToHexStringLower(evidence.AkName.Span);
        if (!_bindings.Bindings.TryGetValue(akName, out var binding) || !string.Equals(binding.BuilderKeyId, builderKeyId, StringComparison.Ordinal))
        {
            return SubmissionOutcome.Refused(403, "ak-not-bound", "TPM attestation key not bound to this builder",
                $"AK {akName} is not bound to builder key {builderKeyId}; enroll it with 'attest-agent tpm enroll'.", "$.tpm.akName");
        }

        AttestationKey key;
        try
        {
            key = _keys.GetOrCreate(binding);
        }
        catch (ArgumentException ex)
        {
            return SubmissionOutcome.Refused(403, "ak-not-bound", "TPM attestation key unusable", ex.Message, "$.tpm.akName");
        }

        var verdict = QuoteVerifier.Verify(evidence.Attest.Span, evidence.Signature.Span, key, document.ComputeTpmQualifyingData(), evidence.Pcrs, AdmissionPolicy);
        return verdict.IsValid
            ? null
            : SubmissionOutcome.Refused(400, "invalid-tpm-quote", "TPM quote does not verify", string.Join("; ", verdict.Failures), "$.tpm.attest");
    }

    /// <inheritdoc/>
    public void Dispose() => _keys.Dispose();
}
