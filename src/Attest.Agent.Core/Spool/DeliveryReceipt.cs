namespace Attest.Agent.Core.Spool;

/// <summary>A log's acknowledgement of a document, kept in <c>delivered/</c> after the document leaves the outbox.</summary>
/// <param name="Document">The outbox file name of the document.</param>
/// <param name="Log">The log's base URL.</param>
/// <param name="Index">The log index the document has.</param>
/// <param name="Status">The HTTP status: 201 for a new entry, 200 for one the log already held.</param>
/// <param name="DeliveredAt">When the answer arrived.</param>
public sealed record DeliveryReceipt(string Document, Uri Log, long Index, int Status, DateTimeOffset DeliveredAt);

/// <summary>Why a log refused a document for good, stored next to the dead letter.</summary>
/// <param name="Document">The outbox file name of the document.</param>
/// <param name="Log">The log that refused it.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Problem">The response body (an RFC 9457 problem document), as text.</param>
/// <param name="RefusedAt">When the answer arrived.</param>
public sealed record DeadLetterReason(string Document, Uri Log, int Status, string Problem, DateTimeOffset RefusedAt);
