using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Attest.Nix.Signing;

/// <summary>
/// An Ed25519 secret key in Nix's form <c>name:base64(seed || publicKey)</c> (libsodium's 64-byte secret key), as
/// written by <c>nix-store --generate-binary-cache-key</c> and read by <c>nix store sign --key-file</c> and
/// <c>secret-key-files</c>.
/// </summary>
/// <remarks>
/// Parsing checks that the stored public half matches the seed, which Nix does not, so a corrupted key file cannot
/// produce signatures nobody can verify. <see cref="ToString"/> shows only the name; use
/// <see cref="ExportSecretKey"/> to write the key file. Dispose to wipe the key bytes held here.
/// </remarks>
public sealed class NixSigningKey : IDisposable
{
    /// <summary>Size of the Ed25519 seed.</summary>
    public const int SeedSize = 32;

    private readonly byte[] _seed;
    private readonly Ed25519PrivateKeyParameters _privateKey;
    private bool _disposed;

    private NixSigningKey(string name, byte[] seed)
    {
        Name = name;
        _seed = seed;
        _privateKey = new Ed25519PrivateKeyParameters(seed);
        PublicKey = new NixPublicKey(name, _privateKey.GeneratePublicKey().GetEncoded());
    }

    /// <summary>The key name.</summary>
    public string Name { get; }

    /// <summary>The matching public key.</summary>
    public NixPublicKey PublicKey { get; }

    /// <summary>Generates a new key from the system's cryptographic random number generator.</summary>
    /// <param name="name">The key name; see <see cref="NixPublicKey.IsValidKeyName"/>.</param>
    /// <returns>The key.</returns>
    public static NixSigningKey Generate(string name)
    {
        if (!NixPublicKey.IsValidKeyName(name))
        {
            throw new ArgumentException($"Invalid Nix key name '{name}'.", nameof(name));
        }

        return new NixSigningKey(name, RandomNumberGenerator.GetBytes(SeedSize));
    }

    /// <summary>Creates a key from a 32-byte Ed25519 seed.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="seed">The seed; copied.</param>
    /// <returns>The key.</returns>
    public static NixSigningKey FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        if (!NixPublicKey.IsValidKeyName(name))
        {
            throw new ArgumentException($"Invalid Nix key name '{name}'.", nameof(name));
        }

        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An Ed25519 seed is {SeedSize} bytes, not {seed.Length}.", nameof(seed));
        }

        return new NixSigningKey(name, seed.ToArray());
    }

    /// <summary>Parses <c>name:base64(64 bytes)</c>.</summary>
    /// <param name="text">The key file contents; surrounding whitespace is ignored.</param>
    /// <returns>The key.</returns>
    /// <exception cref="NixFormatException">The text is not a consistent Nix Ed25519 secret key.</exception>
    public static NixSigningKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var error = TryParseCore(text, out var key);
        return error is null ? key! : throw new NixFormatException(error);
    }

    /// <summary>Parses <c>name:base64(64 bytes)</c>; see <see cref="Parse"/>.</summary>
    /// <param name="text">The key file contents.</param>
    /// <param name="key">The key on success.</param>
    /// <returns>Whether the text is a consistent Nix Ed25519 secret key.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out NixSigningKey? key)
    {
        key = null;
        return text is not null && TryParseCore(text, out key) is null;
    }

    /// <summary>Formats the secret key in Nix's key-file form <c>name:base64(seed || publicKey)</c>.</summary>
    /// <returns>The secret key text; handle as a secret.</returns>
    public string ExportSecretKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> full = stackalloc byte[SeedSize + NixPublicKey.KeySize];
        _seed.CopyTo(full);
        PublicKey.Key.CopyTo(full[SeedSize..]);
        var text = $"{Name}:{Convert.ToBase64String(full)}";
        CryptographicOperations.ZeroMemory(full);
        return text;
    }

    /// <summary>Signs <paramref name="message"/>, returning Nix's detached form <c>name:base64(signature)</c>.</summary>
    /// <param name="message">The bytes to sign.</param>
    /// <returns>The signature text.</returns>
    public string Sign(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        signer.BlockUpdate(message);
        return $"{Name}:{Convert.ToBase64String(signer.GenerateSignature())}";
    }

    /// <summary>Signs a store path's fingerprint (what <c>nix store sign</c> does).</summary>
    /// <param name="storePath">The store path.</param>
    /// <param name="narHash">Its NAR hash (SHA-256).</param>
    /// <param name="narSize">Its NAR size.</param>
    /// <param name="references">Its references.</param>
    /// <returns>The signature text for a narinfo <c>Sig:</c> line.</returns>
    public string SignPath(StorePath storePath, NixHash narHash, long narSize, IEnumerable<StorePath> references) =>
        Sign(Encoding.UTF8.GetBytes(PathFingerprint.Compute(storePath, narHash, narSize, references)));

    /// <summary>Shows the key name only, never key material.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"NixSigningKey({Name})";

    /// <summary>Wipes the seed held by this object.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_seed);
            _disposed = true;
        }
    }

    private static string? TryParseCore(string text, out NixSigningKey? key)
    {
        key = null;
        var trimmed = text.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !NixPublicKey.IsValidKeyName(trimmed[..colon]))
        {
            return "A Nix secret key has the form 'name:base64' with a non-empty name.";
        }

        var name = trimmed[..colon];
        var full = new byte[SeedSize + NixPublicKey.KeySize];
        try
        {
            if (!NixPublicKey.TryDecodeCanonicalBase64(trimmed.AsSpan(colon + 1), full))
            {
                return $"Secret key '{name}' is not 64 bytes of canonical base64.";
            }

            var candidate = new NixSigningKey(name, full[..SeedSize]);
            if (!CryptographicOperations.FixedTimeEquals(candidate.PublicKey.Key, full.AsSpan(SeedSize)))
            {
                candidate.Dispose();
                return $"Secret key '{name}' is inconsistent: its public half does not match its seed.";
            }

            key = candidate;
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(full);
        }
    }
}
