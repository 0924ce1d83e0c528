namespace Attest.Verifier.Monitoring;

/// <summary>What a monitor found wrong with a log. Every kind but <see cref="Unreachable"/> is evidence of misbehaviour.</summary>
public enum MonitorFindingKind
{
    /// <summary>The log could not be read (network, HTTP error, missing tile); not evidence of misbehaviour.</summary>
    Unreachable = 0,

    /// <summary>The checkpoint is malformed or does not verify under the log key and witness policy.</summary>
    BadCheckpoint,

    /// <summary>A checkpoint for the verified size with another root: two views of one tree.</summary>
    SplitView,

    /// <summary>A checkpoint not consistent with the verified one (the consistency proof fails, or the tree shrank).</summary>
    Fork,

    /// <summary>A served hash tile differs from the tile re-derived from the entries, or does not match the checkpoint.</summary>
    RewrittenTile,

    /// <summary>An entry's bytes changed: a bundle or search result no longer matches what was verified.</summary>
    AlteredEntry,

    /// <summary>A search omits an entry the monitor indexed.</summary>
    VanishedEntry,
}

/// <summary>One problem found with a log, with a message naming the log, sizes, roots and what differs.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Origin">The log's origin.</param>
/// <param name="Message">What differs.</param>
public sealed record MonitorFinding(MonitorFindingKind Kind, string Origin, string Message)
{
    /// <summary>Gets whether the finding is evidence that the log misbehaved (rather than being unreachable).</summary>
    public bool IsMisbehaviour => Kind != MonitorFindingKind.Unreachable;

    /// <inheritdoc/>
    public override string ToString() => $"{KindText(Kind)} in log {Origin}: {Message}";

    /// <summary>The upper-case label used in messages.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The label.</returns>
    public static string KindText(MonitorFindingKind kind) => kind switch
    {
        MonitorFindingKind.BadCheckpoint => "BAD CHECKPOINT",
        MonitorFindingKind.SplitView => "SPLIT VIEW",
        MonitorFindingKind.Fork => "FORK",
        MonitorFindingKind.RewrittenTile => "REWRITTEN TILE",
        MonitorFindingKind.AlteredEntry => "ALTERED ENTRY",
        MonitorFindingKind.VanishedEntry => "VANISHED ENTRY",
        _ => "UNREACHABLE",
    };
}

/// <summary>The outcome of one monitor pass over a log.</summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="PreviousSize">The verified size before the pass.</param>
/// <param name="TreeSize">The verified size after the pass.</param>
/// <param name="EntriesVerified">New entries re-derived in this pass.</param>
/// <param name="Findings">What was found wrong (empty when the log behaved).</param>
public sealed record MonitorResult(string Origin, long PreviousSize, long TreeSize, long EntriesVerified, IReadOnlyList<MonitorFinding> Findings);
