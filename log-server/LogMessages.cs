namespace Attest.LogServer;

/// <summary>Every log line the host writes, with fixed event IDs (3000-3999).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(3000, LogLevel.Information, "Log {Origin} ready; verifier key {VerifierKey}; data in {DataDirectory}")]
    public static partial void Ready(ILogger logger, string origin, string verifierKey, string dataDirectory);

    [LoggerMessage(3001, LogLevel.Information, "Created a new log key in {KeyFile}")]
    public static partial void KeyCreated(ILogger logger, string keyFile);

    [LoggerMessage(3002, LogLevel.Information, "Created a new admin key in {KeyFile}; admin verifier key {AdminKey}")]
    public static partial void AdminKeyCreated(ILogger logger, string keyFile, string adminKey);

    [LoggerMessage(3003, LogLevel.Information, "Created an admin API token in {TokenFile}")]
    public static partial void AdminTokenCreated(ILogger logger, string tokenFile);

    [LoggerMessage(3004, LogLevel.Information, "Rejected a submission: {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, int status, string reason);

    [LoggerMessage(3005, LogLevel.Warning, "Refused an admin request: {Reason}")]
    public static partial void AdminRefused(ILogger logger, string reason);

    [LoggerMessage(3006, LogLevel.Information, "Builder {KeyId} {Change} at index {Index}")]
    public static partial void BuilderChanged(ILogger logger, string keyId, string change, long index);
}
