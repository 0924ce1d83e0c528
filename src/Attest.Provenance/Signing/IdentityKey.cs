using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Attest.Provenance.Internal;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Attest.Provenance.Signing;

/// <summary>
/// A named Ed25519 signing key: a builder's identity, or the log's registry-admin key.
/// </summary>
/// <remarks>
/// <para>Private key file (written by <c>attest-agent init</c> with mode 0600): one line of ASCII,
/// <c>attest-ed25519-private-key-v1+&lt;name&gt;+&lt;keyid&gt;+&lt;base64 of the 32-byte RFC 8032 seed&gt;</c> and a
/// newline. The key id is checked against the seed on parse, so a damaged file is refused instead of signing under
/// an unexpected identity.</para>
/// <para>Dispose the key to zero the seed copy this object holds.</para>
/// </remarks>
public sealed class IdentityKey : IDisposable
{
    /// <summary>The first field of the private key file.</summary>
    public const string PrivateKeyPrefix = "attest-ed25519-private-key-v1";

    /// <summary>Length of an Ed25519 private key seed in bytes.</summary>
    public const int SeedSize = 32;

    private readonly byte[] _seed;
    private readonly Ed25519PrivateKeyParameters _parameters;
    private bool _disposed;

    private IdentityKey(string name, byte[] seed)
    {
        _seed = seed;
        _parameters = new Ed25519PrivateKeyParameters(seed);
        PublicKey = IdentityPublicKey.Create(name, _parameters.GeneratePublicKey().GetEncoded());
    }

    /// <summary>Gets the public half, with the same name.</summary>
    public IdentityPublicKey PublicKey { get; }

    /// <summary>Gets the identity's name.</summary>
    public string Name => PublicKey.Name;

    /// <summary>Gets the key id (lowercase hex SHA-256 of the public key); used as the DSSE <c>keyid</c>.</summary>
    public string KeyId => PublicKey.KeyId;

    /// <summary>Generates a new key from the operating system's CSPRNG.</summary>
    /// <param name="name">The identity's name; see <see cref="IdentityPublicKey.IsValidName"/>.</param>
    /// <returns>The new key.</returns>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public static IdentityKey Generate(string name)
    {
        ThrowIfInvalidName(name);
        return new IdentityKey(name, RandomNumberGenerator.GetBytes(SeedSize));
    }

    /// <summary>Creates a key from a 32-byte RFC 8032 seed.</summary>
    /// <param name="name">The identity's name.</param>
    /// <param name="seed">The seed; copied.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The name is invalid or the seed is not 32 bytes.</exception>
    public static IdentityKey FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        ThrowIfInvalidName(name);
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An Ed25519 seed is {SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }

        return new IdentityKey(name, seed.ToArray());
    }

    /// <summary>Parses the private key file format.</summary>
    /// <param name="text">The file's contents.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The text is not a valid private key file.</exception>
    public static IdentityKey ParsePrivateKey(string text)
    {
        if (!TryParsePrivateKey(text, out var key, out var error))
        {
            throw new FormatException(error);
        }

        return key;
    }

    /// <summary>Parses the private key file format.</summary>
    /// <param name="text">The file's contents; one trailing newline is allowed.</param>
    /// <param name="key">The key on success.</param>
    /// <param name="error">Why the text was refused, on failure (never includes key material).</param>
    /// <returns>Whether the text is a valid private key file.</returns>
    public static bool TryParsePrivateKey(
        [NotNullWhen(true)] string? text,
        [NotNullWhen(true)] out IdentityKey? key,
        [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (text is null || text.Length > 512)
        {
            error = "A private key file is one line of at most 512 characters.";
            return false;
        }

        var line = text.EndsWith('\n') ? text[..^1] : text;
        var parts = line.Split('+', 4);
        if (parts.Length != 4 || !string.Equals(parts[0], PrivateKeyPrefix, StringComparison.Ordinal))
        {
            error = $"A private key file is \"{PrivateKeyPrefix}+<name>+<keyid>+<base64 seed>\".";
            return false;
        }

        if (!IdentityPublicKey.IsValidName(parts[1]))
        {
            error = "The name in the private key file is invalid.";
            return false;
        }

        if (!StrictBase64.TryDecode(parts[3], out var seed) || seed.Length != SeedSize)
        {
            CryptographicOperations.ZeroMemory(seed);
            error = $"The seed in the private key file is not canonical base64 of {SeedSize} bytes.";
            return false;
        }

        var candidate = new IdentityKey(parts[1], seed);
        if (!string.Equals(candidate.KeyId, parts[2], StringComparison.Ordinal))
        {
            candidate.Dispose();
            error = "The key id in the private key file does not match its seed; the file is damaged.";
            return false;
        }

        key = candidate;
        error = null;
        return true;
    }

    /// <summary>Formats the private key file: one line and a newline.</summary>
    /// <returns>The file's contents. Write it with mode 0600.</returns>
    public string ExportPrivateKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return $"{PrivateKeyPrefix}+{Name}+{KeyId}+{Convert.ToBase64String(_seed)}\n";
    }

    /// <summary>Signs a message with pure Ed25519 (RFC 8032 §5.1.6).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The 64-byte signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[IdentityPublicKey.SignatureSize];
        Sign(message, signature);
        return signature;
    }

    /// <summary>Signs a message with pure Ed25519 into <paramref name="destination"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="destination">Receives the signature; at least 64 bytes.</param>
    /// <returns>The number of bytes written (64).</returns>
    public int Sign(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, IdentityPublicKey.SignatureSize, nameof(destination));
        _parameters.Sign(Ed25519.Algorithm.Ed25519, null, message, destination);
        return IdentityPublicKey.SignatureSize;
    }

    /// <summary>Zeroes this object's copy of the seed.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_seed);
            _disposed = true;
        }
    }

    private static void ThrowIfInvalidName(string name)
    {
        if (!IdentityPublicKey.IsValidName(name))
        {
            throw new ArgumentException(
                $"The name \"{name}\" is invalid: use 1 to {IdentityPublicKey.MaxNameLength} characters from " +
                "[A-Za-z0-9._-], starting with a letter or digit.",
                nameof(name));
        }
    }
}
