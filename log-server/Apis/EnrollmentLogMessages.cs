namespace Attest.LogServer;

/// <summary>The registrar's log messages (event ids 3100-3199, kept apart from the host's 3000s).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(3100, LogLevel.Information, "TPM enrollment challenge {EnrollmentId} issued to builder {KeyId}")]
    public static partial void EnrollmentChallenged(ILogger logger, string keyId, string enrollmentId);

    [LoggerMessage(3101, LogLevel.Information, "TPM enrollment refused for {Subject}: {Reasons}")]
    public static partial void EnrollmentRefused(ILogger logger, string subject, string reasons);

    [LoggerMessage(3102, LogLevel.Information, "AK {AkName} bound to builder {KeyId} at index {Index}")]
    public static partial void AkBound(ILogger logger, string keyId, string akName, long index);
}
