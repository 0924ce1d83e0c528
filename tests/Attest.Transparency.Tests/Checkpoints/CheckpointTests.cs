using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tests.Notes;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Checkpoints;

public sealed class CheckpointTests
{
    private const string Root300 = "gw31yQrqZZCcEOPrzX+bpy3nJ6QgngTKn8G1m0i62uU=";
    private const string EmptyRoot = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Parse_ThreeLines_ReadsOriginSizeAndRoot()
    {
        var checkpoint = Checkpoint.Parse($"example.com/log\n300\n{Root300}\n");

        Assert.Equal("example.com/log", checkpoint.Origin);
        Assert.Equal(300ul, checkpoint.TreeSize);
        Assert.Equal(MerkleHash.FromBase64(Root300), checkpoint.RootHash);
        Assert.Empty(checkpoint.Extensions);
    }

    [Fact]
    public void Parse_ExtensionLinesAndMaxSize_RoundTrip()
    {
        string text = $"o\n18446744073709551615\n{EmptyRoot}\next one\next two\n";

        var checkpoint = Checkpoint.Parse(text);

        Assert.Equal(ulong.MaxValue, checkpoint.TreeSize);
        Assert.Equal(["ext one", "ext two"], checkpoint.Extensions);
        Assert.Equal(text, checkpoint.ToText());
    }

    public static TheoryData<string, string> MalformedCheckpoints() => new()
    {
        { $"o\n1\n{Root300}", "newline" },
        { "o\n1\n", "at least three lines" },
        { $"\n1\n{Root300}\n", "origin" },
        { $"o\n01\n{Root300}\n", "leading zeros" },
        { $"o\n+1\n{Root300}\n", "tree size" },
        { $"o\n-1\n{Root300}\n", "tree size" },
        { $"o\n 1\n{Root300}\n", "tree size" },
        { $"o\n\n{Root300}\n", "tree size" },
        { $"o\n18446744073709551616\n{Root300}\n", "fits in 64 bits" },
        { $"o\n1\n{Root300[..^1]}\n", "root hash" },
        { "o\n1\nAAAA\n", "root hash" },
        { $"o\n1\n{Root300[..^2]}V=\n", "canonical" },
        { $"o\n1\n {Root300}\n", "root hash" },
        { $"o\n1\n{Root300}\n\nx\n", "extension line 4 is empty" },
        { $"o\n1\n{Root300}\r\n", "control character" },
    };

    [Theory]
    [MemberData(nameof(MalformedCheckpoints))]
    public void TryParse_Malformed_FailsNamingTheLine(string text, string expected)
    {
        Assert.False(Checkpoint.TryParse(Utf8(text), out var checkpoint, out string? error));
        Assert.Null(checkpoint);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Checkpoint.Parse(text));
    }

    [Fact]
    public void Constructor_InvalidLines_Throw()
    {
        Assert.Throws<ArgumentException>(() => new Checkpoint("", 1, default));
        Assert.Throws<ArgumentException>(() => new Checkpoint("a\nb", 1, default));
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, default, [""]));
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, default, ["x\ny"]));
    }

    [Property(MaxTest = 200)]
    public void ToText_ThenParse_RoundTrips(NonEmptyString origin, ulong size, byte[] rootSeed, string[]? extensions)
    {
        string cleanOrigin = Clean(origin.Get);
        var root = new MerkleHash(System.Security.Cryptography.SHA256.HashData(rootSeed ?? []));
        var lines = (extensions ?? []).Take(10).Select(Clean).ToArray();
        var checkpoint = new Checkpoint(cleanOrigin, size, root, lines);

        var parsed = Checkpoint.Parse(checkpoint.ToUtf8());

        Assert.Equal(checkpoint, parsed);
        Assert.Equal(checkpoint.ToText(), parsed.ToText());
    }

    [Property(MaxTest = 300)]
    public void TryParse_MutatedCheckpoint_FailsCleanlyOrParses(int seed)
    {
        byte[] text = Utf8($"example.com/log\n300\n{Root300}\next\n");

        foreach (byte[] mutated in Mutations.Of(text, seed, 10))
        {
            bool ok = Checkpoint.TryParse(mutated, out var checkpoint, out string? error);
            Assert.True(ok ? checkpoint is not null : !string.IsNullOrEmpty(error));
            if (ok)
            {
                Assert.Equal(mutated, checkpoint!.ToUtf8());
            }
        }
    }

    [Fact]
    public void Sign_LogKey_VerifiesUnderPolicyAndRejectsOtherOrigin()
    {
        var log = TestKeys.Log("example.com/log");
        var signed = new Checkpoint("example.com/log", 3, MerkleHash.FromBase64(Root300)).Sign(log);

        var reparsed = SignedCheckpoint.Parse(signed.ToBytes());

        Assert.True(reparsed.Verify(new CheckpointPolicy("example.com/log", [log.Verifier])).IsValid);
        var wrongOrigin = reparsed.Verify(new CheckpointPolicy("example.com/other", [log.Verifier]));
        Assert.Equal(CheckpointFailure.OriginMismatch, wrongOrigin.Failure);
        Assert.Contains("example.com/other", wrongOrigin.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WitnessQuorum_CountsDistinctVerifiedCosigners()
    {
        var log = TestKeys.Log("example.com/log");
        var w1 = TestKeys.Witness("w1.example", 1000);
        var w2 = TestKeys.Witness("w2.example", 2000);
        var w3 = TestKeys.Witness("w3.example", 3000);
        var signed = new Checkpoint("example.com/log", 3, MerkleHash.FromBase64(Root300)).Sign(log);
        var policy = new CheckpointPolicy("example.com/log", [log.Verifier], [w1.Verifier, w2.Verifier, w3.Verifier], 2);

        var none = signed.Verify(policy);
        var one = SignedCheckpoint.FromNote(signed.Note.AddSignatures(w1)).Verify(policy);
        var two = SignedCheckpoint.FromNote(signed.Note.AddSignatures(w1, w3)).Verify(policy);

        Assert.Equal(CheckpointFailure.TooFewCosignatures, none.Failure);
        Assert.Equal(CheckpointFailure.TooFewCosignatures, one.Failure);
        Assert.Contains("1 of the 3", one.Message, StringComparison.Ordinal);
        Assert.True(two.IsValid, two.Message);
        Assert.Equal([1000ul, 3000ul], two.Cosignatures.Select(c => c.Timestamp));
    }

    [Fact]
    public void Verify_NoLogSignature_FailsEvenWithCosignatures()
    {
        var log = TestKeys.Log("example.com/log");
        var w1 = TestKeys.Witness("w1.example");
        var cosignedOnly = SignedNote.Sign($"example.com/log\n3\n{Root300}\n", w1);

        var verdict = SignedCheckpoint.FromNote(cosignedOnly).Verify(new CheckpointPolicy("example.com/log", [log.Verifier], [w1.Verifier], 1));

        Assert.Equal(CheckpointFailure.LogSignatureMissing, verdict.Failure);
    }

    [Fact]
    public void Verify_ForgedCosignature_FailsAsCosignatureInvalid()
    {
        var log = TestKeys.Log("example.com/log");
        var w1 = TestKeys.Witness("w1.example");
        var signed = new Checkpoint("example.com/log", 3, MerkleHash.FromBase64(Root300)).Sign(log);
        byte[] forged = w1.Sign(Utf8($"example.com/log\n4\n{Root300}\n"), 5);
        var note = signed.Note.WithSignatures([new NoteSignature(w1.Name, w1.KeyId, forged)]);

        var verdict = SignedCheckpoint.FromNote(note).Verify(new CheckpointPolicy("example.com/log", [log.Verifier], [w1.Verifier], 1));

        Assert.Equal(CheckpointFailure.CosignatureInvalid, verdict.Failure);
    }

    [Fact]
    public void Policy_KeyBothLogAndWitness_Throws()
    {
        var log = TestKeys.Log("example.com/log");

        Assert.Throws<ArgumentException>(() => new CheckpointPolicy("example.com/log", [log.Verifier], [log.Verifier], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointPolicy("example.com/log", [log.Verifier], [], 1));
    }

    private static string Clean(string? s)
    {
        var builder = new StringBuilder();
        foreach (var rune in (s ?? string.Empty).EnumerateRunes())
        {
            builder.Append(rune.Value < 0x20 || rune == Rune.ReplacementChar ? "_" : rune.ToString());
        }

        return builder.Length == 0 ? "x" : builder.ToString();
    }
}
