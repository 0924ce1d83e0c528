using System.Diagnostics.CodeAnalysis;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Attest.Nix.Signing;

/// <summary>
/// An Ed25519 public key in Nix's <c>name:base64(32-byte key)</c> form, as in <c>trusted-public-keys</c> and the
/// files <c>nix-store --generate-binary-cache-key</c> writes.
/// </summary>
public sealed class NixPublicKey : IEquatable<NixPublicKey>
{
    /// <summary>Size of an Ed25519 public key.</summary>
    public const int KeySize = 32;

    /// <summary>Size of an Ed25519 signature.</summary>
    public const int SignatureSize = 64;

    private readonly byte[] _key;

    /// <summary>Creates a public key from a name and 32 key bytes.</summary>
    /// <param name="name">The key name; see <see cref="IsValidKeyName"/>.</param>
    /// <param name="key">The 32-byte Ed25519 public key.</param>
    public NixPublicKey(string name, ReadOnlySpan<byte> key)
    {
        if (!IsValidKeyName(name))
        {
            throw new ArgumentException($"Invalid Nix key name '{name}'.", nameof(name));
        }

        if (key.Length != KeySize)
        {
            throw new ArgumentException($"An Ed25519 public key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }

        Name = name;
        _key = key.ToArray();
    }

    /// <summary>The key name (before the colon), such as <c>cache.nixos.org-1</c>.</summary>
    public string Name { get; }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>
    /// Whether <paramref name="name"/> is a usable key name: 1 to 256 printable ASCII characters without ':' or
    /// whitespace (Nix itself only requires a non-empty name before the first colon).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> if valid.</returns>
    public static bool IsValidKeyName([NotNullWhen(true)] string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 256 && name.All(c => c is > ' ' and <= '~' and not ':');

    /// <summary>Parses <c>name:base64</c>.</summary>
    /// <param name="text">The key text; surrounding whitespace (a trailing newline in a key file) is ignored.</param>
    /// <returns>The key.</returns>
    /// <exception cref="NixFormatException">The text is not a Nix Ed25519 public key.</exception>
    public static NixPublicKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var error = TryParseCore(text, out var key);
        return error is null ? key! : throw new NixFormatException(error);
    }

    /// <summary>Parses <c>name:base64</c>; see <see cref="Parse"/>.</summary>
    /// <param name="text">The key text.</param>
    /// <param name="key">The key on success.</param>
    /// <returns>Whether the text is a Nix Ed25519 public key.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out NixPublicKey? key)
    {
        key = null;
        return text is not null && TryParseCore(text, out key) is null;
    }

    /// <summary>Verifies a Nix detached signature <c>name:base64(sig)</c> over <paramref name="message"/>.</summary>
    /// <param name="message">The signed bytes (for store paths, the UTF-8 fingerprint).</param>
    /// <param name="signature">The signature text.</param>
    /// <returns>True only if the signature names this key and is a valid Ed25519 signature of the message.</returns>
    public bool Verify(ReadOnlySpan<byte> message, string signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (!TrySplitSignature(signature, out var name, out var bytes) || name != Name)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(_key));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(bytes);
    }

    /// <summary>Splits a Nix signature <c>name:base64(64 bytes)</c>.</summary>
    /// <param name="signature">The signature text.</param>
    /// <param name="keyName">The key name on success.</param>
    /// <param name="signatureBytes">The 64 signature bytes on success.</param>
    /// <returns>Whether the text has that form.</returns>
    public static bool TrySplitSignature(
        string signature, [NotNullWhen(true)] out string? keyName, [NotNullWhen(true)] out byte[]? signatureBytes)
    {
        keyName = null;
        signatureBytes = null;
        var colon = signature.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !IsValidKeyName(signature[..colon]))
        {
            return false;
        }

        var bytes = new byte[SignatureSize];
        if (!TryDecodeCanonicalBase64(signature.AsSpan(colon + 1), bytes))
        {
            return false;
        }

        keyName = signature[..colon];
        signatureBytes = bytes;
        return true;
    }

    /// <summary>Formats as <c>name:base64</c>.</summary>
    /// <returns>The key text.</returns>
    public override string ToString() => $"{Name}:{Convert.ToBase64String(_key)}";

    /// <inheritdoc/>
    public bool Equals(NixPublicKey? other) =>
        other is not null && Name == other.Name && _key.AsSpan().SequenceEqual(other._key);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NixPublicKey);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, BitConverter.ToInt32(_key, 0));

    internal static bool TryDecodeCanonicalBase64(ReadOnlySpan<char> text, Span<byte> destination)
    {
        // Exactly 4*ceil(n/3) characters that re-encode identically: no whitespace, no alternative padding bits.
        if (text.Length != ((destination.Length + 2) / 3) * 4)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[destination.Length + 3];
        if (!Convert.TryFromBase64Chars(text, scratch, out var written) || written != destination.Length)
        {
            return false;
        }

        scratch[..written].CopyTo(destination);
        Span<char> again = stackalloc char[text.Length];
        return Convert.TryToBase64Chars(destination, again, out var chars) && again[..chars].SequenceEqual(text);
    }

    private static string? TryParseCore(string text, out NixPublicKey? key)
    {
        key = null;
        var trimmed = text.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return "A Nix public key has the form 'name:base64'.";
        }

        var name = trimmed[..colon];
        if (!IsValidKeyName(name))
        {
            return $"Invalid Nix key name '{Shorten(name)}'.";
        }

        Span<byte> bytes = stackalloc byte[KeySize];
        if (!TryDecodeCanonicalBase64(trimmed.AsSpan(colon + 1), bytes))
        {
            return $"Key '{name}' is not {KeySize} bytes of canonical base64.";
        }

        key = new NixPublicKey(name, bytes);
        return null;
    }

    private static string Shorten(string text) =>
        text.Length <= 64 ? text : new StringBuilder(text, 0, 64, 67).Append("...").ToString();
}
