namespace Attest.Nix.Nar;

/// <summary>Limits <see cref="NarReader"/> enforces on untrusted NARs.</summary>
public sealed record NarReaderOptions
{
    /// <summary>The defaults: Linux's NAME_MAX and PATH_MAX, 1024 levels, 10 million nodes.</summary>
    public static NarReaderOptions Default { get; } = new();

    /// <summary>Maximum length of a directory entry name in bytes (Linux NAME_MAX, 255, by default).</summary>
    public int MaxNameLength { get; init; } = 255;

    /// <summary>Maximum length of a symlink target in bytes (PATH_MAX - 1, 4095, by default).</summary>
    public int MaxSymlinkTargetLength { get; init; } = 4095;

    /// <summary>Maximum directory nesting below the root.</summary>
    public int MaxDepth { get; init; } = 1024;

    /// <summary>Maximum number of nodes (files, directories and symlinks, including the root).</summary>
    public long MaxEntries { get; init; } = 10_000_000;

    /// <summary>Maximum size of a single regular file.</summary>
    public long MaxFileSize { get; init; } = long.MaxValue;

    /// <summary>
    /// Whether to compute SHA-256 and size of the NAR bytes while reading, for <see cref="NarReader.GetNarHash"/>
    /// (verifying a downloaded NAR against its narinfo in the same pass that lists it).
    /// </summary>
    public bool ComputeHash { get; init; }

    /// <summary>Whether bytes may follow the NAR in the stream (as in <c>nix-store --export</c>); false by default.</summary>
    public bool AllowTrailingData { get; init; }
}
