using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Attest.Provenance.Internal;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Attest.Provenance.Signing;

/// <summary>
/// A named Ed25519 public key: a builder's identity, or the log's registry-admin key.
/// </summary>
/// <remarks>
/// <para>Text form (what <c>attest-agent init</c> prints and <c>attest-log builders add</c> takes):
/// <c>&lt;name&gt;+&lt;keyid&gt;+&lt;base64 of the 32-byte RFC 8032 public key&gt;</c>, for example
/// <c>hydra-01+e9d44e4f42c0850afcf483f59bcc8e300d2ff3d92274a434ecc9a3a19f2cd371+8Ku3t8S+HPccFa+UaZEG1WMk2OHEgYPi2ybET2k4oao=</c>.
/// The key id is repeated in the text so a truncated or altered copy is caught on parse.</para>
/// <para>Key id (the DSSE <c>keyid</c>): lowercase hex of SHA-256 over the 32 raw public-key bytes, 64 characters.
/// It does not depend on the name.</para>
/// <para>Names are 1 to 64 characters from <c>[A-Za-z0-9._-]</c>, starting with a letter or digit.</para>
/// </remarks>
public sealed class IdentityPublicKey : IEquatable<IdentityPublicKey>
{
    /// <summary>Length of an Ed25519 public key in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>Length of an Ed25519 signature in bytes.</summary>
    public const int SignatureSize = 64;

    /// <summary>Length of a key id in characters.</summary>
    public const int KeyIdLength = 64;

    /// <summary>Longest accepted name.</summary>
    public const int MaxNameLength = 64;

    private readonly byte[] _key;
    private readonly Ed25519PublicKeyParameters _parameters;

    private IdentityPublicKey(string name, byte[] key, Ed25519PublicKeyParameters parameters)
    {
        Name = name;
        _key = key;
        _parameters = parameters;
        KeyId = ComputeKeyId(key);
    }

    /// <summary>Gets the identity's name, such as a builder's host name.</summary>
    public string Name { get; }

    /// <summary>Gets the key id: lowercase hex SHA-256 of the raw public key.</summary>
    public string KeyId { get; }

    /// <summary>Gets the 32 raw public-key bytes.</summary>
    public ReadOnlySpan<byte> KeyBytes => _key;

    /// <summary>Creates a key from its name and 32 raw bytes.</summary>
    /// <param name="name">The identity's name.</param>
    /// <param name="key">The RFC 8032 encoded public key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The name is invalid or the bytes are not a valid Ed25519 point.</exception>
    public static IdentityPublicKey Create(string name, ReadOnlySpan<byte> key)
    {
        if (!TryCreate(name, key, out var result, out var error))
        {
            throw new ArgumentException(error);
        }

        return result;
    }

    /// <summary>Creates a key from its name and 32 raw bytes.</summary>
    /// <param name="name">The identity's name.</param>
    /// <param name="key">The RFC 8032 encoded public key.</param>
    /// <param name="result">The key on success.</param>
    /// <param name="error">Why the input was refused, on failure.</param>
    /// <returns>Whether the key is valid.</returns>
    public static bool TryCreate(
        string name,
        ReadOnlySpan<byte> key,
        [NotNullWhen(true)] out IdentityPublicKey? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (!IsValidName(name))
        {
            error = $"The name \"{name}\" is invalid: use 1 to {MaxNameLength} characters from [A-Za-z0-9._-], " +
                "starting with a letter or digit.";
            return false;
        }

        if (key.Length != KeySize)
        {
            error = $"An Ed25519 public key is {KeySize} bytes, not {key.Length}.";
            return false;
        }

        var bytes = key.ToArray();
        if (!Ed25519.ValidatePublicKeyFull(bytes, 0))
        {
            error = "The bytes are not a valid Ed25519 public key (RFC 8032 §5.1.3 point decoding, small order).";
            return false;
        }

        result = new IdentityPublicKey(name, bytes, new Ed25519PublicKeyParameters(bytes));
        error = null;
        return true;
    }

    /// <summary>Parses the text form <c>&lt;name&gt;+&lt;keyid&gt;+&lt;base64&gt;</c>.</summary>
    /// <param name="text">The text form.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The text is not a valid public key.</exception>
    public static IdentityPublicKey Parse(string text)
    {
        if (!TryParse(text, out var key, out var error))
        {
            throw new FormatException(error);
        }

        return key;
    }

    /// <summary>Parses the text form <c>&lt;name&gt;+&lt;keyid&gt;+&lt;base64&gt;</c>.</summary>
    /// <param name="text">The text form; surrounding whitespace is ignored.</param>
    /// <param name="key">The key on success.</param>
    /// <param name="error">Why the text was refused, on failure.</param>
    /// <returns>Whether the text is a valid public key.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? text,
        [NotNullWhen(true)] out IdentityPublicKey? key,
        [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (text is null || text.Length > 512)
        {
            error = "A public key is \"<name>+<keyid>+<base64>\" and at most 512 characters.";
            return false;
        }

        var span = text.Trim();
        var first = span.IndexOf('+');
        var second = first < 0 ? -1 : span.IndexOf('+', first + 1);
        if (first < 0 || second < 0)
        {
            error = "A public key is \"<name>+<keyid>+<base64>\".";
            return false;
        }

        var name = span[..first];
        var keyId = span[(first + 1)..second];
        if (!StrictBase64.TryDecode(span[(second + 1)..], out var bytes))
        {
            error = "The key part is not canonical base64.";
            return false;
        }

        if (!TryCreate(name, bytes, out key, out error))
        {
            return false;
        }

        if (!string.Equals(keyId, key.KeyId, StringComparison.Ordinal))
        {
            error = $"The key id \"{keyId}\" does not match the key (expected {key.KeyId}).";
            key = null;
            return false;
        }

        return true;
    }

    /// <summary>Computes the key id of a raw public key: lowercase hex SHA-256.</summary>
    /// <param name="key">The 32 raw public-key bytes.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string ComputeKeyId(ReadOnlySpan<byte> key) =>
        Convert.ToHexStringLower(SHA256.HashData(key));

    /// <summary>Returns whether <paramref name="name"/> is a valid identity name.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> if the name is valid.</returns>
    public static bool IsValidName([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Verifies an Ed25519 signature (RFC 8032 §5.1.7, pure Ed25519).</summary>
    /// <param name="message">The signed message.</param>
    /// <param name="signature">The 64-byte signature.</param>
    /// <returns>Whether the signature is valid for this key.</returns>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && _parameters.Verify(Ed25519.Algorithm.Ed25519, null, message, signature);

    /// <summary>Returns a copy of this key under another name.</summary>
    /// <param name="name">The new name.</param>
    /// <returns>The renamed key.</returns>
    public IdentityPublicKey WithName(string name) => Create(name, _key);

    /// <summary>Returns the text form <c>&lt;name&gt;+&lt;keyid&gt;+&lt;base64&gt;</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => $"{Name}+{KeyId}+{Convert.ToBase64String(_key)}";

    /// <inheritdoc/>
    public bool Equals(IdentityPublicKey? other) =>
        other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal) && _key.AsSpan().SequenceEqual(other._key);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as IdentityPublicKey);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, KeyId);
}
