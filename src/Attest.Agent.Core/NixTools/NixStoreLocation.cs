using Attest.Nix;

namespace Attest.Agent.Core.NixTools;

/// <summary>
/// Where a Nix store keeps its files: the store URI as Nix is given it (<c>--store</c>) and, for a chroot store
/// (<c>/tmp/b</c> or <c>local?root=/tmp/b</c>), the directory its logical <c>/nix/store</c> lives under.
/// </summary>
public sealed record NixStoreLocation
{
    private NixStoreLocation(string? uri, string root)
    {
        Uri = uri;
        Root = root;
    }

    /// <summary>The default store (<c>auto</c>: the local store or the daemon).</summary>
    public static NixStoreLocation Default { get; } = new(null, string.Empty);

    /// <summary>The store URI to pass as <c>--store</c>, or <see langword="null"/> for the default store.</summary>
    public string? Uri { get; }

    /// <summary>The chroot directory prefixed to logical store paths; empty for the default store.</summary>
    public string Root { get; }

    /// <summary>Interprets a store setting (the <c>store</c> value of <c>nix show-config</c> or a config file).</summary>
    /// <param name="store">The setting: null, empty, <c>auto</c>, <c>local</c>, <c>daemon</c>, an absolute path, or <c>local?root=...</c>.</param>
    /// <returns>The location.</returns>
    /// <exception cref="ArgumentException">The store is a kind the agent cannot read files from (for example a binary cache).</exception>
    public static NixStoreLocation Parse(string? store)
    {
        if (string.IsNullOrWhiteSpace(store) || store is "auto" or "local" or "daemon" or "unix://")
        {
            return Default;
        }

        if (store.StartsWith('/'))
        {
            return new NixStoreLocation(store, Path.TrimEndingDirectorySeparator(store));
        }

        const string LocalPrefix = "local?";
        if (store.StartsWith(LocalPrefix, StringComparison.Ordinal))
        {
            foreach (var parameter in store[LocalPrefix.Length..].Split('&'))
            {
                if (parameter.StartsWith("root=", StringComparison.Ordinal))
                {
                    var root = System.Uri.UnescapeDataString(parameter["root=".Length..]);
                    if (!root.StartsWith('/'))
                    {
                        throw new ArgumentException($"Store '{store}' has a relative root.", nameof(store));
                    }

                    return new NixStoreLocation(store, Path.TrimEndingDirectorySeparator(root));
                }
            }

            return new NixStoreLocation(store, string.Empty);
        }

        throw new ArgumentException(
            $"Store '{store}' is not a local store; the agent reads build outputs from the file system.", nameof(store));
    }

    /// <summary>The file-system path of a store path in this store.</summary>
    /// <param name="path">The logical store path.</param>
    /// <returns>The physical path.</returns>
    public string PhysicalPath(StorePath path) => Root + path.FullPath;
}
