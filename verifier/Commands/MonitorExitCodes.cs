namespace Attest.Verifier.Cli.Commands;

/// <summary>The exit codes of <c>attest-verify monitor</c> and <c>report</c> (documented in docs/monitor.md).</summary>
internal static class MonitorExitCodes
{
    /// <summary>Every log checked out (or, for <c>report</c>, the report was written).</summary>
    public const int Ok = 0;

    /// <summary>Bad usage or policy, or a log could not be read; nothing was found wrong with a log.</summary>
    public const int Error = 2;

    /// <summary>A log misbehaved: bad checkpoint, split view, fork, rewritten tile, altered or vanished entry.</summary>
    public const int Misbehaviour = 3;
}
