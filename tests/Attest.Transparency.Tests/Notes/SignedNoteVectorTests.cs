using System.Text;
using System.Text.Json;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Tests.Notes;

/// <summary>Notes written by Go's golang.org/x/mod/sumdb/note (Vectors/signed-note) and the Go and C2SP examples.</summary>
public sealed class SignedNoteVectorTests
{
    // golang.org/x/mod/sumdb/note package documentation example.
    private const string PeterPrivateKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string PeterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string PeterText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string PeterNote = PeterText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    // c2sp.org/signed-note, "Verifier keys" example.
    private const string SpecVerifierKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    private const string SpecNote = "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    public sealed record Vector(string Desc, string Text, string[] SignerVerifierKeys, string SignedNote);

    private sealed record VectorFile(Dictionary<string, string> Keys, Vector[] Vectors);

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private static VectorFile Load() =>
        JsonSerializer.Deserialize<VectorFile>(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "signed-note", "vectors.json")), JsonOptions)
        ?? throw new InvalidDataException("vectors.json is empty");

    public static TheoryData<string> VectorNames()
    {
        var data = new TheoryData<string>();
        foreach (var v in Load().Vectors)
        {
            data.Add(v.Desc);
        }

        return data;
    }

    private static (Vector Vector, Dictionary<string, string> PrivateByVerifier) Find(string desc)
    {
        var file = Load();
        return (file.Vectors.Single(v => v.Desc == desc), file.Keys.ToDictionary(kv => kv.Value, kv => kv.Key));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Sign_GoPrivateKeys_ProducesGoNoteByteForByte(string desc)
    {
        var (vector, privateByVerifier) = Find(desc);
        var signers = vector.SignerVerifierKeys.Select(vk => NoteSigner.Import(privateByVerifier[vk])).ToArray();

        var note = SignedNote.Sign(vector.Text, signers);

        Assert.Equal(Encoding.UTF8.GetBytes(vector.SignedNote), note.ToBytes());
        Assert.Equal(vector.SignedNote, note.ToString());
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Verify_GoNote_VerifiesWithEveryListedKey(string desc)
    {
        var (vector, _) = Find(desc);
        var keys = vector.SignerVerifierKeys.Select(NoteVerifier.Import).ToArray();

        var note = SignedNote.Parse(Encoding.UTF8.GetBytes(vector.SignedNote));
        var result = note.Verify(keys);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(keys.Length, result.Verified.Count);
        Assert.Equal(vector.Text, note.Text);
        foreach (var key in keys)
        {
            Assert.True(result.IsVerifiedBy(key));
        }
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Verify_AnyChangedByte_Fails(string desc)
    {
        var (vector, _) = Find(desc);
        var keys = vector.SignerVerifierKeys.Select(NoteVerifier.Import).ToArray();
        byte[] original = Encoding.UTF8.GetBytes(vector.SignedNote);

        for (int i = 0; i < original.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x20, 0x80 })
            {
                byte[] changed = (byte[])original.Clone();
                changed[i] ^= flip;
                // The vector claims a signature by every listed key, so the changed note must lose at least one.
                bool accepted = SignedNote.TryParse(changed, out var note, out _)
                    && note.Verify(keys) is { IsValid: true } result && keys.All(result.IsVerifiedBy);
                Assert.False(accepted, $"note accepted after byte {i} was XORed with 0x{flip:x2}");
            }
        }
    }

    [Fact]
    public void Import_GoPrivateKeys_DeriveTheListedVerifierKeys()
    {
        foreach (var (privateKey, verifierKey) in Load().Keys)
        {
            var signer = NoteSigner.Import(privateKey);

            Assert.Equal(verifierKey, signer.Verifier.Encode());
            Assert.Equal(privateKey, signer.ExportPrivateKey());
            Assert.IsType<Ed25519NoteSigner>(signer);
        }
    }

    [Fact]
    public void Sign_GoDocumentationExample_MatchesByteForByte()
    {
        var signer = Ed25519NoteSigner.Import(PeterPrivateKey);

        Assert.Equal(PeterVerifierKey, signer.Verifier.Encode());
        Assert.Equal(PeterNote, SignedNote.Sign(PeterText, signer).ToString());
        Assert.True(SignedNote.Parse(PeterNote).Verify(NoteVerifier.Import(PeterVerifierKey)).IsValid);
    }

    [Fact]
    public void Verify_C2spSpecExample_Verifies()
    {
        var key = Ed25519NoteVerifier.Import(SpecVerifierKey);

        var result = SignedNote.Parse(SpecNote).Verify(key);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(0x530d903au, key.KeyId.Value);
    }
}
