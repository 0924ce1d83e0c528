using System.Text;

namespace Attest.Nix.Tests.Support;

/// <summary>Builds test trees covering what NAR serialisation must get right.</summary>
internal static class TreeBuilder
{
    public static void WriteFile(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, contents.ToArray());
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>
    /// Symlinks (relative, absolute, dangling, to directories), executables (owner, group-only), empty files and
    /// directories, every padding remainder, deep nesting and names whose UTF-8 and UTF-16 orders differ.
    /// </summary>
    public static void BuildMixedTree(string root)
    {
        const UnixFileMode Plain = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Exec = Plain | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(root);
        for (var size = 0; size <= 17; size++)
        {
            WriteFile(Path.Combine(root, "sizes", $"f{size}"), Bytes(size, size), Plain);
        }

        WriteFile(Path.Combine(root, "bin", "tool"), Encoding.ASCII.GetBytes("#!/bin/sh\necho hi\n"), Exec);
        WriteFile(Path.Combine(root, "bin", "group-exec-only"), "x"u8, Plain | UnixFileMode.GroupExecute);
        WriteFile(Path.Combine(root, "bin", "owner-exec-only"), "y"u8, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        WriteFile(Path.Combine(root, "empty-file"), [], Plain);
        WriteFile(Path.Combine(root, "empty-exec"), [], Exec);
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));
        Directory.CreateDirectory(Path.Combine(root, "nested-empty", "a", "b"));
        File.CreateSymbolicLink(Path.Combine(root, "link-relative"), "bin/tool");
        File.CreateSymbolicLink(Path.Combine(root, "link-absolute"), "/etc/hostname");
        File.CreateSymbolicLink(Path.Combine(root, "link-dangling"), "does/not/exist");
        File.CreateSymbolicLink(Path.Combine(root, "link-dir"), "bin");
        File.CreateSymbolicLink(Path.Combine(root, "link-odd-target"), new string('t', 13) + " with spaces\u00e9");

        // U+E000 sorts before U+1F600 in UTF-16 code units but after it in UTF-8 bytes; Nix sorts bytes.
        foreach (var name in new[] { "a", "A", "aa", "a.b", "a-b", "a_b", "Z", "caf\u00e9", "\u65e5\u672c", "\ue000", "\U0001F600", "~", "+plus", "=eq" })
        {
            WriteFile(Path.Combine(root, "names", name), Encoding.UTF8.GetBytes(name), Plain);
        }

        var deep = Path.Combine(root, "deep");
        for (var i = 0; i < 60; i++)
        {
            deep = Path.Combine(deep, $"d{i % 10}");
        }

        WriteFile(Path.Combine(deep, "leaf"), "leaf"u8, Plain);
        var wide = Path.Combine(root, "wide");
        for (var i = 0; i < 300; i++)
        {
            WriteFile(Path.Combine(wide, $"entry-{i:D4}"), Bytes(i * 7 % 200, i), i % 3 == 0 ? Exec : Plain);
        }
    }

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes a file of <paramref name="length"/> pseudo-random bytes in 1 MiB chunks.</summary>
    public static void WriteLargeFile(string path, long length, int seed)
    {
        var random = new Random(seed);
        var chunk = new byte[1 << 20];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var remaining = length;
        while (remaining > 0)
        {
            random.NextBytes(chunk);
            var count = (int)Math.Min(chunk.Length, remaining);
            stream.Write(chunk, 0, count);
            remaining -= count;
        }
    }
}
