using System.Diagnostics.CodeAnalysis;

namespace Attest.Transparency.Notes;

/// <summary>
/// The text forms of keys used by Go's golang.org/x/mod/sumdb/note: verifier keys <c>name+hash+base64(type||key)</c>
/// and private keys <c>PRIVATE+KEY+name+hash+base64(type||seed)</c>, where hash is the key ID in eight hex digits.
/// </summary>
internal static class NoteKeyText
{
    public const string PrivateKeyPrefix = "PRIVATE+KEY+";

    private const int MaxEncodedKeyLength = 4096;

    public static string Encode(string name, NoteKeyId keyId, byte type, ReadOnlySpan<byte> key)
    {
        var raw = new byte[1 + key.Length];
        raw[0] = type;
        key.CopyTo(raw.AsSpan(1));
        return $"{name}+{keyId}+{Convert.ToBase64String(raw)}";
    }

    /// <summary>
    /// Splits <c>name+hash+base64</c>, decodes the base64 into type byte and key material, and checks that the hash
    /// is the key ID of that name and key. For private keys the key ID is computed by <paramref name="publicKeyOf"/>.
    /// </summary>
    public static bool TryParse(
        string? text,
        bool isPrivate,
        Func<byte, byte[], byte[]?>? publicKeyOf,
        [NotNullWhen(true)] out string? name,
        out byte type,
        [NotNullWhen(true)] out byte[]? key,
        [NotNullWhen(false)] out string? error)
    {
        name = null;
        type = 0;
        key = null;
        if (string.IsNullOrEmpty(text))
        {
            error = NoteError.Key("the key is empty");
            return false;
        }

        if (text.Length > MaxEncodedKeyLength)
        {
            error = NoteError.Key($"the key is longer than {MaxEncodedKeyLength} characters");
            return false;
        }

        var rest = text.AsSpan();
        if (isPrivate)
        {
            if (!rest.StartsWith(PrivateKeyPrefix, StringComparison.Ordinal))
            {
                error = NoteError.Key($"a private key must start with '{PrivateKeyPrefix}'");
                return false;
            }

            rest = rest[PrivateKeyPrefix.Length..];
        }

        int plus1 = rest.IndexOf('+');
        if (plus1 < 0)
        {
            error = NoteError.Key("expected name+hash+base64");
            return false;
        }

        var nameText = rest[..plus1];
        rest = rest[(plus1 + 1)..];
        int plus2 = rest.IndexOf('+');
        if (plus2 < 0)
        {
            error = NoteError.Key("expected name+hash+base64");
            return false;
        }

        var hashText = rest[..plus2];
        var base64 = rest[(plus2 + 1)..];
        string candidateName = nameText.ToString();
        if (!NoteEncoding.IsValidKeyName(candidateName))
        {
            error = NoteError.Key(NoteError.InvalidKeyName(candidateName));
            return false;
        }

        if (!NoteKeyId.TryParseHex(hashText, out var keyId))
        {
            error = NoteError.Key($"key hash '{hashText}' is not eight hexadecimal digits");
            return false;
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(base64.ToString());
        }
        catch (FormatException)
        {
            error = NoteError.Key("the key material is not valid base64");
            return false;
        }

        if (base64.ContainsAny(" \t\r\n") || raw.Length < 2)
        {
            error = NoteError.Key("the key material must be base64 of a type byte followed by the key");
            return false;
        }

        byte keyType = raw[0];
        byte[] material = raw.AsSpan(1).ToArray();
        byte[]? publicKey = isPrivate ? publicKeyOf?.Invoke(keyType, material) : material;
        if (publicKey is null)
        {
            error = NoteError.Key($"unsupported signature type 0x{keyType:x2} or malformed key for it");
            return false;
        }

        var expected = NoteKeyId.Compute(candidateName, keyType, publicKey);
        if (expected != keyId)
        {
            error = NoteError.Key($"key hash {keyId} does not match the key, whose ID is {expected}");
            return false;
        }

        name = candidateName;
        type = keyType;
        key = material;
        error = null;
        return true;
    }
}
