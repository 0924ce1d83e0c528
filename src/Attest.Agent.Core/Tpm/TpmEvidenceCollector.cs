using System.Net.Sockets;
using System.Security.Cryptography;
using Attest.Provenance;
using Attest.Provenance.Attestations;
using Attest.Tpm;
using Attest.Tpm.Attestation;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Agent.Core.Tpm;

/// <summary>The outcome of attaching TPM evidence to a signed document.</summary>
/// <param name="Document">The document to spool: with a <c>tpm</c> member, or unchanged when no quote could be taken.</param>
/// <param name="Warning">Why the document carries no evidence, or null when it does.</param>
public sealed record TpmAttachment(byte[] Document, string? Warning)
{
    /// <summary>Whether the document carries TPM evidence.</summary>
    public bool HasEvidence => Warning is null;
}

/// <summary>
/// Quotes the build machine's TPM for one signed statement (docs/tpm-evidence.md): qualifying data = SHA-256 of the
/// DSSE PAE bytes, the configured PCR selection, the persistent AK, and the boot event log (or its digest).
/// </summary>
public static class TpmEvidenceCollector
{
    /// <summary>Quotes with <paramref name="qualifyingData"/> and returns the evidence object.</summary>
    /// <exception cref="TpmException">The TPM refused a command.</exception>
    /// <exception cref="TpmQuoteException">No consistent quote could be taken.</exception>
    /// <exception cref="IOException">The TPM cannot be reached.</exception>
    public static async Task<TpmEvidence> QuoteAsync(AgentTpmOptions options, ReadOnlyMemory<byte> qualifyingData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var selection = options.ParsePcrs();
        await using var tpm = TpmDevice.Open(options.Tcti);
        await tpm.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = options.EventLogPath });
        var ak = await attestor.EnsureAttestationKeyAsync(options.AkAlgorithm, options.AkHandle, cancellationToken).ConfigureAwait(false);
        var quote = await attestor.QuoteAsync(ak, qualifyingData, selection, cancellationToken).ConfigureAwait(false);
        var pcrs = new PcrValueSet(quote.PcrValues);
        ReadOnlySpan<byte> log = default;
        ReadOnlySpan<byte> logDigest = default;
        if (quote.EventLog is { } eventLog)
        {
            // A log too large to carry is still bound by its digest; the verifier then needs it from elsewhere.
            if (options.IncludeEventLog && eventLog.Length <= TpmEvidence.MaxEventLogSize)
            {
                log = eventLog.Span;
            }
            else
            {
                logDigest = SHA256.HashData(eventLog.Span);
            }
        }

        return new TpmEvidence(quote.Attest.Span, quote.Signature.Span, pcrs, quote.AkName.Span, quote.AkPublic.Span, log, logDigest);
    }

    /// <summary>
    /// Adds a <c>tpm</c> member to a signed attestation document. A TPM that cannot quote leaves the document as it
    /// was and says why: the build is attested either way.
    /// </summary>
    /// <param name="document">The canonical document without evidence.</param>
    /// <param name="options">The TPM settings.</param>
    /// <param name="cancellationToken">Cancels the quote.</param>
    /// <exception cref="DocumentException">The document does not parse.</exception>
    public static async Task<TpmAttachment> AttachAsync(byte[] document, AgentTpmOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(options);
        var parsed = AttestationDocument.Parse(document);
        try
        {
            var evidence = await QuoteAsync(options, parsed.ComputeTpmQualifyingData(), cancellationToken).ConfigureAwait(false);
            return new TpmAttachment(AttestationDocument.Serialize(parsed.Envelope, evidence.ToJson()), null);
        }
        catch (Exception e) when (e is TpmException or TpmQuoteException or IOException or SocketException or FormatException
            or InvalidOperationException or ArgumentException or TimeoutException)
        {
            return new TpmAttachment(document, $"no TPM evidence ({options.Tcti}): {e.Message}");
        }
    }
}
