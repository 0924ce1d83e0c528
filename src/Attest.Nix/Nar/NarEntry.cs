using System.Text;

namespace Attest.Nix.Nar;

/// <summary>The kinds of node a NAR holds.</summary>
public enum NarEntryType
{
    /// <summary>A regular file, possibly executable.</summary>
    Regular = 1,

    /// <summary>A directory.</summary>
    Directory = 2,

    /// <summary>A symbolic link.</summary>
    Symlink = 3,
}

/// <summary>One node of a NAR, as listed by <see cref="NarReader"/>.</summary>
public sealed record NarEntry
{
    /// <summary>Creates an entry.</summary>
    /// <param name="pathBytes">The relative path as raw bytes ("" for the root, '/'-separated).</param>
    /// <param name="type">The node type.</param>
    /// <param name="isExecutable">Whether a regular file is executable.</param>
    /// <param name="size">Size of a regular file's contents; 0 otherwise.</param>
    /// <param name="targetBytes">A symlink's target as raw bytes; empty otherwise.</param>
    /// <param name="contentsOffset">Offset of a regular file's contents in the NAR; -1 otherwise.</param>
    public NarEntry(
        ReadOnlyMemory<byte> pathBytes, NarEntryType type, bool isExecutable, long size, ReadOnlyMemory<byte> targetBytes,
        long contentsOffset)
    {
        PathBytes = pathBytes;
        Type = type;
        IsExecutable = isExecutable;
        Size = size;
        TargetBytes = targetBytes;
        ContentsOffset = contentsOffset;
    }

    /// <summary>The relative path as raw bytes: empty for the root, names joined by '/'.</summary>
    public ReadOnlyMemory<byte> PathBytes { get; }

    /// <summary>The relative path decoded as UTF-8 (invalid sequences become U+FFFD); empty for the root.</summary>
    public string Path => Encoding.UTF8.GetString(PathBytes.Span);

    /// <summary>The node type.</summary>
    public NarEntryType Type { get; }

    /// <summary>Whether a regular file carries the executable flag.</summary>
    public bool IsExecutable { get; }

    /// <summary>Size in bytes of a regular file's contents; 0 for other types.</summary>
    public long Size { get; }

    /// <summary>A symlink's target as raw bytes; empty for other types.</summary>
    public ReadOnlyMemory<byte> TargetBytes { get; }

    /// <summary>A symlink's target decoded as UTF-8; null for other types.</summary>
    public string? Target => Type == NarEntryType.Symlink ? Encoding.UTF8.GetString(TargetBytes.Span) : null;

    /// <summary>Offset of a regular file's contents from the start of the NAR; -1 for other types.</summary>
    public long ContentsOffset { get; }
}
