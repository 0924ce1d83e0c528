using System.Text;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Verifier.Bundles;
using Attest.Verifier.Tests.Verification;
using Attest.Verifier.Verification;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Verifier.Tests.Tpm;

/// <summary>Offline bundles with registry entries, and the binding history against a model of the registry rules.</summary>
public sealed class RegistryBundleTests
{
    [Fact]
    public void TryParse_RegistryMemberHoldingAnAttestation_Refused()
    {
        using var s = new TpmScenario().Enrolled();
        s.Attest(s.TpmBuilder, TestAttestations.Path("x-1.0"), TestAttestations.Hash("x"), s.Ak);
        var bundle = s.Bundle();
        string json = Encoding.UTF8.GetString(
            OfflineBundle.Create(bundle.Entries.Skip(1), bundle.Registry).ToJson());
        string attestation = Convert.ToBase64String(bundle.Entries[0].Entry.Span);
        string registryEntry = Convert.ToBase64String(bundle.Registry[0].Entry.Span);

        Assert.False(OfflineBundle.TryParse(Encoding.UTF8.GetBytes(json.Replace(registryEntry, attestation, StringComparison.Ordinal)), out _, out string? error));
        Assert.Contains("$.registry[0].entry: not a builder-registry change", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_SameIndexInEntriesAndRegistry_Refused()
    {
        using var s = new TpmScenario().Enrolled();
        s.Attest(s.TpmBuilder, TestAttestations.Path("y-1.0"), TestAttestations.Hash("y"), s.Ak);
        var bundle = s.Bundle();
        string json = Encoding.UTF8.GetString(bundle.ToJson()).Replace("\"index\": 0,", $"\"index\": {bundle.Entries[0].Index},", StringComparison.Ordinal);

        Assert.False(OfflineBundle.TryParse(Encoding.UTF8.GetBytes(json), out _, out string? error));
        Assert.Contains("$.registry[0]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MutatedBundleWithRegistry_OnlyDocumentedOutcomes()
    {
        using var s = new TpmScenario().Enrolled();
        s.Attest(s.TpmBuilder, TestAttestations.Path("z-1.0"), TestAttestations.Hash("z"), s.Ak);
        byte[] valid = s.Bundle().ToJson();
        Prop.ForAll(
            Gen.Choose(0, valid.Length - 1).ToArbitrary(),
            Gen.Choose(0, 255).ToArbitrary(),
            Gen.Choose(0, valid.Length).ToArbitrary(),
            (position, value, cut) =>
            {
                byte[] mutated = (byte[])valid.Clone();
                mutated[position] = (byte)value;
                bool ok = OfflineBundle.TryParse(mutated.AsSpan(0, cut), out var parsed, out var error);
                return ok ? parsed is not null : !string.IsNullOrEmpty(error);
            }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// For any sequence of add, revoke and ak-binding changes of one builder, the AK is bound at a point exactly when
    /// the model says so: the last binding of the AK came while the key was active, with no revocation since.
    /// </summary>
    [Fact]
    public void TryFind_RandomRegistryHistories_AgreesWithTheRegistryRules()
    {
        using var builder = IdentityKey.Generate("builder");
        using var ak = new SoftwareAk();
        using var other = new SoftwareAk();
        var time = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        Prop.ForAll(Gen.ListOf(Gen.Choose(0, 3)).Select(l => l.Take(12).ToArray()).ToArbitrary(), Gen.Choose(0, 14).ToArbitrary(), (actions, at) =>
        {
            var changes = new List<VerifiedRegistryChange>();
            bool active = false;
            bool bound = false;
            for (int i = 0; i < actions.Length; i++)
            {
                RegistryChange change = actions[i] switch
                {
                    0 => new RegistryChange(RegistryAction.Add, builder.PublicKey, "t", null, time, ""),
                    1 => new RegistryChange(RegistryAction.Revoke, builder.PublicKey, "t", null, time, ""),
                    2 => new RegistryChange(RegistryAction.AkBinding, builder.PublicKey, "t", null, time, "") { AkBinding = ak.RegistryBinding },
                    _ => new RegistryChange(RegistryAction.AkBinding, builder.PublicKey, "t", null, time, "") { AkBinding = other.RegistryBinding },
                };
                changes.Add(new VerifiedRegistryChange("log", (ulong)i, change));
                if (i >= at)
                {
                    continue;
                }

                // The model: BuilderRegistry's rules, then a revocation ends the bindings.
                switch (actions[i])
                {
                    case 0 when !active:
                        active = true;
                        break;
                    case 1 when active:
                        active = false;
                        bound = false;
                        break;
                    case 2 when active:
                        bound = true;
                        break;
                }
            }

            var history = AkBindingHistory.Create("log", builder.KeyId, changes);
            bool found = history.TryFind(ak.Name, (ulong)at, out BoundAttestationKey? binding, out string? problem);
            return found == bound && (found ? binding!.Binding.BuilderKeyId == builder.KeyId : problem is { Length: > 0 });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Create_ChangesOfOtherLogsAndBuilders_LeftOut()
    {
        using var builder = IdentityKey.Generate("builder");
        using var stranger = IdentityKey.Generate("stranger");
        using var ak = new SoftwareAk();
        var time = DateTimeOffset.UnixEpoch;
        RegistryChange Bind(IdentityKey key) => new(RegistryAction.AkBinding, key.PublicKey, "t", null, time, "") { AkBinding = ak.RegistryBinding };

        var history = AkBindingHistory.Create("log", builder.KeyId,
        [
            new VerifiedRegistryChange("log", 0, new RegistryChange(RegistryAction.Add, stranger.PublicKey, "t", null, time, "")),
            new VerifiedRegistryChange("log", 1, Bind(stranger)),
            new VerifiedRegistryChange("other-log", 2, new RegistryChange(RegistryAction.Add, builder.PublicKey, "t", null, time, "")),
            new VerifiedRegistryChange("other-log", 3, Bind(builder)),
        ]);

        Assert.Empty(history.Changes);
        Assert.False(history.TryFind(ak.Name, 10, out _, out string? problem));
        Assert.Contains("not bound to this builder in log", problem, StringComparison.Ordinal);
    }
}
