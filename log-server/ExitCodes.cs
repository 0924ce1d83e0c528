namespace Attest.LogServer;

/// <summary>Process exit codes of <c>attest-log</c>.</summary>
public static class ExitCodes
{
    /// <summary>Finished normally.</summary>
    public const int Success = 0;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 1;

    /// <summary>The store could not be opened or failed its start-up check (the reason is printed).</summary>
    public const int StoreRefused = 2;

    /// <summary>The configuration or a key file is invalid.</summary>
    public const int BadConfiguration = 3;

    /// <summary>A builder command was refused (unknown builder, bad key, already registered or revoked).</summary>
    public const int Refused = 4;
}
