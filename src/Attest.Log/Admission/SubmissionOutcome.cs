using Attest.Transparency.Merkle;

namespace Attest.Log.Admission;

/// <summary>What became of one submission: accepted (new or duplicate) with its index, or refused with an HTTP status and reason.</summary>
public sealed record SubmissionOutcome
{
    private SubmissionOutcome(int httpStatus, string reason)
    {
        HttpStatus = httpStatus;
        Reason = reason;
    }

    /// <summary>The HTTP status to answer with (201, 200, 400, 401, 403, 413, 429, 500 or 503).</summary>
    public int HttpStatus { get; }

    /// <summary>A short stable reason (<c>created</c>, <c>duplicate</c>, <c>rate-limited</c>, <c>bad-signature</c>, ...), also the metrics label.</summary>
    public string Reason { get; }

    /// <summary>Whether the document is in the log (new or already there).</summary>
    public bool IsAccepted => HttpStatus is 200 or 201;

    /// <summary>True when the exact document was already logged.</summary>
    public bool Duplicate => HttpStatus == 200;

    /// <summary>The log index, when accepted.</summary>
    public long Index { get; private init; } = -1;

    /// <summary>The RFC 9162 leaf hash of the canonical document, when accepted.</summary>
    public MerkleHash LeafHash { get; private init; }

    /// <summary>The problem title, when refused.</summary>
    public string? Title { get; private init; }

    /// <summary>The problem detail naming what was wrong, when refused.</summary>
    public string? Detail { get; private init; }

    /// <summary>The offending field (a JSONPath such as <c>$.dsse.signatures[0].sig</c>), when one is to blame.</summary>
    public string? Field { get; private init; }

    /// <summary>When to retry (429 and 503).</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The limit that was exceeded (413: bytes).</summary>
    public long? Limit { get; private init; }

    /// <summary>An accepted submission.</summary>
    public static SubmissionOutcome Accepted(long index, MerkleHash leafHash, bool duplicate) =>
        new(duplicate ? 200 : 201, duplicate ? "duplicate" : "created") { Index = index, LeafHash = leafHash };

    /// <summary>A submission larger than the entry limit.</summary>
    public static SubmissionOutcome TooLarge() =>
        new(413, "too-large")
        {
            Title = "Entry too large",
            Detail = $"An entry is at most {SubmissionGate.MaxEntryBytes} bytes (the c2sp.org/tlog-tiles entry bundle limit).",
            Limit = SubmissionGate.MaxEntryBytes,
        };

    /// <summary>A refused submission.</summary>
    public static SubmissionOutcome Refused(int status, string reason, string title, string detail, string? field = null, TimeSpan? retryAfter = null) =>
        new(status, reason) { Title = title, Detail = detail, Field = field, RetryAfter = retryAfter };
}
