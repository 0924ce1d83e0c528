namespace Attest.Verifier.Cli;

/// <summary>The exit codes of <c>attest-verify</c>; scripts and the Nix gate rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>Every path is trusted under the policy.</summary>
    public const int Trusted = 0;

    /// <summary>At least one path is not trusted; the verdict says why.</summary>
    public const int NotTrusted = 1;

    /// <summary>Verification could not be done: bad usage or policy, an unreachable log, or a dishonest log (fork, rewritten tile or entry).</summary>
    public const int Error = 2;
}
