using Microsoft.Extensions.Logging;

namespace Attest.Log;

/// <summary>Every log line the engine writes, with fixed event IDs (1000-1999 engine, 2000-2999 witnesses).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1000, LogLevel.Information, "Opened log {Origin} in {DataDirectory}: tree size {TreeSize}, last signed checkpoint size {CheckpointSize}")]
    public static partial void Opened(ILogger logger, string origin, string dataDirectory, long treeSize, long checkpointSize);

    [LoggerMessage(1001, LogLevel.Information, "Signed checkpoint at tree size {TreeSize}")]
    public static partial void CheckpointSigned(ILogger logger, long treeSize);

    [LoggerMessage(1002, LogLevel.Warning, "The stored tree (size {TreeSize}) is ahead of the last signed checkpoint (size {CheckpointSize}); signing the stored tree after checking consistency")]
    public static partial void TreeAheadOfCheckpoint(ILogger logger, long treeSize, long checkpointSize);

    [LoggerMessage(1003, LogLevel.Critical, "Writing a batch of {Count} entries failed; the log stopped sequencing")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(1004, LogLevel.Error, "Signing or storing the checkpoint at size {TreeSize} failed")]
    public static partial void CheckpointFailed(ILogger logger, long treeSize, Exception exception);

    [LoggerMessage(1005, LogLevel.Information, "Draining the sequencer before shutdown at tree size {TreeSize}")]
    public static partial void Draining(ILogger logger, long treeSize);

    [LoggerMessage(1006, LogLevel.Information, "Shut down cleanly at tree size {TreeSize}, checkpoint size {CheckpointSize}")]
    public static partial void ShutDown(ILogger logger, long treeSize, long checkpointSize);

    [LoggerMessage(2000, LogLevel.Debug, "Witness {Witness} cosigned the checkpoint at size {TreeSize}")]
    public static partial void WitnessCosigned(ILogger logger, string witness, long treeSize);

    [LoggerMessage(2001, LogLevel.Information, "Witness {Witness} has size {WitnessSize}; resending with a proof from there")]
    public static partial void WitnessConflict(ILogger logger, string witness, long witnessSize);

    [LoggerMessage(2002, LogLevel.Warning, "Witness {Witness} refused or failed at size {TreeSize}: {Reason}")]
    public static partial void WitnessFailed(ILogger logger, string witness, long treeSize, string reason);

    [LoggerMessage(2003, LogLevel.Warning, "Witness {Witness} request failed at size {TreeSize}")]
    public static partial void WitnessError(ILogger logger, string witness, long treeSize, Exception exception);
}
