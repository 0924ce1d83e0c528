namespace Attest.Agent.Core.Delivery;

/// <summary>The result of one or more delivery passes over the outbox.</summary>
/// <param name="Delivered">Documents every log accepted (and that left the outbox).</param>
/// <param name="DeadLettered">Documents a log refused for good.</param>
/// <param name="Pending">Documents still in the outbox.</param>
/// <param name="NextAttemptAt">When a backing-off log may be tried again, if any is backing off.</param>
/// <param name="LastError">The last transient error seen, if any.</param>
public sealed record DeliveryPass(int Delivered, int DeadLettered, int Pending, DateTimeOffset? NextAttemptAt, string? LastError);
