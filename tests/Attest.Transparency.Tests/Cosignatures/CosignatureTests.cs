using System.Buffers.Binary;
using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;
using Attest.Transparency.Tests.Notes;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Cosignatures;

public sealed class CosignatureTests
{
    // Vectors/tlog-tiles-sunlight-mirror/README.md: the checkpoint is cosigned by this type 0x04 key.
    private const string MirrorKey = "mirror.example.org+3fb148ef+BAAjjch9GyYz0sJsJx7ALhbdAtz2ov0unbzSl1vMp94O";

    private static byte[] MirrorCheckpoint() =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Vectors", "tlog-tiles-sunlight-mirror", "checkpoint"));

    [Fact]
    public void Verify_SunlightMirrorCheckpoint_VerifiesWithTheCosignatureKey()
    {
        var key = CosignatureVerifier.Import(MirrorKey);

        var checkpoint = SignedCheckpoint.Parse(MirrorCheckpoint());
        var result = checkpoint.Note.Verify(key);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal("rome2026h1.example.org", checkpoint.Checkpoint.Origin);
        Assert.Equal(300ul, checkpoint.Checkpoint.TreeSize);
        Assert.True(Cosignature.TryDecode(result.Verified[0].Signature, out var cosignature));
        Assert.Equal(0x69546780ul, cosignature.Timestamp);
        Assert.Equal(MirrorKey, key.Encode());
    }

    [Fact]
    public void Verify_SunlightMirrorCheckpoint_AnyChangedByteFails()
    {
        var key = CosignatureVerifier.Import(MirrorKey);
        byte[] original = MirrorCheckpoint();

        for (int i = 0; i < original.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x40 })
            {
                byte[] changed = (byte[])original.Clone();
                changed[i] ^= flip;
                bool accepted = SignedNote.TryParse(changed, out var note, out _) && note.Verify(key).IsValid;
                Assert.False(accepted, $"accepted after byte {i} was XORed with 0x{flip:x2}");
            }
        }
    }

    [Fact]
    public void Sign_Checkpoint_SignsCosignatureMessageWithTimestamp()
    {
        var witness = TestKeys.Witness("witness.example/w1", 1_679_315_147);
        byte[] text = Encoding.UTF8.GetBytes("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");

        byte[] payload = witness.Sign(text);

        Assert.Equal(72, payload.Length);
        Assert.Equal(1_679_315_147ul, BinaryPrimitives.ReadUInt64BigEndian(payload));
        byte[] message = [.. "cosignature/v1\ntime 1679315147\n"u8, .. text];
        var plain = Ed25519NoteVerifier.Create("any", witness.Verifier.PublicKey);
        Assert.True(plain.Verify(message, payload.AsSpan(8)));
        Assert.True(witness.Verifier.Verify(text, payload));
    }

    [Fact]
    public void Verify_ChangedTimestamp_Fails()
    {
        var witness = TestKeys.Witness("w.example", 1000);
        byte[] text = "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"u8.ToArray();
        byte[] payload = witness.Sign(text);

        BinaryPrimitives.WriteUInt64BigEndian(payload, 1001);

        Assert.False(witness.Verifier.Verify(text, payload));
    }

    [Fact]
    public void Verify_TimestampAboveInt64Max_FailsAsOutOfRange()
    {
        var witness = TestKeys.Witness("w.example");
        var note = SignedNote.Sign("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", TestKeys.Log());
        byte[] payload = new byte[72];
        BinaryPrimitives.WriteUInt64BigEndian(payload, (ulong)long.MaxValue + 1);

        var result = note.WithSignatures([new NoteSignature(witness.Name, witness.KeyId, payload)]).Verify(witness.Verifier);

        Assert.Equal(NoteSignatureFailure.TimestampOutOfRange, Assert.Single(result.Failed).Reason);
        Assert.Throws<ArgumentOutOfRangeException>(() => witness.Sign("x\n"u8, (ulong)long.MaxValue + 1));
    }

    [Fact]
    public void Verify_Ed25519NoteSignatureUnderCosignatureKey_IsUnknownBecauseKeyIdsDiffer()
    {
        byte[] seed = TestKeys.Seed("shared");
        var noteSigner = Ed25519NoteSigner.FromSeed("same.example", seed);
        var cosigner = CosignatureSigner.FromSeed("same.example", seed);
        var note = SignedNote.Sign("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", noteSigner);

        var result = note.Verify(cosigner.Verifier);

        Assert.NotEqual(noteSigner.KeyId, cosigner.KeyId);
        Assert.False(result.IsValid);
        Assert.Single(result.Unknown);
    }

    [Fact]
    public void TryDecode_WrongLength_ReturnsFalse()
    {
        var signature = new NoteSignature("w", new NoteKeyId(1), new byte[64]);

        Assert.False(Cosignature.TryDecode(signature, out _));
    }

    [Property(MaxTest = 100)]
    public void Sign_ThenVerify_RoundTripsAnyTimestampAndRejectsAnyOther(long rawTimestamp, uint size)
    {
        ulong timestamp = (ulong)(rawTimestamp & long.MaxValue);
        var witness = TestKeys.Witness("w.example");
        byte[] text = Encoding.UTF8.GetBytes($"o\n{size}\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");

        byte[] payload = witness.Sign(text, timestamp);

        Assert.True(witness.Verifier.Verify(text, payload));
        Assert.True(Cosignature.TryDecode(new NoteSignature(witness.Name, witness.KeyId, payload), out var decoded));
        Assert.Equal(timestamp, decoded.Timestamp);
        BinaryPrimitives.WriteUInt64BigEndian(payload, timestamp ^ 1);
        Assert.False(witness.Verifier.Verify(text, payload));
    }
}
