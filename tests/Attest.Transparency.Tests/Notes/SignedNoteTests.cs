using System.Text;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Tests.Notes;

public sealed class SignedNoteTests
{
    private static readonly Ed25519NoteSigner Signer = TestKeys.Log();

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string ValidNote(string text = "hello\nworld\n") => SignedNote.Sign(text, Signer).ToString();

    [Fact]
    public void Sign_Text_EndsWithBlankLineThenEmDashSignatureLine()
    {
        string note = ValidNote("a\n");

        Assert.StartsWith("a\n\n\u2014 log.example/test ", note, StringComparison.Ordinal);
        Assert.EndsWith("\n", note, StringComparison.Ordinal);
        Assert.Equal(2 + 1 + 4 + "log.example/test ".Length + 92 + 1, Utf8(note).Length);
    }

    public static TheoryData<string, string> MalformedNotes() => new()
    {
        { "no separator\n\u2014 k AAAAAAA=\n", "no blank line" },
        { "text\n\n", "no signature lines" },
        { "text\n\n\u2014 log.example/test QUFBQUFB", "does not end with a newline" },
        { "text\n\n- log.example/test QUFBQUFB\n", "em dash" },
        { "text\n\n\u2014log.example/test QUFBQUFB\n", "em dash" },
        { "text\n\n\u2014 log.example/testQUFBQUFB\n", "no space" },
        { "text\n\n\u2014  QUFBQUFB\n", "invalid key name" },
        { "text\n\n\u2014 a+b QUFBQUFB\n", "invalid key name" },
        { "text\n\n\u2014 k QUFBQUFB!\n", "base64" },
        { "text\n\n\u2014 k QUFBQUFB \n", "base64" },
        { "text\n\n\u2014 k QUFBQQ==\n", "fewer than" },
        { "text\n\n\u2014 k \n", "base64" },
        { "te\txt\n\n\u2014 k QUFBQUFB\n", "control character 0x09 at byte 2" },
        { "text\r\n\n\u2014 k QUFBQUFB\n", "control character 0x0d" },
    };

    [Theory]
    [MemberData(nameof(MalformedNotes))]
    public void TryParse_MalformedNote_FailsNamingTheProblem(string note, string expected)
    {
        Assert.False(SignedNote.TryParse(Utf8(note), out var parsed, out string? error));
        Assert.Null(parsed);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SignedNote.Parse(Utf8(note)));
    }

    [Fact]
    public void TryParse_InvalidUtf8_Fails()
    {
        byte[] note = [.. Utf8("te"), 0xC3, 0x28, .. Utf8(ValidNote())];

        Assert.False(SignedNote.TryParse(note, out _, out string? error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OverSizeCap_FailsBeforeScanning()
    {
        byte[] note = new byte[NoteLimits.MaxNoteBytes + 1];

        Assert.False(SignedNote.TryParse(note, out _, out string? error));
        Assert.Contains("limit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TooManyLines_Fails()
    {
        string text = string.Concat(Enumerable.Repeat("x\n", NoteLimits.MaxTextLines + 1));

        Assert.False(SignedNote.TryParse(Utf8(text + "\n\u2014 k QUFBQUFB\n"), out _, out string? error));
        Assert.Contains("lines", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OverlongLine_Fails()
    {
        string text = new string('x', NoteLimits.MaxLineBytes + 1) + "\n";

        Assert.False(SignedNote.TryParse(Utf8(text + "\n\u2014 k QUFBQUFB\n"), out _, out string? error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TextWithBlankLines_SplitsAtTheLastBlankLine()
    {
        string text = "a\n\nb\n\n\u2014 not a signature\n";
        var note = SignedNote.Sign(text, Signer);

        var parsed = SignedNote.Parse(note.ToBytes());

        Assert.Equal(text, parsed.Text);
        Assert.True(parsed.Verify(Signer.Verifier).IsValid);
    }

    [Fact]
    public void Verify_SixteenAndMoreSigners_AllVerify()
    {
        var signers = Enumerable.Range(0, 20).Select(i => (NoteSigner)TestKeys.Log($"signer{i}.example")).ToArray();
        var note = SignedNote.Sign("many\n", signers);

        var result = SignedNote.Parse(note.ToBytes()).Verify(signers.Select(s => s.Verifier));

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(20, result.Verified.Count);
    }

    [Fact]
    public void TryParse_MoreThanTheSignatureCap_Fails()
    {
        string line = "\u2014 k " + Convert.ToBase64String(new byte[68]) + "\n";
        string note = "t\n\n" + string.Concat(Enumerable.Repeat(line, NoteLimits.MaxSignatures + 1));

        Assert.False(SignedNote.TryParse(Utf8(note), out _, out string? error));
        Assert.Contains("more than 100 signature", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_UnknownSignatures_AreIgnoredButKeptForReserving()
    {
        var other = TestKeys.Log("other.example");
        var note = SignedNote.Sign("text\n", other, Signer);

        var parsed = SignedNote.Parse(note.ToBytes());
        var result = parsed.Verify(Signer.Verifier);

        Assert.True(result.IsValid, result.Error);
        Assert.Single(result.Unknown);
        Assert.Equal("other.example", result.Unknown[0].Name);
        Assert.Equal(note.ToString(), parsed.ToString());
    }

    [Fact]
    public void Verify_OnlyUnknownSignatures_IsInvalidAndSaysSo()
    {
        var note = SignedNote.Parse(SignedNote.Sign("text\n", TestKeys.Log("other.example")).ToBytes());

        var result = note.Verify(Signer.Verifier);

        Assert.False(result.IsValid);
        Assert.Contains("no signature by a known key", result.Error, StringComparison.Ordinal);
        Assert.Throws<NoteVerificationException>(result.ThrowIfInvalid);
    }

    [Fact]
    public void Verify_SameNameDifferentKeyId_IsUnknownNotFailed()
    {
        var impostor = TestKeys.Log("log.example/test-impostor");
        var renamed = new NoteSignature(Signer.Name, impostor.KeyId, impostor.Sign("text\n"u8));
        var note = SignedNote.Sign("text\n", Signer).WithSignatures([renamed]);

        var result = note.Verify(Signer.Verifier);

        Assert.True(result.IsValid, result.Error);
        Assert.Single(result.Unknown);
    }

    [Fact]
    public void Verify_KnownKeyBadSignature_FailsNamingKeyAndReason()
    {
        byte[] bad = Signer.Sign("other text\n"u8);
        var note = SignedNote.Sign("text\n", TestKeys.Log("other.example"))
            .WithSignatures([new NoteSignature(Signer.Name, Signer.KeyId, bad)]);

        var result = SignedNote.Parse(note.ToBytes()).Verify(Signer.Verifier);

        Assert.False(result.IsValid);
        var failure = Assert.Single(result.Failed);
        Assert.Equal(NoteSignatureFailure.InvalidSignature, failure.Reason);
        Assert.Contains("log.example/test+" + Signer.KeyId, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_KnownKeyWrongSignatureLength_FailsWithWrongLength()
    {
        var note = SignedNote.Sign("text\n", TestKeys.Log("other.example"))
            .WithSignatures([new NoteSignature(Signer.Name, Signer.KeyId, new byte[63])]);

        var result = note.Verify(Signer.Verifier);

        Assert.Equal(NoteSignatureFailure.WrongLength, Assert.Single(result.Failed).Reason);
    }

    [Fact]
    public void Verify_RepeatedSignatureByKnownKey_FailsAsDuplicate()
    {
        var line = SignedNote.Sign("text\n", Signer).Signatures[0].ToLine();
        var note = SignedNote.Parse(Utf8("text\n\n" + line + line));

        var result = note.Verify(Signer.Verifier);

        Assert.False(result.IsValid);
        Assert.Equal(NoteSignatureFailure.Duplicate, Assert.Single(result.Failed).Reason);
    }

    [Fact]
    public void Verify_TwoConfiguredKeysWithSameNameAndId_FailsAsAmbiguous()
    {
        var (first, second) = FindKeyIdCollision("n");
        var note = SignedNote.Sign("text\n", Signer).WithSignatures([new NoteSignature("n", first.KeyId, new byte[64])]);

        var result = note.Verify(Signer.Verifier, first, second);

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.Equal(NoteSignatureFailure.AmbiguousKey, Assert.Single(result.Failed).Reason);
        Assert.Contains("more than one configured verifier key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void WithSignatures_SameKey_ReplacesTheEarlierLine()
    {
        var witness = TestKeys.Witness("w.example", 100);
        var later = TestKeys.Witness("w.example", 200);
        var note = SignedNote.Sign("text\n", Signer).AddSignatures(witness).AddSignatures(later);

        Assert.Equal(2, note.Signatures.Count);
        Assert.True(Cosignature.TryDecode(note.Signatures[1], out var cosignature));
        Assert.Equal(200ul, cosignature.Timestamp);
        Assert.True(note.Verify(Signer.Verifier, witness.Verifier).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no newline")]
    [InlineData("tab\there\n")]
    public void Sign_InvalidText_Throws(string text)
    {
        Assert.Throws<ArgumentException>(() => SignedNote.Sign(text, Signer));
    }

    [Fact]
    public void Sign_NoSigners_Throws()
    {
        Assert.Throws<ArgumentException>(() => SignedNote.Sign("text\n", Array.Empty<NoteSigner>()));
    }

    [Fact]
    public void ParseLines_WitnessResponseBody_ReadsEachLine()
    {
        var a = TestKeys.Witness("a.example");
        var b = TestKeys.Witness("b.example");
        var note = SignedNote.Sign("text\n", a, b);
        string body = string.Concat(note.Signatures.Select(s => s.ToLine()));

        var lines = NoteSignature.ParseLines(Utf8(body));

        Assert.Equal(note.Signatures, lines);
        Assert.False(NoteSignature.TryParseLines(Utf8(body.TrimEnd('\n')), out _, out string? error));
        Assert.Contains("newline", error, StringComparison.Ordinal);
        Assert.False(NoteSignature.TryParseLines([], out _, out _));
    }

    // Key IDs are 32 bits, so a birthday search over candidate public keys finds two with the same ID quickly;
    // about half of all 32-byte strings are valid Ed25519 point encodings.
    private static (Ed25519NoteVerifier First, Ed25519NoteVerifier Second) FindKeyIdCollision(string name)
    {
        var seen = new Dictionary<uint, byte[]>();
        for (int i = 0; ; i++)
        {
            byte[] key = System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i));
            uint id = NoteKeyId.Compute(name, 0x01, key).Value;
            if (seen.TryGetValue(id, out byte[]? other) && TryCreate(name, key, out var a) && TryCreate(name, other, out var b))
            {
                return (a, b);
            }

            seen[id] = key;
        }
    }

    private static bool TryCreate(string name, byte[] key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Ed25519NoteVerifier? verifier)
    {
        try
        {
            verifier = Ed25519NoteVerifier.Create(name, key);
            return true;
        }
        catch (ArgumentException)
        {
            verifier = null;
            return false;
        }
    }
}
