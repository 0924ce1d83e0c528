using System.Text;
using Attest.Transparency.Notes;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Notes;

public sealed class SignedNotePropertyTests
{
    private static readonly Ed25519NoteSigner Signer = TestKeys.Log();
    private static readonly Ed25519NoteSigner Second = TestKeys.Log("second.example");

    // Any string, made into valid note text: control characters replaced, lone surrogates dropped, newline-terminated.
    private static string ToNoteText(string? raw)
    {
        var builder = new StringBuilder();
        foreach (var rune in (raw ?? string.Empty).EnumerateRunes())
        {
            builder.Append(rune.Value is < 0x20 and not '\n' || rune == Rune.ReplacementChar ? "?" : rune.ToString());
        }

        return builder.Append('\n').ToString();
    }

    [Property(MaxTest = 200)]
    public void Sign_ThenParse_RoundTripsTextSignaturesAndBytes(string raw)
    {
        string text = ToNoteText(raw);
        var note = SignedNote.Sign(text, Signer, Second);

        byte[] bytes = note.ToBytes();
        var parsed = SignedNote.Parse(bytes);

        Assert.Equal(text, parsed.Text);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.Equal(note.Signatures, parsed.Signatures);
        Assert.True(parsed.Verify(Signer.Verifier, Second.Verifier).IsValid);
    }

    [Property(MaxTest = 100)]
    public void Verify_MutatedNote_NeverCrashesAndNeverKeepsBothSignatures(string raw, int seed)
    {
        byte[] bytes = SignedNote.Sign(ToNoteText(raw), Signer, Second).ToBytes();

        foreach (byte[] mutated in Mutations.Of(bytes, seed, 20))
        {
            if (!SignedNote.TryParse(mutated, out var note, out string? error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                continue;
            }

            var result = note.Verify(Signer.Verifier, Second.Verifier);
            bool bothVerified = result.IsValid && result.IsVerifiedBy(Signer.Verifier) && result.IsVerifiedBy(Second.Verifier);

            // A mutation may leave the note intact in meaning (e.g. appending a copy of an unknown-key line);
            // then it must still be the same text under both signatures.
            Assert.True(!bothVerified || note.Text == SignedNote.Parse(bytes).Text);
        }
    }

    [Property(MaxTest = 300)]
    public void TryParse_RandomBytes_FailsCleanlyOrParses(byte[] data)
    {
        bool ok = SignedNote.TryParse(data ?? [], out var note, out string? error);

        Assert.True(ok ? note is not null && error is null : note is null && !string.IsNullOrEmpty(error));
    }

    [Property(MaxTest = 300)]
    public void TryParseLine_RandomText_FailsCleanlyOrRoundTrips(string raw)
    {
        byte[] line = Encoding.UTF8.GetBytes("\u2014 " + (raw ?? string.Empty));

        if (NoteSignature.TryParseLine(line, out var signature, out _))
        {
            Assert.Equal(signature, NoteSignature.ParseLine(Encoding.UTF8.GetBytes(signature.ToString())));
        }
    }

    [Property(MaxTest = 200)]
    public void TryImport_RandomKeyText_NeverThrows(string raw)
    {
        Assert.Equal(NoteVerifier.TryImport(raw, out var verifier, out string? error), verifier is not null && error is null);
        Assert.Equal(NoteSigner.TryImport(raw, out var signer, out error), signer is not null && error is null);
        Assert.Equal(NoteSigner.TryImport("PRIVATE+KEY+" + raw, out signer, out error), signer is not null && error is null);
    }
}
