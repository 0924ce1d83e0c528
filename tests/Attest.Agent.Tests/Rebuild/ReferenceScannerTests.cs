using System.Text;
using Attest.Agent.Core.Hook;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Core.Rebuild;
using Attest.Agent.Tests.Infrastructure;
using Attest.Nix;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Agent.Tests.Rebuild;

public sealed class ReferenceScannerTests
{
    private static readonly StorePath[] Candidates =
    [
        StorePath.Parse("/nix/store/0c6kzph7l0dcbfmjap64f0czdafn3b7x-a"),
        StorePath.Parse("/nix/store/s66mzxpvicwk07gjbjfw9izjfa797vsw-b"),
        StorePath.Parse("/nix/store/xyz0123456789abcdfghijklmnpqrsvw-c"),
    ];

    [Fact]
    public void ScanChunks_HashPartSplitAcrossChunks_Found()
    {
        var text = Encoding.ASCII.GetBytes($"prefix {Candidates[1].HashPart}-b suffix");

        for (var split = 0; split <= text.Length; split++)
        {
            var found = ReferenceScanner.ScanChunks([text[..split], text[split..]], Candidates);

            Assert.Equal([Candidates[1]], found);
        }
    }

    [Fact]
    public void ScanChunks_OneByteChunks_FindsEveryEmbeddedHashPart()
    {
        var text = Encoding.ASCII.GetBytes($"{Candidates[2].HashPart}{Candidates[0].HashPart}x");

        var found = ReferenceScanner.ScanChunks(text.Select(b => new[] { b }), Candidates);

        Assert.Equal([Candidates[0], Candidates[2]], found);
    }

    [Fact]
    public void ScanChunks_HashPartWithOneForeignCharacter_NotFound()
    {
        var hash = Candidates[0].HashPart.ToCharArray();
        hash[10] = 'e'; // not in the nix32 alphabet

        Assert.Empty(ReferenceScanner.ScanChunks([Encoding.ASCII.GetBytes(new string(hash))], Candidates));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property ScanChunks_RandomTextAndSplits_SameAsWholeTextSearch(byte[] noise, int[] inserts, int[] splits)
    {
        // Build a text of random bytes with some candidates' hash parts inserted, cut it into random chunks, and
        // compare with a plain substring search over the whole text.
        var text = new List<byte>(noise ?? []);
        foreach (var insert in (inserts ?? []).Take(5))
        {
            var candidate = Candidates[(insert & 0x7fffffff) % Candidates.Length];
            text.InsertRange((insert & 0x7fffffff) % (text.Count + 1), Encoding.ASCII.GetBytes(candidate.HashPart));
        }

        var bytes = text.ToArray();
        var cuts = (splits ?? []).Select(s => (s & 0x7fffffff) % (bytes.Length + 1)).Append(0).Append(bytes.Length).Distinct().Order().ToList();
        var chunks = cuts.Zip(cuts.Skip(1), (from, to) => bytes[from..to]).ToList();
        var whole = Encoding.Latin1.GetString(bytes);
        var expected = Candidates.Where(c => whole.Contains(c.HashPart, StringComparison.Ordinal)).Order().ToList();

        return expected.SequenceEqual(ReferenceScanner.ScanChunks(chunks, Candidates)).ToProperty();
    }

    [Fact]
    public async Task Scan_RealOutput_SameHashAndReferencesAsNixRegistered()
    {
        using var dir = new TempDirectory();
        var builder = NixTestBuilder.Create(dir, "scan-builder", chroot: true);
        var salt = NixTestBuilder.NewSalt();
        var (exit, _, error) = await ProcessRunner.RunAsync("nix-build",
            [builder.NixFile, "--argstr", "salt", salt, "--no-out-link", .. builder.NixArguments(withHook: false)]);
        Assert.True(exit == 0, error);
        var drv = StorePath.Parse(await builder.InstantiateAsync(salt));
        var outputs = DerivationFacts.Parse(await File.ReadAllBytesAsync(builder.Physical(drv.FullPath))).Outputs
            .Select(o => o.Path!.Value).ToList();
        var registered = await new NixCli(null, NixStoreLocation.Parse(builder.ChrootStore)).QueryPathInfoAsync(outputs, CancellationToken.None);

        foreach (var output in outputs)
        {
            var (hash, references) = ReferenceScanner.Scan(builder.Physical(output.FullPath), outputs, CancellationToken.None);

            Assert.Equal(registered[output].NarHash, hash.Hash);
            Assert.Equal(registered[output].NarSize, hash.Size);
            Assert.Equal(registered[output].References, references);
        }
    }
}
