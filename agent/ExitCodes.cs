namespace Attest.Agent;

/// <summary>The agent's exit codes; scripts and systemd units may rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>Done (for <c>hook</c>: also when attesting failed and <c>failBuildOnError</c> is off).</summary>
    public const int Success = 0;

    /// <summary>An unexpected error.</summary>
    public const int Failure = 1;

    /// <summary>The command line is invalid.</summary>
    public const int Usage = 2;

    /// <summary>The configuration file is missing or invalid.</summary>
    public const int ConfigurationError = 3;

    /// <summary><c>hook</c> could not attest the build and <c>failBuildOnError</c> is on.</summary>
    public const int AttestationFailed = 4;

    /// <summary><c>flush</c> left documents in the outbox (a log is unreachable).</summary>
    public const int DeliveryIncomplete = 5;

    /// <summary><c>flush</c> moved documents to the dead letters (a log refused them).</summary>
    public const int DeadLettered = 6;

    /// <summary><c>rebuild</c> produced outputs whose NAR hashes differ from what the log holds.</summary>
    public const int RebuildMismatch = 7;

    /// <summary><c>rebuild</c> could not build the derivation.</summary>
    public const int RebuildFailed = 8;

    /// <summary><c>rebuild</c> found nothing in the log to compare with.</summary>
    public const int NotInLog = 9;

    /// <summary><c>init</c> refused to overwrite an existing identity.</summary>
    public const int IdentityExists = 10;

    /// <summary>A file could not be read or written (for example <c>nar-hash</c> of an unreadable path).</summary>
    public const int IoError = 11;
}
