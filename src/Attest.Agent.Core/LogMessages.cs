using Microsoft.Extensions.Logging;

namespace Attest.Agent.Core;

/// <summary>The agent's log messages, with fixed event ids (1xxx delivery, 3xxx rebuild; the hook reports on stderr, which Nix shows).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Log {Log} accepted {Document} at index {Index} (HTTP {Status})")]
    public static partial void Delivered(this ILogger logger, Uri log, string document, long index, int status);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Log {Log} unavailable for {Document} (HTTP {Status}): {Detail}; retrying in {Delay}")]
    public static partial void DeliveryDeferred(this ILogger logger, Uri log, string document, int status, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Log {Log} refused {Document} for good (HTTP {Status}); moved to dead letters: {Detail}")]
    public static partial void DeadLettered(this ILogger logger, Uri log, string document, int status, string detail);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Removed {Count} temporary files left by interrupted writers")]
    public static partial void TemporaryFilesRemoved(this ILogger logger, int count);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Cannot process spooled document {Document}: {Detail}")]
    public static partial void SpoolError(this ILogger logger, string document, string detail);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Delivery loop started: spool {Spool}, {LogCount} log(s)")]
    public static partial void DeliveryStarted(this ILogger logger, string spool, int logCount);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Delivery loop stopped with {Pending} document(s) pending")]
    public static partial void DeliveryStopped(this ILogger logger, int pending);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Rebuilding {Derivation}")]
    public static partial void Rebuilding(this ILogger logger, string derivation);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Rebuild of {Derivation} failed: {Detail}")]
    public static partial void RebuildFailed(this ILogger logger, string derivation, string detail);
}
