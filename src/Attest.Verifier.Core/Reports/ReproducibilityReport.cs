namespace Attest.Verifier.Reports;

/// <summary>The reproducibility report over one or more logs.</summary>
/// <param name="GeneratedAt">When the report was made.</param>
/// <param name="Logs">The logs read, with the checkpoint sizes read up to.</param>
/// <param name="Totals">Overall figures.</param>
/// <param name="Builders">Per-builder figures, by display name.</param>
/// <param name="Days">Per-day figures (UTC, by the statement's <c>finishedOn</c>), oldest first.</param>
/// <param name="Disputed">Every disputed output, by store path.</param>
/// <param name="Reproduced">Reproduced outputs, by store path (capped).</param>
/// <param name="BuiltOnce">Outputs built once, by store path (capped).</param>
/// <param name="TpmCounterRegressions">TPM quotes whose counters went backwards for their attestation key, in log order (capped).</param>
public sealed record ReproducibilityReport(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<LogSource> Logs,
    ReportTotals Totals,
    IReadOnlyList<BuilderReport> Builders,
    IReadOnlyList<DayReport> Days,
    IReadOnlyList<OutputReport> Disputed,
    IReadOnlyList<OutputReport> Reproduced,
    IReadOnlyList<OutputReport> BuiltOnce,
    IReadOnlyList<TpmCounterRegression> TpmCounterRegressions);

/// <summary>
/// A TPM quote whose counters went backwards against an earlier quote of the same attestation key in the same log:
/// resetCount or restartCount lower (a rolled-back TPM state), or a clock that did not move on (a replayed or
/// rewound quote). Later quotes are compared with the last one that was in order.
/// </summary>
/// <param name="Origin">The log.</param>
/// <param name="AkName">The attestation key's Name, lowercase hex.</param>
/// <param name="BuilderKeyId">The builder whose attestation carried the quote.</param>
/// <param name="PreviousIndex">The log index of the earlier quote it is compared with.</param>
/// <param name="Index">The log index of the quote that went backwards.</param>
/// <param name="Kind">CounterRollback, ClockWentBack or Replay.</param>
/// <param name="Reason">What went backwards.</param>
public sealed record TpmCounterRegression(string Origin, string AkName, string BuilderKeyId, long PreviousIndex, long Index, string Kind, string Reason);

/// <summary>A log the report read.</summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="TreeSize">The verified checkpoint size read up to.</param>
public sealed record LogSource(string Origin, long TreeSize);

/// <summary>Overall figures.</summary>
/// <param name="Attestations">Attested outputs counted (one per output of each attestation, repeats included).</param>
/// <param name="Repeats">Attestations that repeated a builder's earlier claim (same output, same hash).</param>
/// <param name="Unreadable">Entries that were neither an attestation nor a registry change.</param>
/// <param name="RegistryChanges">Registry changes read.</param>
/// <param name="Outputs">Distinct derivation outputs.</param>
/// <param name="Reproduced">Outputs every builder agrees on, with at least two builders.</param>
/// <param name="Disputed">Outputs with differing NAR hashes.</param>
/// <param name="BuiltOnce">Outputs attested by one builder.</param>
/// <param name="Builders">Distinct builder keys that attested.</param>
public sealed record ReportTotals(
    long Attestations, long Repeats, long Unreadable, long RegistryChanges, long Outputs, long Reproduced, long Disputed, long BuiltOnce, int Builders)
{
    /// <summary>Gets the share of outputs built by two or more builders that reproduced, 0 to 1 (0 when there are none).</summary>
    public double ReproducedShare => Reproduced + Disputed == 0 ? 0 : (double)Reproduced / (Reproduced + Disputed);
}

/// <summary>One builder's figures.</summary>
/// <param name="KeyId">The builder's key id.</param>
/// <param name="Name">Its registered name, or null when unknown.</param>
/// <param name="Attestations">Attested outputs, repeats included.</param>
/// <param name="Outputs">Distinct outputs it attested.</param>
/// <param name="ReproducedByOthers">Of those, outputs other builders reproduced with the same hash.</param>
/// <param name="Disputed">Of those, outputs that are disputed.</param>
public sealed record BuilderReport(string KeyId, string? Name, long Attestations, long Outputs, long ReproducedByOthers, long Disputed)
{
    /// <summary>Gets the name, or the key id's first 16 characters when the builder is unknown.</summary>
    public string DisplayName => Name ?? "key " + KeyId[..Math.Min(16, KeyId.Length)];
}

/// <summary>One day's figures: outputs are counted on the day of their first attestation.</summary>
/// <param name="Date">The UTC day.</param>
/// <param name="Attestations">Attestations whose build finished that day.</param>
/// <param name="Reproduced">Outputs first built that day that are now reproduced.</param>
/// <param name="Disputed">Outputs first built that day that are now disputed.</param>
/// <param name="BuiltOnce">Outputs first built that day that are built once.</param>
public sealed record DayReport(DateOnly Date, long Attestations, long Reproduced, long Disputed, long BuiltOnce);

/// <summary>One derivation output and who attested what.</summary>
/// <param name="Derivation">The derivation's store path.</param>
/// <param name="Output">The output name.</param>
/// <param name="StorePath">The output's store path.</param>
/// <param name="Status">Its status.</param>
/// <param name="Claims">Each builder's NAR hash, grouped by hash.</param>
public sealed record OutputReport(string Derivation, string Output, string StorePath, OutputStatus Status, IReadOnlyList<BuilderClaim> Claims);

/// <summary>A builder's claim about an output.</summary>
/// <param name="KeyId">The builder's key id.</param>
/// <param name="Name">Its name, or null when unknown.</param>
/// <param name="NarHash">The NAR hash it attested.</param>
public sealed record BuilderClaim(string KeyId, string? Name, string NarHash)
{
    /// <summary>Gets the name, or the key id's first 16 characters when the builder is unknown.</summary>
    public string DisplayName => Name ?? "key " + KeyId[..Math.Min(16, KeyId.Length)];
}
