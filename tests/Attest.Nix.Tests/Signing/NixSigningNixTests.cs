using System.Text;
using System.Text.Json;
using Attest.Nix.BinaryCache;
using Attest.Nix.Signing;
using Attest.Nix.Tests.Support;

namespace Attest.Nix.Tests.Signing;

/// <summary>Keys, signatures and narinfo checked against the real Nix in both directions.</summary>
public sealed class NixSigningNixTests
{
    private static string AddUniquePath(TempDirectory temp)
    {
        var file = temp.Combine("attest-sig-test");
        File.WriteAllText(file, "signed content " + Guid.NewGuid());
        return NixCli.RunText("nix-store", "--add", file);
    }

    private static (string SecretFile, string PublicFile) NixGeneratedKey(TempDirectory temp, string name)
    {
        var secret = temp.Combine(name + ".sk");
        var pub = temp.Combine(name + ".pk");
        NixCli.Run("nix-store", "--generate-binary-cache-key", name, secret, pub);
        return (secret, pub);
    }

    private static JsonElement PathInfo(string path, params string[] extra)
    {
        using var json = JsonDocument.Parse(NixCli.Run("nix", [NixCli.NixCommand, NixCli.NixCommandFeature, "path-info", "--json", "--sigs", .. extra, path]));
        return json.RootElement[0].Clone();
    }

    private static string Fingerprint(JsonElement info) => PathFingerprint.Compute(
        StorePath.Parse(info.GetProperty("path").GetString()!),
        NixHash.Parse(info.GetProperty("narHash").GetString()!),
        info.GetProperty("narSize").GetInt64(),
        info.GetProperty("references").EnumerateArray().Select(r => StorePath.Parse(r.GetString()!)));

    [Fact]
    public void Parse_NixGeneratedKeyPair_PublicHalfMatchesNixPublicKey()
    {
        using var temp = new TempDirectory();
        var (secretFile, publicFile) = NixGeneratedKey(temp, "attest-test-1");

        using var key = NixSigningKey.Parse(File.ReadAllText(secretFile));
        var pub = NixPublicKey.Parse(File.ReadAllText(publicFile));

        Assert.Equal("attest-test-1", key.Name);
        Assert.Equal(pub, key.PublicKey);
        Assert.Equal(File.ReadAllText(publicFile).Trim(), key.PublicKey.ToString());
        Assert.Equal(File.ReadAllText(secretFile).Trim(), key.ExportSecretKey());
        Assert.DoesNotContain(key.ExportSecretKey()[14..], key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SignatureMadeByNixStoreSign_Verifies()
    {
        using var temp = new TempDirectory();
        var (secretFile, publicFile) = NixGeneratedKey(temp, "attest-nix-signer");
        var path = AddUniquePath(temp);
        NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "store", "sign", "--key-file", secretFile, path);

        var info = PathInfo(path);
        var signature = info.GetProperty("signatures").EnumerateArray().Select(s => s.GetString()!)
            .Single(s => s.StartsWith("attest-nix-signer:", StringComparison.Ordinal));
        var pub = NixPublicKey.Parse(File.ReadAllText(publicFile));
        var fingerprint = Encoding.UTF8.GetBytes(Fingerprint(info));

        Assert.True(pub.Verify(fingerprint, signature));
        Assert.False(pub.Verify(Encoding.UTF8.GetBytes(Fingerprint(info) + "x"), signature));
        Assert.False(NixSigningKey.Generate("attest-nix-signer").PublicKey.Verify(fingerprint, signature));
    }

    [Fact]
    public void SignPath_OurKeyInNixKeyFile_SameSignatureAsNixStoreSign()
    {
        using var temp = new TempDirectory();
        using var key = NixSigningKey.Generate("attest-ours-" + Guid.NewGuid().ToString("N")[..8]);
        var secretFile = temp.Combine("ours.sk");
        File.WriteAllText(secretFile, key.ExportSecretKey());
        var path = AddUniquePath(temp);

        NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "store", "sign", "--key-file", secretFile, path);
        var info = PathInfo(path);
        var nixSignature = info.GetProperty("signatures").EnumerateArray().Select(s => s.GetString()!)
            .Single(s => s.StartsWith(key.Name + ":", StringComparison.Ordinal));
        var ours = key.SignPath(
            StorePath.Parse(path),
            NixHash.Parse(info.GetProperty("narHash").GetString()!),
            info.GetProperty("narSize").GetInt64(),
            []);

        // Ed25519 is deterministic: the same key and fingerprint give the same signature.
        Assert.Equal(nixSignature, ours);
    }

    [Fact]
    public void Sign_NarInfoInFileCache_NixStoreVerifyAcceptsOurSignatureOnly()
    {
        using var temp = new TempDirectory();
        var path = AddUniquePath(temp);
        var cache = temp.Combine("cache");
        NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "copy", "--to", "file://" + cache, path);
        var narinfoFile = Path.Combine(cache, StorePath.Parse(path).HashPart + ".narinfo");
        var original = File.ReadAllText(narinfoFile);

        var info = NarInfo.Parse(original);
        Assert.Equal(original, info.Format());

        // nix-store --add makes a content-addressed path, which Nix trusts without signatures; dropping the CA
        // field makes the signature the only evidence.
        using var key = NixSigningKey.Generate("attest-cache-key");
        File.WriteAllText(narinfoFile, (info with { ContentAddress = null, Signatures = [] }).Sign(key).Format());
        using var other = NixSigningKey.Generate("attest-cache-key");

        var ok = NixCli.RunUnchecked("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "store", "verify", "--store", "file://" + cache,
            "--sigs-needed", "1", "--trusted-public-keys", key.PublicKey.ToString(), path);
        var wrongKey = NixCli.RunUnchecked("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "store", "verify", "--store", "file://" + cache,
            "--sigs-needed", "1", "--trusted-public-keys", other.PublicKey.ToString(), path);

        Assert.True(ok.ExitCode == 0, ok.StandardError);
        Assert.NotEqual(0, wrongKey.ExitCode);
    }

    [Fact]
    public void VerifySignatures_NarInfoFromNixCopyOfSignedPath_TrustsNixKey()
    {
        using var temp = new TempDirectory();
        var (secretFile, publicFile) = NixGeneratedKey(temp, "attest-copy-signer");
        var path = AddUniquePath(temp);
        var cache = temp.Combine("cache");
        NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "store", "sign", "--key-file", secretFile, path);
        NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "copy", "--to", "file://" + cache, path);

        var info = NarInfo.Parse(File.ReadAllText(Path.Combine(cache, StorePath.Parse(path).HashPart + ".narinfo")));
        var verdict = info.VerifySignatures([NixPublicKey.Parse(File.ReadAllText(publicFile))]);

        Assert.True(verdict.IsTrusted, string.Join("; ", verdict.Reasons));
        Assert.Equal(["attest-copy-signer"], verdict.ValidSigners);
        var tampered = info with { NarSize = info.NarSize + 1 };
        Assert.False(tampered.VerifySignatures([NixPublicKey.Parse(File.ReadAllText(publicFile))]).IsTrusted);
    }
}
