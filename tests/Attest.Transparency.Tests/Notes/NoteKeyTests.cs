using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Tests.Notes;

public sealed class NoteKeyTests
{
    private const string GoPrivateKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    [Fact]
    public void Generate_Ed25519_RoundTripsThroughGoFormats()
    {
        var signer = Ed25519NoteSigner.Generate("log.example/test");

        var imported = Ed25519NoteSigner.Import(signer.ExportPrivateKey());
        var verifier = Ed25519NoteVerifier.Import(signer.Verifier.Encode());

        Assert.Equal(signer.Verifier.Encode(), imported.Verifier.Encode());
        Assert.Equal(signer.KeyId, verifier.KeyId);
        Assert.StartsWith("PRIVATE+KEY+log.example/test+" + signer.KeyId + "+", signer.ExportPrivateKey(), StringComparison.Ordinal);
        Assert.StartsWith("log.example/test+" + signer.KeyId + "+", verifier.Encode(), StringComparison.Ordinal);
        Assert.Equal(0x01, Convert.FromBase64String(verifier.Encode().Split('+', 3)[2])[0]);
    }

    [Fact]
    public void Generate_Cosigner_UsesTypeFourAndRoundTrips()
    {
        var signer = CosignatureSigner.Generate("witness.example/w1");

        var imported = NoteSigner.Import(signer.ExportPrivateKey());
        var verifier = NoteVerifier.Import(signer.Verifier.Encode());

        Assert.IsType<CosignatureSigner>(imported);
        Assert.IsType<CosignatureVerifier>(verifier);
        Assert.Equal(NoteSignatureType.CosignatureEd25519, verifier.SignatureType);
        Assert.Equal(NoteKeyId.Compute("witness.example/w1", 0x04, verifier.PublicKey), verifier.KeyId);
        Assert.StartsWith("witness.example/w1+" + signer.KeyId + "+B", verifier.Encode(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_KeyId_IsFirstFourBytesOfSha256OfNameNewlineTypeKey()
    {
        var verifier = Ed25519NoteVerifier.Import(GoVerifierKey);

        byte[] input = [.. "PeterNeumann\n"u8, 0x01, .. verifier.PublicKey];
        byte[] digest = System.Security.Cryptography.SHA256.HashData(input);

        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(digest), verifier.KeyId.Value);
        Assert.Equal("c74f20a3", verifier.KeyId.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("PeterNeumann", "name+hash+base64")]
    [InlineData("PeterNeumann+c74f20a3", "name+hash+base64")]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match")]
    [InlineData("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "eight hexadecimal")]
    [InlineData("PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "eight hexadecimal")]
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64")]
    [InlineData("PeterNeumann+c74f20a3+ARpc 2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "base64")]
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid")]
    [InlineData("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid")]
    [InlineData("PeterNeumann+c74f20a3+ARpc2Q==", "does not match")]
    [InlineData("PeterNeumann+c74f20a3+AQ==", "type byte followed by the key")]
    public void TryImport_MalformedVerifierKey_FailsNamingTheProblem(string key, string expected)
    {
        Assert.False(NoteVerifier.TryImport(key, out var verifier, out string? error));
        Assert.Null(verifier);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<FormatException>(() => NoteVerifier.Import(key));
    }

    [Fact]
    public void TryImport_WrongLengthKeyWithMatchingHash_FailsOnLength()
    {
        byte[] shortKey = new byte[31];
        var id = NoteKeyId.Compute("n", 0x01, shortKey);
        string key = $"n+{id}+{Convert.ToBase64String([0x01, .. shortKey])}";

        Assert.False(NoteVerifier.TryImport(key, out _, out string? error));
        Assert.Contains("32 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryImport_UnsupportedTypeWithMatchingHash_FailsNamingTheType()
    {
        byte[] key = new byte[32];
        var id = NoteKeyId.Compute("n", 0x02, key);

        Assert.False(NoteVerifier.TryImport($"n+{id}+{Convert.ToBase64String([0x02, .. key])}", out _, out string? error));
        Assert.Contains("unsupported signature type 0x02", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GoVerifierKey, "PRIVATE+KEY+")]
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "does not match")]
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD==", "unsupported")]
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "unsupported signature type 0x02")]
    public void TryImport_MalformedPrivateKey_FailsWithoutEchoingTheSecret(string key, string expected)
    {
        Assert.False(NoteSigner.TryImport(key, out var signer, out string? error));
        Assert.Null(signer);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("AYEKFALVFGyNhPJEMzD1QIDr", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryImport_CosignatureKeyAsEd25519_FailsNamingTheType()
    {
        var cosigner = CosignatureSigner.Generate("w");

        Assert.False(Ed25519NoteVerifier.TryImport(cosigner.Verifier.Encode(), out _, out string? error));
        Assert.Contains("type 0x04", error, StringComparison.Ordinal);
        Assert.False(Ed25519NoteSigner.TryImport(cosigner.ExportPrivateKey(), out _, out error));
        Assert.Contains("type 0x04", error, StringComparison.Ordinal);
        Assert.False(CosignatureVerifier.TryImport(GoVerifierKey, out _, out error));
        Assert.Contains("type 0x01", error, StringComparison.Ordinal);
        Assert.False(CosignatureSigner.TryImport(GoPrivateKey, out _, out error));
        Assert.Contains("type 0x01", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a+b")]
    [InlineData("a b")]
    [InlineData("a\u00a0b")]
    [InlineData("a\u2003b")]
    [InlineData("a\nb")]
    public void Generate_InvalidName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => Ed25519NoteSigner.Generate(name));
        Assert.Throws<ArgumentException>(() => CosignatureSigner.Generate(name));
    }

    [Fact]
    public void Generate_NonAsciiName_IsAccepted()
    {
        var signer = Ed25519NoteSigner.Generate("пример.example/лог");

        var note = SignedNote.Sign("hello\n", signer);

        Assert.True(SignedNote.Parse(note.ToBytes()).Verify(signer.Verifier).IsValid);
    }
}
