using System.Security.Cryptography;
using Attest.Log;
using Attest.Provenance.Signing;
using Attest.Transparency.Notes;

namespace Attest.LogServer;

/// <summary>The log's secrets: its checkpoint note key, its registry admin key and the admin API token.</summary>
public sealed class ServerKeys : IDisposable
{
    private readonly byte[] _adminToken;

    private ServerKeys(Ed25519NoteSigner logKey, IdentityKey adminKey, string adminToken)
    {
        LogKey = logKey;
        AdminKey = adminKey;
        _adminToken = System.Text.Encoding.UTF8.GetBytes(adminToken);
    }

    /// <summary>The Ed25519 note key that signs checkpoints (its name is the origin).</summary>
    public Ed25519NoteSigner LogKey { get; }

    /// <summary>The admin key that signs builder-registry change documents.</summary>
    public IdentityKey AdminKey { get; }

    /// <summary>The name the admin key gets when it is created.</summary>
    public const string AdminKeyName = "log-admin";

    /// <summary>Loads the keys, creating any that are missing (files mode 0600).</summary>
    public static ServerKeys LoadOrCreate(ServerOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = options.Log;
        Directory.CreateDirectory(log.DataDirectory);

        var (logKeyText, logKeyCreated) = KeyFiles.ReadOrCreate(log.ResolvedKeyFile, () => Ed25519NoteSigner.Generate(log.Origin).ExportPrivateKey());
        if (!Ed25519NoteSigner.TryImport(logKeyText, out var logKey, out var error))
        {
            throw new FormatException($"The log key file '{log.ResolvedKeyFile}' is not a note private key: {error}");
        }

        if (!string.Equals(logKey.Name, log.Origin, StringComparison.Ordinal))
        {
            throw new FormatException($"The log key in '{log.ResolvedKeyFile}' is named '{logKey.Name}' but the origin is '{log.Origin}'; they must match.");
        }

        if (logKeyCreated)
        {
            LogMessages.KeyCreated(logger, log.ResolvedKeyFile);
        }

        var (adminText, adminCreated) = KeyFiles.ReadOrCreate(log.ResolvedAdminKeyFile, () =>
        {
            using var generated = IdentityKey.Generate(AdminKeyName);
            return generated.ExportPrivateKey();
        });
        var adminKey = IdentityKey.ParsePrivateKey(adminText);
        if (adminCreated)
        {
            LogMessages.AdminKeyCreated(logger, log.ResolvedAdminKeyFile, adminKey.PublicKey.ToString());
        }

        var token = options.AdminToken;
        if (string.IsNullOrEmpty(token))
        {
            var tokenFile = Path.Combine(log.DataDirectory, "admin.token");
            (token, var tokenCreated) = KeyFiles.ReadOrCreate(tokenFile, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
            if (tokenCreated)
            {
                LogMessages.AdminTokenCreated(logger, tokenFile);
            }
        }

        return new ServerKeys(logKey, adminKey, token);
    }

    /// <summary>Checks a presented admin token in fixed time.</summary>
    public bool IsAdminToken(ReadOnlySpan<char> presented)
    {
        Span<byte> bytes = stackalloc byte[1024];
        if (presented.Length > 256 || System.Text.Encoding.UTF8.GetByteCount(presented) > bytes.Length)
        {
            return false;
        }

        var length = System.Text.Encoding.UTF8.GetBytes(presented, bytes);
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(bytes[..length]),
            SHA256.HashData(_adminToken));
    }

    /// <inheritdoc />
    public void Dispose() => AdminKey.Dispose();
}
