using System.Buffers.Binary;

namespace Attest.Nix.Internal;

/// <summary>
/// Precomputed NAR token sequences. Nix's NAR grammar (Dolstra's thesis, fig. 5.2, and the Nix manual's
/// "Nix Archive" section): every token is <c>str(s) = u64le(|s|) ++ s ++ zero padding to a multiple of 8</c>.
/// </summary>
internal static class NarTokens
{
    public const string MagicText = "nix-archive-1";

    /// <summary><c>str("nix-archive-1")</c>.</summary>
    public static readonly byte[] Magic = Concat(MagicText);

    /// <summary><c>str("(") str("type") str("regular") str("contents")</c>, followed by the u64 size.</summary>
    public static readonly byte[] RegularPrefix = Concat("(", "type", "regular", "contents");

    /// <summary>As <see cref="RegularPrefix"/> with <c>str("executable") str("")</c> before the contents.</summary>
    public static readonly byte[] ExecutablePrefix = Concat("(", "type", "regular", "executable", "", "contents");

    /// <summary><c>str("(") str("type") str("symlink") str("target")</c>, followed by <c>str(target)</c>.</summary>
    public static readonly byte[] SymlinkPrefix = Concat("(", "type", "symlink", "target");

    /// <summary><c>str("(") str("type") str("directory")</c>.</summary>
    public static readonly byte[] DirectoryPrefix = Concat("(", "type", "directory");

    /// <summary><c>str("entry") str("(") str("name")</c>, followed by <c>str(name)</c>.</summary>
    public static readonly byte[] EntryPrefix = Concat("entry", "(", "name");

    /// <summary><c>str("node")</c>.</summary>
    public static readonly byte[] Node = Concat("node");

    /// <summary><c>str(")")</c>.</summary>
    public static readonly byte[] Close = Concat(")");

    /// <summary>Padding after <paramref name="length"/> bytes of string contents.</summary>
    public static int Padding(long length) => (int)((8 - (length & 7)) & 7);

    private static byte[] Concat(params string[] tokens)
    {
        var size = 0;
        foreach (var token in tokens)
        {
            size += 8 + token.Length + Padding(token.Length);
        }

        var result = new byte[size];
        var position = 0;
        foreach (var token in tokens)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(position), (ulong)token.Length);
            position += 8;
            for (var i = 0; i < token.Length; i++)
            {
                result[position++] = (byte)token[i];
            }

            position += Padding(token.Length);
        }

        return result;
    }
}
