using System.Security.Cryptography;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Evidence;

/// <summary>Everything a verifier or the log server learns from one piece of TPM evidence.</summary>
public sealed class TpmEvidenceVerdict
{
    internal TpmEvidenceVerdict(IReadOnlyList<string> evidenceFailures, QuoteVerdict quote, EventLogReplay? eventLog, GoldenValuesVerdict? goldenValues)
    {
        EvidenceFailures = evidenceFailures;
        Quote = quote;
        EventLog = eventLog;
        GoldenValues = goldenValues;
    }

    /// <summary>Whether the evidence, quote, event log (when carried) and golden values (when a policy was given) all passed.</summary>
    public bool IsValid => EvidenceFailures.Count == 0 && Quote.IsValid && (EventLog?.IsValid ?? true) && (GoldenValues?.IsMatch ?? true);

    /// <summary>Inconsistencies between the evidence and the enrolled AK (name, public area, log digest).</summary>
    public IReadOnlyList<string> EvidenceFailures { get; }

    /// <summary>The quote verdict (including replay/rollback failures when a tracker was used).</summary>
    public QuoteVerdict Quote { get; }

    /// <summary>The event log replay, when the evidence carried a log and the quote was valid.</summary>
    public EventLogReplay? EventLog { get; }

    /// <summary>The golden values evaluation, when a policy was given and the quote was valid.</summary>
    public GoldenValuesVerdict? GoldenValues { get; }

    /// <summary>Every failure reason, prefixed by its area.</summary>
    public IEnumerable<string> AllFailures =>
        EvidenceFailures.Select(f => "evidence: " + f)
            .Concat(Quote.Failures.Select(f => "quote: " + f))
            .Concat(EventLog?.Failures.Select(f => "event log: " + f) ?? [])
            .Concat(GoldenValues is { IsMatch: false } g ? g.Results.SelectMany(r => r.Failures.Select(f => $"golden values {r.Configuration}: {f}")) : []);

    /// <inheritdoc/>
    public override string ToString() => IsValid ? "valid" : string.Join("; ", AllFailures);
}

/// <summary>
/// Verifies <see cref="TpmEvidence"/> end to end: consistency with the enrolled AK, the quote
/// (<see cref="QuoteVerifier"/>), the event log replay (<see cref="TcgEventLogReplayer"/>) and a golden values policy.
/// The log server adds <see cref="QuoteCounterTracker"/> through <see cref="VerifyAndTrackAsync"/>.
/// </summary>
public static class TpmEvidenceVerifier
{
    /// <summary>Verifies the evidence statelessly (no replay/rollback tracking).</summary>
    /// <param name="evidence">The evidence.</param>
    /// <param name="key">The enrolled AK the evidence must name.</param>
    /// <param name="expectedExtraData">SHA-256 of the DSSE PAE bytes of the statement the quote must be bound to.</param>
    /// <param name="quotePolicy">Required PCRs and clock safety.</param>
    /// <param name="goldenValues">Published configurations the machine must match, or null to skip.</param>
    public static TpmEvidenceVerdict Verify(
        TpmEvidence evidence, AttestationKey key, ReadOnlySpan<byte> expectedExtraData, QuotePolicy? quotePolicy = null, GoldenValuesPolicy? goldenValues = null)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(key);
        var failures = new List<string>();
        if (!evidence.AkName.Span.SequenceEqual(key.Name.Span))
        {
            failures.Add($"akName {Convert.ToHexStringLower(evidence.AkName.Span)} is not the enrolled AK {Convert.ToHexStringLower(key.Name.Span)}");
        }

        if (evidence.AkPublic is ReadOnlyMemory<byte> akPublic
            && (!TpmPublic.TryReadSized(akPublic.Span, out TpmPublic? pub, out int used) || used != akPublic.Length
                || !TpmHash.IsComputable(pub.NameAlg) || !pub.ComputeName().AsSpan().SequenceEqual(key.Name.Span)))
        {
            failures.Add("akPublic is not the enrolled AK's public area");
        }

        if (evidence.EventLog is ReadOnlyMemory<byte> log && evidence.EventLogSha256 is ReadOnlyMemory<byte> digest
            && !SHA256.HashData(log.Span).AsSpan().SequenceEqual(digest.Span))
        {
            failures.Add("eventLogSha256 is not the SHA-256 of eventLog");
        }

        QuoteVerdict quote = QuoteVerifier.Verify(evidence.Attest.Span, evidence.Signature.Span, key, expectedExtraData, evidence.Pcrs, quotePolicy);
        return Finish(evidence, failures, quote, goldenValues);
    }

    /// <summary>
    /// Verifies the evidence and, when everything else passed, checks and records the quote's clock against the AK's
    /// previous quotes (replay and rollback detection); a failure there is added to the quote verdict.
    /// </summary>
    public static async ValueTask<TpmEvidenceVerdict> VerifyAndTrackAsync(
        TpmEvidence evidence, AttestationKey key, ReadOnlyMemory<byte> expectedExtraData, QuoteCounterTracker tracker,
        QuotePolicy? quotePolicy = null, GoldenValuesPolicy? goldenValues = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        TpmEvidenceVerdict verdict = Verify(evidence, key, expectedExtraData.Span, quotePolicy, goldenValues);
        if (!verdict.IsValid || verdict.Quote.Attest is null)
        {
            return verdict;
        }

        IReadOnlyList<QuoteFailure> counters = await tracker.CheckAndRecordAsync(key.Name, verdict.Quote.Attest.ClockInfo, cancellationToken).ConfigureAwait(false);
        return counters.Count == 0
            ? verdict
            : new TpmEvidenceVerdict(verdict.EvidenceFailures, verdict.Quote.With(counters), verdict.EventLog, verdict.GoldenValues);
    }

    private static TpmEvidenceVerdict Finish(TpmEvidence evidence, List<string> failures, QuoteVerdict quote, GoldenValuesPolicy? goldenValues)
    {
        if (quote.QuotedPcrs is not PcrValueSet quoted)
        {
            return new TpmEvidenceVerdict(failures, quote, null, null);
        }

        EventLogReplay? replay = evidence.EventLog is ReadOnlyMemory<byte> log ? TcgEventLogReplayer.Replay(log.Span, quoted) : null;
        GoldenValuesVerdict? golden = goldenValues?.Evaluate(quoted, replay);
        return new TpmEvidenceVerdict(failures, quote, replay, golden);
    }
}
