namespace Attest.Agent.Core.Delivery;

/// <summary>How a log answered a submission.</summary>
public enum SubmissionOutcome
{
    /// <summary>201: the log stored the document durably as a new entry.</summary>
    Created,

    /// <summary>200: the log already held exactly this document.</summary>
    Duplicate,

    /// <summary>Network error, timeout, 5xx, 408, 429 or 503: try again later.</summary>
    Transient,

    /// <summary>Any other 4xx: the log will never accept this document.</summary>
    Rejected,
}

/// <summary>A log's answer to one submission.</summary>
/// <param name="Outcome">What it means for the document.</param>
/// <param name="StatusCode">The HTTP status, or 0 when no response arrived.</param>
/// <param name="Index">The entry's index for <see cref="SubmissionOutcome.Created"/> and <see cref="SubmissionOutcome.Duplicate"/>.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c>, when it sent one.</param>
/// <param name="Detail">The problem document or the network error, for logs and dead letters.</param>
public sealed record SubmissionResult(SubmissionOutcome Outcome, int StatusCode, long? Index, TimeSpan? RetryAfter, string Detail)
{
    /// <summary>Whether the log holds the document.</summary>
    public bool IsAccepted => Outcome is SubmissionOutcome.Created or SubmissionOutcome.Duplicate;
}
