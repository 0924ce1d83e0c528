using Attest.Agent.Core.Internal;
using Attest.Provenance.Signing;

namespace Attest.Agent.Core.Identity;

/// <summary>The builder's Ed25519 identity key on disk (<see cref="IdentityKey"/>'s private key file, mode 0600).</summary>
public static class BuilderIdentity
{
    /// <summary>The only permissions a key file may have.</summary>
    public const UnixFileMode KeyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const int MaxKeyFileBytes = 4096;

    /// <summary>
    /// Generates a new identity and writes its private key file atomically with mode 0600.
    /// </summary>
    /// <param name="name">The builder name.</param>
    /// <param name="keyPath">Where to write the key.</param>
    /// <param name="overwrite">Replace an existing key file (the old identity is lost).</param>
    /// <returns>The new key; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The name is not a valid identity name.</exception>
    /// <exception cref="IdentityExistsException">A key file exists and <paramref name="overwrite"/> is off.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static IdentityKey Create(string name, string keyPath, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        if (!IdentityPublicKey.IsValidName(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid builder name: 1 to {IdentityPublicKey.MaxNameLength} characters from [A-Za-z0-9._-], starting with a letter or digit.",
                nameof(name));
        }

        if (!overwrite && File.Exists(keyPath))
        {
            throw new IdentityExistsException($"A builder key already exists at '{keyPath}'; pass --force to replace it.");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(keyPath))!;
        Directory.CreateDirectory(directory);
        var key = IdentityKey.Generate(name);
        try
        {
            var text = key.ExportPrivateKey();
            PosixFile.WriteAtomically(directory, Path.GetFileName(keyPath), System.Text.Encoding.ASCII.GetBytes(text), KeyFileMode);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Loads the private key, refusing a file others can read or one that is damaged.</summary>
    /// <param name="keyPath">The key file.</param>
    /// <returns>The key; the caller disposes it.</returns>
    /// <exception cref="IOException">The file is missing, unreadable, too permissive or not a key file.</exception>
    public static IdentityKey Load(string keyPath)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(keyPath);
            if (!info.Exists)
            {
                throw new IOException($"No builder key at '{keyPath}': run 'attest-agent init' first.");
            }

            var extra = info.UnixFileMode & ~KeyFileMode;
            if (extra != UnixFileMode.None)
            {
                throw new IOException(
                    $"Builder key '{keyPath}' has mode {Convert.ToString((int)info.UnixFileMode, 8)}; it must be 600 (chmod 600 '{keyPath}').");
            }

            if (info.Length > MaxKeyFileBytes)
            {
                throw new IOException($"Builder key '{keyPath}' is {info.Length} bytes; a key file is one short line.");
            }

            var text = File.ReadAllText(keyPath);
            return IdentityKey.TryParsePrivateKey(text, out var key, out var error)
                ? key
                : throw new IOException($"Builder key '{keyPath}' is not valid: {error}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Cannot read builder key '{keyPath}': {e.Message}", e);
        }
    }
}

/// <summary><c>init</c> found an existing identity and was not told to replace it.</summary>
public sealed class IdentityExistsException : IOException
{
    /// <summary>Creates the exception.</summary>
    public IdentityExistsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Where the existing key is.</param>
    public IdentityExistsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">Where the existing key is.</param>
    /// <param name="innerException">The cause.</param>
    public IdentityExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
