using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>The result of verifying one quote: every failure found, and the parsed parts when they parsed.</summary>
public sealed class QuoteVerdict
{
    internal QuoteVerdict(IReadOnlyList<QuoteFailure> failures, TpmAttest? attest, TpmSignature? signature, PcrValueSet? quotedPcrs)
    {
        Failures = failures;
        Attest = attest;
        Signature = signature;
        QuotedPcrs = failures.Count == 0 ? quotedPcrs : null;
    }

    /// <summary>Whether the quote passed every check.</summary>
    public bool IsValid => Failures.Count == 0;

    /// <summary>Every reason the quote was rejected (empty when valid).</summary>
    public IReadOnlyList<QuoteFailure> Failures { get; }

    /// <summary>The parsed TPMS_ATTEST, when it parsed (present even when other checks failed, for diagnostics).</summary>
    public TpmAttest? Attest { get; }

    /// <summary>The parsed signature, when it parsed.</summary>
    public TpmSignature? Signature { get; }

    /// <summary>The PCR values the quote vouches for; only set when the quote is valid.</summary>
    public PcrValueSet? QuotedPcrs { get; }

    /// <summary>Whether a failure with <paramref name="code"/> was found.</summary>
    public bool Has(QuoteFailureCode code) => Failures.Any(f => f.Code == code);

    /// <summary>A verdict with <paramref name="more"/> failures added (e.g. from <see cref="QuoteCounterTracker"/>).</summary>
    public QuoteVerdict With(IEnumerable<QuoteFailure> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        List<QuoteFailure> all = [.. Failures, .. more];
        return new QuoteVerdict(all, Attest, Signature, all.Count == 0 ? QuotedPcrs : null);
    }

    /// <inheritdoc/>
    public override string ToString() => IsValid ? "valid" : string.Join("; ", Failures);
}
