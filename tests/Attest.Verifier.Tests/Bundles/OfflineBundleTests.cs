using System.Text;
using Attest.Provenance.Signing;
using Attest.Verifier.Bundles;
using Attest.Verifier.Tests.Verification;
using Attest.Verifier.Verification;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Verifier.Tests.Bundles;

public sealed class OfflineBundleTests
{
    private static (OfflineBundle Bundle, InMemoryLog Log, IdentityKey Alice, IdentityKey Bob) Sample()
    {
        var alice = IdentityKey.Generate("alice-builder");
        var bob = IdentityKey.Generate("bob-builder");
        var log = new InMemoryLog();
        var path = TestAttestations.Path("bundle-1.0");
        log.Append(TestAttestations.Document(alice, path, TestAttestations.Hash("bundle")));
        log.Append(TestAttestations.Document(bob, path, TestAttestations.Hash("bundle")));
        log.Append(TestAttestations.Document(bob, TestAttestations.Path("other-2.0"), TestAttestations.Hash("other")));
        return (OfflineBundle.Create(log.All()), log, alice, bob);
    }

    [Fact]
    public async Task ToJson_Parse_RoundTripsEntriesProofsAndVerdict()
    {
        var (bundle, log, alice, bob) = Sample();
        using (alice)
        using (bob)
        {
            var parsed = OfflineBundle.Parse(bundle.ToJson());
            var path = TestAttestations.Path("bundle-1.0");
            var verifier = new PathVerifier(TestAttestations.Policy(log.Origin, log.Verifier, [(alice, "alice"), (bob, "bob")], 2, 2), [parsed]);

            var result = await verifier.VerifyAsync(new PathQuery(path, TestAttestations.Hash("bundle")), CancellationToken.None);

            Assert.Equal(bundle.Entries.Count, parsed.Entries.Count);
            Assert.Equal(bundle.Entries.Select(e => e.Entry.ToArray()), parsed.Entries.Select(e => e.Entry.ToArray()));
            Assert.Equal(bundle.Entries.Select(e => e.Proof.ToString()), parsed.Entries.Select(e => e.Proof.ToString()));
            Assert.Single(parsed.Checkpoints);
            Assert.Equal(2, (await parsed.FindAsync(path, CancellationToken.None)).Count);
            Assert.True(result.Verdict.Trusted, string.Join("; ", result.Verdict.Reasons));
        }
    }

    [Theory]
    [InlineData("{}", "$.format")]
    [InlineData("[]", "$: expected an object")]
    [InlineData("{\"format\":\"other\",\"checkpoints\":[],\"entries\":[]}", "$.format")]
    [InlineData("{\"format\":\"attest-verify-bundle/v1\",\"checkpoints\":[],\"entries\":[],\"x\":1}", "$.x: unknown member")]
    [InlineData("{\"format\":\"attest-verify-bundle/v1\",\"checkpoints\":[\"nope\"],\"entries\":[]}", "$.checkpoints[0]")]
    [InlineData("{\"format\":\"attest-verify-bundle/v1\",\"checkpoints\":[],\"entries\":[{\"origin\":\"o\",\"index\":-1,\"entry\":\"\",\"proof\":\"p\"}]}", "$.entries[0].index")]
    public void TryParse_Malformed_NamesTheMember(string json, string expected)
    {
        Assert.False(OfflineBundle.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ProofForAnotherIndex_Refused()
    {
        var (bundle, _, alice, bob) = Sample();
        using (alice)
        using (bob)
        {
            var json = Encoding.UTF8.GetString(bundle.ToJson()).Replace("\"index\": 0", "\"index\": 7", StringComparison.Ordinal);

            Assert.False(OfflineBundle.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
            Assert.Contains("not test.example/log#7", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            bool ok = OfflineBundle.TryParse(bytes, out var bundle, out var error);
            return ok ? bundle is not null : error is { Length: > 0 };
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TryParse_MutatedValidBundle_OnlyDocumentedOutcomes()
    {
        var (bundle, _, alice, bob) = Sample();
        using (alice)
        using (bob)
        {
            byte[] valid = bundle.ToJson();
            var random = new Random(6);
            for (int round = 0; round < 300; round++)
            {
                byte[] mutated = (byte[])valid.Clone();
                int changes = random.Next(1, 4);
                for (int c = 0; c < changes; c++)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                int cut = random.Next(2) == 0 ? random.Next(mutated.Length) : mutated.Length;
                bool ok = OfflineBundle.TryParse(mutated.AsSpan(0, cut), out var parsed, out var error);
                Assert.True(ok ? parsed is not null : !string.IsNullOrEmpty(error));
            }
        }
    }

    [Fact]
    public void Property_CreateThenParse_KeepsEveryEntry()
    {
        using var alice = IdentityKey.Generate("alice-builder");
        Prop.ForAll(Gen.Choose(1, 12).ToArbitrary(), count =>
        {
            var log = new InMemoryLog();
            for (int i = 0; i < count; i++)
            {
                log.Append(TestAttestations.Document(alice, TestAttestations.Path($"p{i}-1.0"), TestAttestations.Hash($"h{i}")));
            }

            var parsed = OfflineBundle.Parse(OfflineBundle.Create(log.All()).ToJson());
            return parsed.Entries.Count == count && parsed.Entries.Select(e => e.Index).SequenceEqual(Enumerable.Range(0, count).Select(i => (ulong)i));
        }).QuickCheckThrowOnFailure();
    }
}
