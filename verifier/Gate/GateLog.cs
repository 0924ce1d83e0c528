namespace Attest.Verifier.Cli.Gate;

/// <summary>The gate's log messages, with fixed event ids (6100-6199). Never key material.</summary>
internal static partial class GateLog
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "Gate listening on {Urls} in front of {Upstream}; narinfos signed by {SigningKey}")]
    public static partial void Started(ILogger logger, string urls, string upstream, string signingKey);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Served the narinfo of {StorePath}")]
    public static partial void NarInfoServed(ILogger logger, string storePath);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Refused {StorePath} with NAR hash {NarHash}: {Reason}")]
    public static partial void NarInfoRefused(ILogger logger, string storePath, string narHash, string reason);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Error, Message = "Did not serve the narinfo {HashPart}: the upstream's answer is unusable: {Reason}")]
    public static partial void BadUpstreamNarInfo(ILogger logger, string hashPart, string reason);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Refused the NAR {Url}: {Reason}")]
    public static partial void NarRefused(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Error, Message = "Could not stream the NAR {Url}: {Reason}")]
    public static partial void BadUpstreamNar(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Debug, Message = "Not found: {Path}")]
    public static partial void NotFound(ILogger logger, string path);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Information, Message = "The logs moved on ({Checkpoints}); refusals will be decided again, trusted paths re-verified in the background")]
    public static partial void LogsAdvanced(ILogger logger, string checkpoints);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Warning, Message = "Could not follow the logs' checkpoints; deciding on the ones verified before: {Reason}")]
    public static partial void LogsUnreachable(ILogger logger, string reason);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Error, Message = "A log misbehaved; every path is refused until it checks out again: {Reason}")]
    public static partial void LogMisbehaved(ILogger logger, string reason);
}
