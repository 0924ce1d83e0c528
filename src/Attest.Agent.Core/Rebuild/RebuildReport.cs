using Attest.Nix;

namespace Attest.Agent.Core.Rebuild;

/// <summary>How one rebuilt output compares with the log.</summary>
public enum OutputVerdict
{
    /// <summary>Every other builder's attestation in the log has the same NAR hash.</summary>
    Match,

    /// <summary>At least one other builder attested a different NAR hash.</summary>
    Mismatch,

    /// <summary>No other builder has attested this output.</summary>
    NotInLog,
}

/// <summary>One output of a rebuild and what the log says about it.</summary>
/// <param name="Name">The output name.</param>
/// <param name="Path">The store path.</param>
/// <param name="NarHash">The rebuild's NAR hash.</param>
/// <param name="Verdict">The comparison.</param>
/// <param name="Others">Other builders' attestations of this output: builder id, NAR hash and log index.</param>
public sealed record RebuiltOutput(string Name, StorePath Path, NixHash NarHash, OutputVerdict Verdict, IReadOnlyList<(string Builder, NixHash NarHash, long Index)> Others)
{
    /// <summary>With <c>--check</c>: the NAR hash the local store registered for the original build; a difference is a mismatch.</summary>
    public NixHash? OriginalNarHash { get; init; }

    /// <summary>With <c>--check</c>, when the rebuild differs: where Nix kept the rebuilt result (<c>&lt;out&gt;.check</c>).</summary>
    public string? CheckPath { get; init; }
}

/// <summary>The result of rebuilding one derivation.</summary>
/// <param name="Derivation">The derivation.</param>
/// <param name="Outputs">Each output's comparison.</param>
/// <param name="SpooledDocument">The outbox file of this rebuilder's own attestation.</param>
public sealed record RebuildReport(StorePath Derivation, IReadOnlyList<RebuiltOutput> Outputs, string SpooledDocument)
{
    /// <summary>
    /// Outputs a <c>--check</c> rebuild did not compare: Nix stops at the first output that differs, so the
    /// attestation covers only the outputs it reports.
    /// </summary>
    public IReadOnlyList<StorePath> UncheckedOutputs { get; init; } = [];

    /// <summary>The overall verdict: mismatch if any output mismatches, not-in-log if none is in the log, else match.</summary>
    public OutputVerdict Verdict =>
        Outputs.Any(o => o.Verdict == OutputVerdict.Mismatch) ? OutputVerdict.Mismatch
        : Outputs.All(o => o.Verdict == OutputVerdict.NotInLog) ? OutputVerdict.NotInLog
        : OutputVerdict.Match;
}
