using System.Text;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Verifier.Gate;
using FsCheck.Xunit;

namespace Attest.Verifier.Tests.Gate;

public sealed class GateParsingPropertyTests
{
    [Property]
    public bool IsNarUrl_AnyString_AcceptsOnlyOneSafeFileUnderNar(string? text)
    {
        text ??= string.Empty;
        bool accepted = NixCacheGate.IsNarUrl(text);
        bool expected = text.StartsWith("nar/", StringComparison.Ordinal)
            && text.Length is > 4 and <= 512
            && text[4] != '.'
            && text[4..].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+');
        return accepted == expected && (!accepted || text.IndexOf('/', 4) < 0);
    }

    [Property]
    public bool IsHashPart_StorePathHashParts_Accepted(byte[] seed)
    {
        StorePath path = StorePath.Create(System.Security.Cryptography.SHA256.HashData(seed ?? []).AsSpan(0, StorePath.HashSize), "x");
        return NixCacheGate.IsHashPart(path.HashPart) && !NixCacheGate.IsHashPart(path.HashPart + "a") && !NixCacheGate.IsHashPart(path.HashPart.Replace(path.HashPart[0], 'e'));
    }

    /// <summary>Mutated upstream narinfos: the gate serves only what parses and describes the requested path, and never throws.</summary>
    [Fact]
    public async Task GetNarInfoAsync_MutatedUpstreamNarInfos_OnlyDocumentedOutcomes()
    {
        var decider = new PreparedDecider(GatePolicy.TwoOperators);
        await using var fixture = await GateFixture.StartAsync(decider);
        var (path, hash, _, _) = fixture.AddPath("fuzzed");
        decider.Attest(path, GatePolicy.Attestation(GatePolicy.Alice, hash, 1), GatePolicy.Attestation(GatePolicy.Bob, hash, 2));
        byte[] original = await File.ReadAllBytesAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo"));
        var random = new Random(20261122);

        for (int round = 0; round < 300; round++)
        {
            fixture.Gate.Decisions.Clear();
            byte[] mutated = [.. original];
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(mutated.Length);
                mutated[at] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)'\n',
                    _ => (byte)':',
                };
            }

            await File.WriteAllBytesAsync(Path.Combine(fixture.Directory, path.HashPart + ".narinfo"), mutated);
            NarInfoOutcome outcome = await fixture.Gate.GetNarInfoAsync(path.HashPart, CancellationToken.None);

            string? text = TryUtf8(mutated);
            bool valid = text is not null && NarInfo.TryParse(text, StorePath.DefaultStoreDir, out NarInfo? info, out _)
                && info.StorePath.HashPart == path.HashPart && NixCacheGate.IsNarUrl(info.Url);
            Assert.True(outcome.Status is NarInfoStatus.Served or NarInfoStatus.Refused or NarInfoStatus.BadUpstream, $"round {round}: {outcome.Status}");
            if (!valid)
            {
                Assert.Equal(NarInfoStatus.BadUpstream, outcome.Status);
            }

            if (outcome.Status == NarInfoStatus.Served)
            {
                NarInfo served = NarInfo.Parse(outcome.NarInfo!);
                Assert.Equal(path, served.StorePath);
                Assert.Equal(hash, served.NarHash);
            }
        }
    }

    private static string? TryUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
