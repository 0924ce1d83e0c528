using Attest.Verifier.Reports;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Tpm;

/// <summary>
/// The report follows every entry of a log in order, so it is where an attestation key's TPM counters are checked
/// across the whole log: resetCount and restartCount never go backwards and the clock moves on.
/// </summary>
public sealed class TpmCounterReportTests
{
    [Fact]
    public void Build_QuoteCountersGoBackwardsForOneAk_ListsEachRegressionWithBothIndexes()
    {
        using var s = new TpmScenario().Enrolled();
        using var otherAk = new SoftwareAk();
        s.Bind(s.PlainBuilder, otherAk);
        var first = Attest(s, "a", s.Ak, clock: 1_000);
        var replayed = Attest(s, "b", s.Ak, clock: 1_000);
        Attest(s, "c", otherAk, clock: 10);
        var later = Attest(s, "d", s.Ak, clock: 5_000);
        var rolledBack = Attest(s, "e", s.Ak, clock: 9_000, resetCount: 1);
        Attest(s, "f", s.Ak, clock: 6_000);

        var report = Report(s);

        Assert.Collection(
            report.TpmCounterRegressions,
            r => Assert.Equal(("Replay", (long)first, (long)replayed, s.Ak.NameHex, s.TpmBuilder.KeyId), (r.Kind, r.PreviousIndex, r.Index, r.AkName, r.BuilderKeyId)),
            r => Assert.Equal(("CounterRollback", (long)later, (long)rolledBack), (r.Kind, r.PreviousIndex, r.Index)));
        Assert.All(report.TpmCounterRegressions, r => Assert.Equal(s.Log.Origin, r.Origin));
    }

    [Fact]
    public void Build_QuotesInOrder_ListsNoRegression()
    {
        using var s = new TpmScenario().Enrolled();
        Attest(s, "a", s.Ak, clock: 1_000);
        Attest(s, "b", s.Ak, clock: 2_000);
        // A TPM Reset raises resetCount; the clock keeps counting across it (TPM 2.0 Part 1, Clock and Time).
        Attest(s, "c", s.Ak, clock: 3_000, resetCount: 3);

        var report = Report(s);

        Assert.Empty(report.TpmCounterRegressions);
        Assert.Equal(3, report.Totals.Attestations);
    }

    private static ulong Attest(TpmScenario s, string name, SoftwareAk ak, ulong clock, uint resetCount = 2)
    {
        var (path, hash) = Subject(name);
        return s.Attest(s.TpmBuilder, path, hash, ak, clock: clock, resetCount: resetCount);
    }

    private static (Nix.StorePath Path, Nix.NixHash Hash) Subject(string name) => (TestAttestations.Path(name), TestAttestations.Hash(name));

    private static ReproducibilityReport Report(TpmScenario s)
    {
        var checkpoint = s.Log.Checkpoint();
        var builder = new ReportBuilder();
        for (ulong i = 0; i < checkpoint.Checkpoint.TreeSize; i++)
        {
            builder.Add(s.Log.Evidence(i, checkpoint).Entry.Span);
        }

        builder.AddLog(s.Log.Origin, (long)checkpoint.Checkpoint.TreeSize);
        return builder.Build(DateTimeOffset.UnixEpoch);
    }
}
