using System.Diagnostics.CodeAnalysis;

namespace Attest.Nix;

/// <summary>
/// A validated Nix store path <c>&lt;storeDir&gt;/&lt;32 nix32 chars&gt;-&lt;name&gt;</c>, such as
/// <c>/nix/store/bcrbkxyfkl7x08ff2n2l4gqz88n0v7g5-hello-2.12</c>.
/// </summary>
/// <remarks>
/// The rules are Nix's (<c>StorePath</c> in libstore): the hash part is 32 characters of the nix32 alphabet (a
/// 160-bit digest); the name is 1 to 211 characters from <c>[A-Za-z0-9+-._?=]</c> and does not start with
/// <c>.</c>. The store directory is an absolute, canonical path without a trailing slash. The default value has an
/// empty <see cref="FullPath"/> (<see cref="IsEmpty"/>).
/// </remarks>
public readonly struct StorePath : IEquatable<StorePath>, IComparable<StorePath>
{
    /// <summary>Nix's default store directory.</summary>
    public const string DefaultStoreDir = "/nix/store";

    /// <summary>Length of the hash part in characters.</summary>
    public const int HashPartLength = 32;

    /// <summary>Size of the decoded hash part in bytes.</summary>
    public const int HashSize = 20;

    /// <summary>Maximum length of the name (Nix's <c>StorePath::MaxPathLen</c>).</summary>
    public const int MaxNameLength = 211;

    /// <summary>Maximum length accepted for a store directory.</summary>
    public const int MaxStoreDirLength = 1024;

    private readonly string? _path;
    private readonly int _storeDirLength;

    private StorePath(string path, int storeDirLength)
    {
        _path = path;
        _storeDirLength = storeDirLength;
    }

    /// <summary>The full path, such as <c>/nix/store/&lt;hash&gt;-hello</c>.</summary>
    public string FullPath => _path ?? string.Empty;

    /// <summary>The store directory, such as <c>/nix/store</c>.</summary>
    public string StoreDir => _path is null ? string.Empty : _path[.._storeDirLength];

    /// <summary>The last path component, <c>&lt;hash&gt;-&lt;name&gt;</c>.</summary>
    public string BaseName => _path is null ? string.Empty : _path[(_storeDirLength + 1)..];

    /// <summary>The 32-character nix32 hash part.</summary>
    public string HashPart => _path is null ? string.Empty : _path.Substring(_storeDirLength + 1, HashPartLength);

    /// <summary>The name after the hash part and dash.</summary>
    public string Name => _path is null ? string.Empty : _path[(_storeDirLength + 2 + HashPartLength)..];

    /// <summary>The base name as a span, without allocating.</summary>
    public ReadOnlySpan<char> BaseNameSpan => _path is null ? default : _path.AsSpan(_storeDirLength + 1);

    /// <summary>Whether the name ends in <c>.drv</c> (a store derivation).</summary>
    public bool IsDerivation => _path is not null && _path.EndsWith(".drv", StringComparison.Ordinal);

    /// <summary>Whether this is the default (unset) value.</summary>
    public bool IsEmpty => _path is null;

    /// <summary>Decodes the hash part into its 20 bytes.</summary>
    /// <returns>The digest.</returns>
    public byte[] GetHashBytes()
    {
        if (_path is null)
        {
            return [];
        }

        return Nix32.Decode(_path.AsSpan(_storeDirLength + 1, HashPartLength));
    }

    /// <summary>Parses a store path in <see cref="DefaultStoreDir"/>.</summary>
    /// <param name="path">The full path.</param>
    /// <returns>The store path.</returns>
    /// <exception cref="NixFormatException">The path is not a valid store path.</exception>
    public static StorePath Parse(string path) => Parse(path, DefaultStoreDir);

    /// <summary>Parses a store path in <paramref name="storeDir"/>.</summary>
    /// <param name="path">The full path.</param>
    /// <param name="storeDir">The store directory, such as <c>/nix/store</c>.</param>
    /// <returns>The store path.</returns>
    /// <exception cref="NixFormatException">The path is not a valid store path in that store.</exception>
    /// <exception cref="ArgumentException"><paramref name="storeDir"/> is not a valid store directory.</exception>
    public static StorePath Parse(string path, string storeDir)
    {
        ArgumentNullException.ThrowIfNull(path);
        ValidateStoreDirArgument(storeDir);
        var error = Validate(path, storeDir);
        return error is null ? new StorePath(path, storeDir.Length) : throw new NixFormatException(error);
    }

    /// <summary>Parses a store path in <see cref="DefaultStoreDir"/>.</summary>
    /// <param name="path">The full path.</param>
    /// <param name="storePath">The store path on success.</param>
    /// <returns>Whether <paramref name="path"/> is a valid store path.</returns>
    public static bool TryParse([NotNullWhen(true)] string? path, out StorePath storePath) =>
        TryParse(path, DefaultStoreDir, out storePath);

    /// <summary>Parses a store path in <paramref name="storeDir"/>.</summary>
    /// <param name="path">The full path.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <param name="storePath">The store path on success.</param>
    /// <returns>Whether <paramref name="path"/> is a valid store path in that store.</returns>
    /// <exception cref="ArgumentException"><paramref name="storeDir"/> is not a valid store directory.</exception>
    public static bool TryParse([NotNullWhen(true)] string? path, string storeDir, out StorePath storePath)
    {
        ValidateStoreDirArgument(storeDir);
        if (path is not null && Validate(path, storeDir) is null)
        {
            storePath = new StorePath(path, storeDir.Length);
            return true;
        }

        storePath = default;
        return false;
    }

    /// <summary>
    /// Parses a base name <c>&lt;hash&gt;-&lt;name&gt;</c> (as in narinfo <c>References</c> and .drv files' parent
    /// directories) into a store path in <paramref name="storeDir"/>.
    /// </summary>
    /// <param name="baseName">The base name.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The store path.</returns>
    /// <exception cref="NixFormatException">The base name is invalid.</exception>
    public static StorePath FromBaseName(ReadOnlySpan<char> baseName, string storeDir = DefaultStoreDir)
    {
        ValidateStoreDirArgument(storeDir);
        var error = ValidateBaseName(baseName);
        return error is null
            ? new StorePath(string.Concat(storeDir, "/", baseName), storeDir.Length)
            : throw new NixFormatException(error);
    }

    /// <summary>Parses a base name <c>&lt;hash&gt;-&lt;name&gt;</c>; see <see cref="FromBaseName"/>.</summary>
    /// <param name="baseName">The base name.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <param name="storePath">The store path on success.</param>
    /// <returns>Whether the base name is valid.</returns>
    public static bool TryFromBaseName(ReadOnlySpan<char> baseName, string storeDir, out StorePath storePath)
    {
        ValidateStoreDirArgument(storeDir);
        if (ValidateBaseName(baseName) is null)
        {
            storePath = new StorePath(string.Concat(storeDir, "/", baseName), storeDir.Length);
            return true;
        }

        storePath = default;
        return false;
    }

    /// <summary>Builds a store path from a 20-byte digest and a name.</summary>
    /// <param name="hash">The 20-byte (compressed) digest.</param>
    /// <param name="name">The name.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <returns>The store path.</returns>
    /// <exception cref="ArgumentException">The digest is not 20 bytes or the name is invalid.</exception>
    public static StorePath Create(ReadOnlySpan<byte> hash, ReadOnlySpan<char> name, string storeDir = DefaultStoreDir)
    {
        ValidateStoreDirArgument(storeDir);
        if (hash.Length != HashSize)
        {
            throw new ArgumentException($"A store path hash is {HashSize} bytes, not {hash.Length}.", nameof(hash));
        }

        var error = ValidateName(name);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(name));
        }

        var chars = new char[storeDir.Length + HashPartLength + 2 + name.Length];
        storeDir.CopyTo(chars);
        chars[storeDir.Length] = '/';
        Nix32.Encode(hash, chars.AsSpan(storeDir.Length + 1, HashPartLength));
        chars[storeDir.Length + 1 + HashPartLength] = '-';
        name.CopyTo(chars.AsSpan(storeDir.Length + HashPartLength + 2));
        var path = new string(chars);
        return new StorePath(path, storeDir.Length);
    }

    /// <summary>
    /// Splits a path at or inside a store path (such as <c>/nix/store/&lt;hash&gt;-hello/bin/hello</c>) into the store
    /// path and the remainder (<c>/bin/hello</c>, or empty).
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="storeDir">The store directory.</param>
    /// <param name="storePath">The enclosing store path on success.</param>
    /// <param name="rest">The remainder, starting with <c>/</c>, or empty.</param>
    /// <returns>Whether the path lies in a valid store path.</returns>
    public static bool TryParseContaining(string? path, string storeDir, out StorePath storePath, out string rest)
    {
        ValidateStoreDirArgument(storeDir);
        storePath = default;
        rest = string.Empty;
        if (path is null || path.Length <= storeDir.Length + 1 || !path.StartsWith(storeDir, StringComparison.Ordinal)
            || path[storeDir.Length] != '/')
        {
            return false;
        }

        var slash = path.IndexOf('/', storeDir.Length + 1);
        var head = slash < 0 ? path : path[..slash];
        if (!TryParse(head, storeDir, out storePath))
        {
            return false;
        }

        rest = slash < 0 ? string.Empty : path[slash..];
        return true;
    }

    /// <summary>Returns whether <paramref name="name"/> is a valid store path name.</summary>
    /// <param name="name">The name (after the hash part and dash).</param>
    /// <returns><see langword="true"/> if valid.</returns>
    public static bool IsValidName(ReadOnlySpan<char> name) => ValidateName(name) is null;

    /// <summary>Returns whether <paramref name="storeDir"/> is an acceptable store directory.</summary>
    /// <param name="storeDir">The directory.</param>
    /// <returns><see langword="true"/> if absolute, canonical and without a trailing slash.</returns>
    public static bool IsValidStoreDir([NotNullWhen(true)] string? storeDir)
    {
        if (string.IsNullOrEmpty(storeDir) || storeDir.Length > MaxStoreDirLength || storeDir[0] != '/'
            || storeDir[^1] == '/')
        {
            return false;
        }

        foreach (var segment in storeDir.AsSpan(1).Split('/'))
        {
            var part = storeDir.AsSpan(1)[segment];
            if (part.IsEmpty || part is "." or ".." || part.Contains('\0'))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => FullPath;

    /// <inheritdoc/>
    public bool Equals(StorePath other) => string.Equals(_path, other._path, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is StorePath other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _path is null ? 0 : StringComparer.Ordinal.GetHashCode(_path);

    /// <summary>Orders store paths by ordinal comparison of the full path (Nix's set order).</summary>
    /// <param name="other">The other path.</param>
    /// <returns>The ordinal comparison.</returns>
    public int CompareTo(StorePath other) => string.CompareOrdinal(_path, other._path);

    /// <summary>Compares two store paths for equality.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(StorePath left, StorePath right) => left.Equals(right);

    /// <summary>Compares two store paths for inequality.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(StorePath left, StorePath right) => !left.Equals(right);

    /// <summary>Ordinal less-than.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(StorePath left, StorePath right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal greater-than.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(StorePath left, StorePath right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal less-than-or-equal.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether <paramref name="left"/> does not sort last.</returns>
    public static bool operator <=(StorePath left, StorePath right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal greater-than-or-equal.</summary>
    /// <param name="left">The first path.</param>
    /// <param name="right">The second path.</param>
    /// <returns>Whether <paramref name="left"/> does not sort first.</returns>
    public static bool operator >=(StorePath left, StorePath right) => left.CompareTo(right) >= 0;

    private static void ValidateStoreDirArgument(string storeDir)
    {
        if (!IsValidStoreDir(storeDir))
        {
            throw new ArgumentException(
                $"Store directory '{storeDir}' is not an absolute canonical path without a trailing slash.",
                nameof(storeDir));
        }
    }

    private static string? Validate(string path, string storeDir)
    {
        if (path.Length <= storeDir.Length + 1 || !path.StartsWith(storeDir, StringComparison.Ordinal)
            || path[storeDir.Length] != '/')
        {
            return $"Path '{Shorten(path)}' is not in the Nix store '{storeDir}'.";
        }

        var error = ValidateBaseName(path.AsSpan(storeDir.Length + 1));
        return error is null ? null : $"Path '{Shorten(path)}' is not a valid store path: {error}";
    }

    private static string? ValidateBaseName(ReadOnlySpan<char> baseName)
    {
        if (baseName.Length < HashPartLength + 2)
        {
            return $"base name '{Shorten(baseName)}' is shorter than a {HashPartLength}-character hash, a dash and a name.";
        }

        for (var i = 0; i < HashPartLength; i++)
        {
            if (!Nix32.IsNix32Char(baseName[i]))
            {
                return $"hash part character {Describe(baseName[i])} at offset {i} is not in the nix32 alphabet.";
            }
        }

        if (baseName[HashPartLength] != '-')
        {
            return $"expected '-' after the {HashPartLength}-character hash part, found {Describe(baseName[HashPartLength])}.";
        }

        return ValidateName(baseName[(HashPartLength + 1)..]);
    }

    private static string? ValidateName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return "the name is empty.";
        }

        if (name.Length > MaxNameLength)
        {
            return $"the name is {name.Length} characters long; at most {MaxNameLength} are allowed.";
        }

        if (name[0] == '.')
        {
            return "the name starts with '.'.";
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsNameChar(name[i]))
            {
                return $"the name contains {Describe(name[i])} at offset {i}; only [A-Za-z0-9+-._?=] are allowed.";
            }
        }

        return null;
    }

    private static bool IsNameChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.' or '_' or '?' or '=';

    private static string Describe(char c) =>
        c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";

    private static string Shorten(ReadOnlySpan<char> text) =>
        text.Length <= 300 ? text.ToString() : string.Concat(text[..300], "...");
}
