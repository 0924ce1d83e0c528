using System.Text;
using System.Text.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Verifier.Reports;
using Attest.Verifier.Tests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Verifier.Tests.Reports;

public sealed class ReportBuilderTests : IDisposable
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Day2 = new(2026, 11, 21, 23, 59, 0, TimeSpan.Zero);
    private readonly IdentityKey _alice = IdentityKey.Generate("alice");
    private readonly IdentityKey _bob = IdentityKey.Generate("bob");
    private readonly IdentityKey _admin = IdentityKey.Generate("log-admin");

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _admin.Dispose();
    }

    // alice and bob agree on "same", disagree on "differs", alice alone builds "solo" (twice: one repeat),
    // bob alone builds "late" on day 2; alice is named by a registry change, bob is not.
    private ReportBuilder KnownSet()
    {
        var builder = new ReportBuilder();
        var change = new RegistryChange(RegistryAction.Add, _alice.PublicKey, "ops", null, Day1, string.Empty);
        Assert.Equal(ReportEntryResult.RegistryChange, builder.Add(change.ToLogEntry(_admin)));
        builder.AddBatch(
        [
            Attestations.Document(_alice, "same", "same-bytes", Day1),
            Attestations.Document(_bob, "same", "same-bytes", Day2),
            Attestations.Document(_alice, "differs", "alice-bytes", Day1),
            Attestations.Document(_bob, "differs", "bob-bytes", Day1),
            Attestations.Document(_alice, "solo", "solo-bytes", Day1),
            Attestations.Document(_alice, "solo", "solo-bytes", Day1),
            Attestations.Document(_bob, "late", "late-bytes", Day2),
            "{\"not\":\"an attestation\"}"u8.ToArray(),
        ]);
        builder.AddLog("test.example/log", 9);
        return builder;
    }

    [Fact]
    public void Build_KnownSet_FiguresAreExact()
    {
        var report = KnownSet().Build(Day2);

        Assert.Equal(new ReportTotals(Attestations: 7, Repeats: 1, Unreadable: 1, RegistryChanges: 1, Outputs: 4, Reproduced: 1, Disputed: 1, BuiltOnce: 2, Builders: 2), report.Totals);
        var alice = report.Builders.Single(b => b.KeyId == _alice.KeyId);
        Assert.Equal(new BuilderReport(_alice.KeyId, "alice", 4, 3, 1, 1), alice);
        var bob = report.Builders.Single(b => b.KeyId == _bob.KeyId);
        Assert.Equal(new BuilderReport(_bob.KeyId, null, 3, 3, 1, 1), bob);
        Assert.StartsWith("key " + _bob.KeyId[..16], bob.DisplayName, StringComparison.Ordinal);
        Assert.Equal(
            [new DayReport(DateOnly.FromDateTime(Day1.UtcDateTime), 5, 1, 1, 1), new DayReport(DateOnly.FromDateTime(Day2.UtcDateTime), 2, 0, 0, 1)],
            report.Days);
        var disputed = Assert.Single(report.Disputed);
        Assert.Equal(Attestations.Path("differs").FullPath, disputed.StorePath);
        Assert.Equal(
            new[] { Attestations.NarHashText("alice-bytes"), Attestations.NarHashText("bob-bytes") }.Order(StringComparer.Ordinal),
            disputed.Claims.Select(c => c.NarHash));
        Assert.Equal(Attestations.Path("same").FullPath, Assert.Single(report.Reproduced).StorePath);
        Assert.Equal(2, report.BuiltOnce.Count);
    }

    [Fact]
    public void Write_KnownSet_JsonHoldsTheFigures()
    {
        var report = KnownSet().Build(Day2);
        using var stream = new MemoryStream();

        ReportJsonWriter.Write(report, stream);

        using var json = JsonDocument.Parse(stream.ToArray());
        var totals = json.RootElement.GetProperty("totals");
        Assert.Equal(4, totals.GetProperty("outputs").GetInt64());
        Assert.Equal(1, totals.GetProperty("reproduced").GetInt64());
        Assert.Equal(1, totals.GetProperty("disputed").GetInt64());
        Assert.Equal(2, totals.GetProperty("builtOnce").GetInt64());
        Assert.Equal("test.example/log", json.RootElement.GetProperty("logs")[0].GetProperty("origin").GetString());
        var claims = json.RootElement.GetProperty("disputed")[0].GetProperty("claims");
        Assert.Equal(2, claims.GetArrayLength());
        Assert.Equal("2026-11-21", json.RootElement.GetProperty("days")[1].GetProperty("date").GetString());
    }

    [Fact]
    public void Build_MaxListedZero_ListsDisputedOnly()
    {
        var report = KnownSet().Build(Day2, maxListed: 0);

        Assert.Single(report.Disputed);
        Assert.Empty(report.Reproduced);
        Assert.Empty(report.BuiltOnce);
        Assert.Equal(1, report.Totals.Reproduced);
    }

    [Fact]
    public void Add_GarbageEntries_CountedUnreadableWithoutThrowing()
    {
        var builder = new ReportBuilder();
        var random = new Random(1234);
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            Assert.Equal(ReportEntryResult.Unreadable, builder.Add(bytes));
        }

        var document = Attestations.Document(_alice, "x", "x", Day1);
        for (var i = 0; i < 300; i++)
        {
            var mutated = (byte[])document.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            _ = builder.Add(mutated);
        }

        Assert.Equal(600, builder.Build(Day1).Totals.Unreadable + builder.Attestations);
    }

    [Fact]
    public void WriteHtml_KnownSet_EscapesAndIsSelfContained()
    {
        var report = KnownSet().Build(Day2);
        var writer = new StringWriter();

        ReportHtmlWriter.Write(report, writer);

        var html = writer.ToString();
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"http", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains(Attestations.NarHashText("bob-bytes"), html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("id=\"disputed\"", StringComparison.Ordinal) < html.IndexOf("id=\"reproduced\"", StringComparison.Ordinal));
        Assert.Equal(Encoding.UTF8.GetByteCount(html), Encoding.UTF8.GetBytes(html).Length);
    }

    [Fact]
    public void AddBatch_AnyEntriesAndChunking_SameReportAsAddingOneByOne()
    {
        byte[][] pool =
        [
            .. from key in new[] { _alice, _bob, _admin }
               from package in new[] { "p0", "p1", "p2", "p3" }
               from content in new[] { "c0", "c1" }
               select Attestations.Document(key, package, content, Day1),
            "{\"dsse\":{}}"u8.ToArray(),
        ];
        Prop.ForAll(
            Gen.ListOf(Gen.Choose(0, pool.Length - 1)).ToArbitrary(),
            Gen.Choose(1, 10).ToArbitrary(),
            (picks, chunk) =>
            {
                var one = new ReportBuilder();
                var batched = new ReportBuilder();
                foreach (var pick in picks)
                {
                    one.Add(pool[pick]);
                }

                foreach (var part in picks.Select(p => pool[p]).Chunk(chunk))
                {
                    batched.AddBatch(part);
                }

                Assert.Equal(Json(one.Build(Day2)), Json(batched.Build(Day2)));
            }).QuickCheckThrowOnFailure();
    }

    private static string Json(ReproducibilityReport report)
    {
        using var stream = new MemoryStream();
        ReportJsonWriter.Write(report, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
