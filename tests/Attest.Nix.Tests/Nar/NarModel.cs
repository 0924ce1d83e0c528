using System.Text;
using Attest.Nix.Nar;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Nix.Tests.Nar;

/// <summary>An in-memory file tree for NAR property tests.</summary>
internal abstract record NarModel
{
    public sealed record File(byte[] Contents, bool Executable) : NarModel;

    public sealed record Link(byte[] Target) : NarModel;

    public sealed record Dir(IReadOnlyList<(byte[] Name, NarModel Node)> Entries) : NarModel;

    public void WriteTo(NarWriter writer)
    {
        switch (this)
        {
            case File file:
                writer.WriteRegularFile(file.Contents, file.Executable);
                break;
            case Link link:
                writer.WriteSymlink(link.Target);
                break;
            case Dir dir:
                writer.BeginDirectory();
                foreach (var (name, node) in dir.Entries)
                {
                    writer.BeginEntry(name);
                    node.WriteTo(writer);
                    writer.EndEntry();
                }

                writer.EndDirectory();
                break;
        }
    }

    public byte[] ToNar()
    {
        using var stream = new MemoryStream();
        using (var writer = new NarWriter(stream, leaveOpen: true))
        {
            WriteTo(writer);
            if (!writer.IsComplete)
            {
                throw new InvalidOperationException("Incomplete NAR.");
            }
        }

        return stream.ToArray();
    }

    /// <summary>The entries a reader must list, in archive order, as (path, type, executable, size, target).</summary>
    public IEnumerable<(string Path, NarEntryType Type, bool Executable, long Size, string Target)> Flatten(byte[] path)
    {
        var text = Convert.ToHexString(path);
        switch (this)
        {
            case File file:
                yield return (text, NarEntryType.Regular, file.Executable, file.Contents.Length, "");
                break;
            case Link link:
                yield return (text, NarEntryType.Symlink, false, 0, Convert.ToHexString(link.Target));
                break;
            case Dir dir:
                yield return (text, NarEntryType.Directory, false, 0, "");
                foreach (var (name, node) in dir.Entries)
                {
                    byte[] child = path.Length == 0 ? name : [.. path, (byte)'/', .. name];
                    foreach (var entry in node.Flatten(child))
                    {
                        yield return entry;
                    }
                }

                break;
        }
    }

    /// <summary>Writes the tree to disk (names must be valid UTF-8 for .NET's file APIs).</summary>
    public void Materialize(string path)
    {
        switch (this)
        {
            case File file:
                System.IO.File.WriteAllBytes(path, file.Contents);
                System.IO.File.SetUnixFileMode(path, file.Executable
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case Link link:
                System.IO.File.CreateSymbolicLink(path, Encoding.UTF8.GetString(link.Target));
                break;
            case Dir dir:
                Directory.CreateDirectory(path);
                foreach (var (name, node) in dir.Entries)
                {
                    node.Materialize(Path.Combine(path, Encoding.UTF8.GetString(name)));
                }

                break;
        }
    }

    public static Gen<NarModel> Generator(bool utf8Names) => Tree(3, utf8Names);

    private static Gen<NarModel> Tree(int depth, bool utf8Names)
    {
        var file = from contents in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Resize(40)
                   from executable in ArbMap.Default.GeneratorFor<bool>()
                   select (NarModel)new File(contents, executable);
        var link = from target in Name(utf8Names, 1, 30)
                   select (NarModel)new Link(target);
        if (depth == 0)
        {
            return Gen.OneOf(file, link);
        }

        var dir = from count in Gen.Choose(0, 5)
                  from names in Gen.ArrayOf(Name(utf8Names, 1, 12), count)
                  from nodes in Gen.ArrayOf(Tree(depth - 1, utf8Names), count)
                  select (NarModel)new Dir(Distinct(names, nodes));
        return Gen.Frequency((3, file), (1, link), (2, dir));
    }

    private static List<(byte[] Name, NarModel Node)> Distinct(byte[][] names, NarModel[] nodes)
    {
        var seen = new HashSet<string>();
        var result = new List<(byte[], NarModel)>();
        for (var i = 0; i < names.Length; i++)
        {
            if (seen.Add(Convert.ToHexString(names[i])))
            {
                result.Add((names[i], nodes[i]));
            }
        }

        result.Sort((a, b) => a.Item1.AsSpan().SequenceCompareTo(b.Item1));
        return result;
    }

    private static Gen<byte[]> Name(bool utf8, int min, int max)
    {
        if (utf8)
        {
            var chars = "abcXYZ019._-+=?~ \u00e9\u65e5\ue000".ToCharArray();
            return from length in Gen.Choose(min, max)
                   from text in Gen.ArrayOf(Gen.Elements(chars), length)
                   let name = new string(text)
                   where name is not ("." or "..")
                   select Encoding.UTF8.GetBytes(name);
        }

        return from length in Gen.Choose(min, max)
               from bytes in Gen.ArrayOf(Gen.Choose(1, 255).Select(b => (byte)b), length)
               let fixedBytes = bytes.Select(b => b == (byte)'/' ? (byte)'x' : b).ToArray()
               where !(fixedBytes is [(byte)'.'] or [(byte)'.', (byte)'.'])
               select fixedBytes;
    }
}
