using System.Buffers.Binary;
using System.Text;
using Attest.Nix.Nar;
using Attest.Nix.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Nix.Tests.Nar;

public sealed class NarReaderTests
{
    [Fact]
    public void ReadEntries_NixStoreDumpOfMixedTree_ListsFilesystem()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);
        var nar = NixCli.Run("nix-store", "--dump", root);

        var entries = NarReader.ReadEntries(new MemoryStream(nar));

        Assert.Equal(NarEntryType.Directory, entries[0].Type);
        Assert.Equal(string.Empty, entries[0].Path);
        var tool = Assert.Single(entries, e => e.Path == "bin/tool");
        Assert.True(tool.IsExecutable);
        Assert.Equal(new FileInfo(Path.Combine(root, "bin", "tool")).Length, tool.Size);
        Assert.False(Assert.Single(entries, e => e.Path == "bin/group-exec-only").IsExecutable);
        Assert.Equal("bin/tool", Assert.Single(entries, e => e.Path == "link-relative").Target);
        Assert.Equal(NarEntryType.Directory, Assert.Single(entries, e => e.Path == "empty-dir").Type);
        var onDisk = NixCli.RunText("find", root).Split('\n').Length; // find lists the root too, follows no links
        Assert.Equal(onDisk, entries.Count);
    }

    [Fact]
    public void GetNarHash_NixStoreDump_EqualsHasherAndNix()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);
        var nar = NixCli.Run("nix-store", "--dump", root);
        using var reader = new NarReader(new MemoryStream(nar), new NarReaderOptions { ComputeHash = true });

        Assert.Throws<InvalidOperationException>(() => reader.GetNarHash());
        while (reader.Read())
        {
            if (reader.Current.Type == NarEntryType.Regular && reader.Current.Size > 3)
            {
                reader.ReadContents(new byte[3]);
            }
        }

        var result = reader.GetNarHash();
        Assert.Equal(NarHasher.HashPath(root), result);
        Assert.Equal(nar.Length, result.Size);
        Assert.Equal(NixHash.ComputeSha256(nar), result.Hash);
    }

    [Fact]
    public void ReadContents_RegularFile_ReturnsBytesAtOffset()
    {
        var contents = TreeBuilder.Bytes(1000, 3);
        var nar = new NarModel.Dir([("a"u8.ToArray(), new NarModel.File(contents, false)), ("b"u8.ToArray(), new NarModel.File("bb"u8.ToArray(), true))]).ToNar();
        using var reader = new NarReader(new MemoryStream(nar));

        Assert.True(reader.Read());
        Assert.True(reader.Read());
        var entry = reader.Current;
        var read = new byte[2000];
        var total = 0;
        int n;
        while ((n = reader.ReadContents(read.AsSpan(total, 7))) > 0)
        {
            total += n;
        }

        Assert.Equal(contents, read[..total]);
        Assert.Equal(contents, nar.AsSpan((int)entry.ContentsOffset, contents.Length).ToArray());
        Assert.True(reader.Read());
        Assert.Equal("b", reader.Current.Path);
        Assert.False(reader.Read());
        Assert.Throws<InvalidOperationException>(() => reader.ReadContents(new byte[1]));
    }

    [Fact]
    public void WriteThenRead_MixedTreeFromDisk_ReproducesNixBytes()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);
        var nar = NixCli.Run("nix-store", "--dump", root);

        Assert.Equal(nar, Reserialize(nar));
    }

    [Property(MaxTest = 200)]
    public Property WriteRead_AnyTree_ListsSameEntries() =>
        Prop.ForAll(Arb.From(NarModel.Generator(utf8Names: false)), model =>
        {
            var nar = model.ToNar();
            var entries = NarReader.ReadEntries(new MemoryStream(nar));
            var actual = entries.Select(e => (Convert.ToHexString(e.PathBytes.Span), e.Type, e.IsExecutable, e.Size,
                Convert.ToHexString(e.TargetBytes.Span)));
            return actual.SequenceEqual(model.Flatten([])) && Reserialize(nar).AsSpan().SequenceEqual(nar);
        });

    [Property(MaxTest = 25)]
    public Property Dump_AnyMaterializedTree_EqualsWriterBytes() =>
        Prop.ForAll(Arb.From(NarModel.Generator(utf8Names: true)), model =>
        {
            using var temp = new TempDirectory();
            var root = temp.Combine("t");
            model.Materialize(root);
            using var dumped = new MemoryStream();
            NarSerializer.Dump(root, dumped);
            return dumped.ToArray().AsSpan().SequenceEqual(model.ToNar());
        });

    public static TheoryData<string, byte[]> Malformed()
    {
        var valid = new NarModel.Dir(
        [
            ("a"u8.ToArray(), new NarModel.File("hello"u8.ToArray(), true)),
            ("b"u8.ToArray(), new NarModel.Link("a"u8.ToArray())),
        ]).ToNar();
        var data = new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "truncated magic", valid[..10] },
            { "truncated", valid[..^8] },
            { "trailing data", [.. valid, 0, 0, 0, 0, 0, 0, 0, 0] },
            { "wrong magic", Replace(valid, "nix-archive-1", "nix-archive-2") },
            { "unknown type", Replace(valid, "symlink", "symlinX") },
            { "huge length", SetU64(valid, 0, ulong.MaxValue) },
            { "non-zero padding", SetByte(valid, 8 + 13, 1) },
            { "unsorted", Unsorted() },
            { "duplicate", Duplicate() },
            { "dot name", WithName("."u8.ToArray()) },
            { "dotdot name", WithName(".."u8.ToArray()) },
            { "slash name", WithName("a/b"u8.ToArray()) },
            { "nul name", WithName([(byte)'a', 0]) },
            { "empty name", WithName([]) },
            { "long name", WithName(Enumerable.Repeat((byte)'n', 256).ToArray()) },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void ReadEntries_Malformed_ThrowsNixFormatException(string reason, byte[] nar)
    {
        var ex = Assert.Throws<NixFormatException>(() => NarReader.ReadEntries(new MemoryStream(nar)));
        Assert.StartsWith("Malformed NAR", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Offset >= 0, reason);
        Assert.False(NarReader.TryReadEntries(nar, null, out var entries, out var error));
        Assert.Empty(entries);
        Assert.NotNull(error);
    }

    [Fact]
    public void ReadEntries_TrailingDataAllowed_Accepts()
    {
        var nar = new NarModel.File("x"u8.ToArray(), false).ToNar();
        byte[] withTrailer = [.. nar, 1, 2, 3];

        var entries = NarReader.ReadEntries(new MemoryStream(withTrailer), new NarReaderOptions { AllowTrailingData = true });

        Assert.Single(entries);
    }

    [Fact]
    public void ReadEntries_DepthLimit_Enforced()
    {
        NarModel node = new NarModel.File([], false);
        for (var i = 0; i < 5; i++)
        {
            node = new NarModel.Dir([("d"u8.ToArray(), node)]);
        }

        var nar = node.ToNar();
        Assert.Equal(6, NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxDepth = 4 }).Count);
        var ex = Assert.Throws<NixFormatException>(() =>
            NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxDepth = 3 }));
        Assert.Contains("deeper than 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadEntries_EntryAndSizeLimits_Enforced()
    {
        var nar = new NarModel.Dir(
        [
            ("a"u8.ToArray(), new NarModel.File(new byte[100], false)),
            ("b"u8.ToArray(), new NarModel.Link(Enumerable.Repeat((byte)'t', 50).ToArray())),
        ]).ToNar();

        Assert.Throws<NixFormatException>(() => NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxEntries = 2 }));
        Assert.Throws<NixFormatException>(() => NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxFileSize = 99 }));
        Assert.Throws<NixFormatException>(() => NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxSymlinkTargetLength = 49 }));
        Assert.Equal(3, NarReader.ReadEntries(new MemoryStream(nar), new NarReaderOptions { MaxEntries = 3, MaxFileSize = 100, MaxSymlinkTargetLength = 50 }).Count);
    }

    [Fact]
    public void ReadEntries_MutatedNars_OnlyFormatErrors()
    {
        var random = new Random(1234);
        var seeds = Enumerable.Range(0, 20).Select(i => RandomTree(new Random(i), 3).ToNar()).ToArray();
        for (var round = 0; round < 3000; round++)
        {
            var nar = (byte[])seeds[random.Next(seeds.Length)].Clone();
            switch (random.Next(4))
            {
                case 0:
                    nar[random.Next(nar.Length)] = (byte)random.Next(256);
                    break;
                case 1:
                    nar = nar[..random.Next(nar.Length)];
                    break;
                case 2:
                    // Corrupt a length field with a plausible or absurd value.
                    var at = random.Next(nar.Length / 8) * 8;
                    BinaryPrimitives.WriteUInt64LittleEndian(nar.AsSpan(at), random.Next(2) == 0 ? (ulong)random.Next(64) : ulong.MaxValue - (ulong)random.Next(16));
                    break;
                default:
                    var from = random.Next(nar.Length);
                    nar = [.. nar[..from], .. nar[Math.Min(nar.Length, from + (random.Next(3) * 8))..]];
                    break;
            }

            if (NarReader.TryReadEntries(nar, null, out var entries, out var error))
            {
                Assert.Null(error);
                Assert.NotEmpty(entries);
                Assert.Equal(nar, Reserialize(nar));
            }
            else
            {
                Assert.NotNull(error);
            }
        }
    }

    [Fact]
    public void Writer_Misuse_Throws()
    {
        using var stream = new MemoryStream();
        using var writer = new NarWriter(stream, leaveOpen: true);
        Assert.Throws<InvalidOperationException>(() => writer.BeginEntry("a"));
        writer.BeginDirectory();
        Assert.Throws<InvalidOperationException>(() => writer.WriteRegularFile([]));
        writer.BeginEntry("b");
        writer.BeginRegularFile(3);
        writer.WriteContents("ab"u8);
        Assert.Throws<InvalidOperationException>(() => writer.WriteContents("cd"u8));
        Assert.Throws<InvalidOperationException>(() => writer.EndRegularFile());
        writer.WriteContents("c"u8);
        writer.EndRegularFile();
        Assert.Throws<InvalidOperationException>(() => writer.WriteSymlink("x"));
        writer.EndEntry();
        Assert.Throws<ArgumentException>(() => writer.BeginEntry("a"));
        Assert.Throws<ArgumentException>(() => writer.BeginEntry("b"));
        Assert.Throws<ArgumentException>(() => writer.BeginEntry(".."));
        writer.EndDirectory();
        Assert.True(writer.IsComplete);
        Assert.Throws<InvalidOperationException>(() => writer.BeginDirectory());
        Assert.Equal(stream.Length, writer.BytesWritten);
    }

    private static byte[] Reserialize(byte[] nar)
    {
        using var output = new MemoryStream();
        using (var writer = new NarWriter(output, leaveOpen: true))
        using (var reader = new NarReader(new MemoryStream(nar)))
        {
            var depthStack = new Stack<int>();
            var openDirectories = new List<byte[]>();
            while (reader.Read())
            {
                var entry = reader.Current;
                var path = entry.PathBytes.ToArray();

                // Close directories that do not contain this entry.
                while (openDirectories.Count > 0 && !IsInside(path, openDirectories[^1]))
                {
                    writer.EndDirectory();
                    openDirectories.RemoveAt(openDirectories.Count - 1);
                    if (openDirectories.Count > 0 || path.Length > 0)
                    {
                        writer.EndEntry();
                    }
                }

                if (openDirectories.Count > 0)
                {
                    var parent = openDirectories[^1];
                    writer.BeginEntry(parent.Length == 0 ? path : path[(parent.Length + 1)..]);
                }

                switch (entry.Type)
                {
                    case NarEntryType.Regular:
                        writer.BeginRegularFile(entry.Size, entry.IsExecutable);
                        var buffer = new byte[4096];
                        int n;
                        while ((n = reader.ReadContents(buffer)) > 0)
                        {
                            writer.WriteContents(buffer.AsSpan(0, n));
                        }

                        writer.EndRegularFile();
                        if (openDirectories.Count > 0)
                        {
                            writer.EndEntry();
                        }

                        break;
                    case NarEntryType.Symlink:
                        writer.WriteSymlink(entry.TargetBytes.Span);
                        if (openDirectories.Count > 0)
                        {
                            writer.EndEntry();
                        }

                        break;
                    default:
                        writer.BeginDirectory();
                        openDirectories.Add(path);
                        break;
                }
            }

            while (openDirectories.Count > 0)
            {
                writer.EndDirectory();
                openDirectories.RemoveAt(openDirectories.Count - 1);
                if (openDirectories.Count > 0)
                {
                    writer.EndEntry();
                }
            }
        }

        return output.ToArray();
    }

    private static NarModel RandomTree(Random random, int depth)
    {
        switch (depth == 0 ? random.Next(2) : random.Next(3))
        {
            case 0:
                return new NarModel.File(TreeBuilder.Bytes(random.Next(30), random.Next()), random.Next(2) == 0);
            case 1:
                return new NarModel.Link(Encoding.ASCII.GetBytes(new string('t', random.Next(1, 20))));
            default:
                var count = random.Next(4);
                var entries = Enumerable.Range(0, count)
                    .Select(i => (Encoding.ASCII.GetBytes($"n{i}"), RandomTree(random, depth - 1)))
                    .ToList();
                return new NarModel.Dir(entries);
        }
    }

    private static bool IsInside(byte[] path, byte[] directory) =>
        directory.Length == 0 || (path.Length > directory.Length && path.AsSpan().StartsWith(directory) && path[directory.Length] == (byte)'/');

    private static byte[] Replace(byte[] nar, string from, string to)
    {
        var index = nar.AsSpan().IndexOf(Encoding.ASCII.GetBytes(from));
        var copy = (byte[])nar.Clone();
        Encoding.ASCII.GetBytes(to).CopyTo(copy, index);
        return copy;
    }

    private static byte[] SetU64(byte[] nar, int offset, ulong value)
    {
        var copy = (byte[])nar.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    private static byte[] SetByte(byte[] nar, int offset, byte value)
    {
        var copy = (byte[])nar.Clone();
        copy[offset] = value;
        return copy;
    }

    private static byte[] Unsorted()
    {
        var nar = new NarModel.Dir([("a"u8.ToArray(), new NarModel.File([], false)), ("b"u8.ToArray(), new NarModel.File([], false))]).ToNar();
        return SwapNames(nar, (byte)'a', (byte)'b');
    }

    private static byte[] Duplicate()
    {
        var nar = new NarModel.Dir([("a"u8.ToArray(), new NarModel.File([], false)), ("b"u8.ToArray(), new NarModel.File([], false))]).ToNar();
        return SwapNames(nar, (byte)'a', (byte)'a');
    }

    // Rewrites the two one-byte entry names in order (first, second).
    private static byte[] SwapNames(byte[] nar, byte first, byte second)
    {
        var copy = (byte[])nar.Clone();
        var nameToken = Encoding.ASCII.GetBytes("name");
        var positions = new List<int>();
        for (var i = 0; i + 4 <= copy.Length; i++)
        {
            if (copy.AsSpan(i, 4).SequenceEqual(nameToken))
            {
                positions.Add(i + 8 + 8); // skip "name" padded to 8, then the u64 length of the name
            }
        }

        copy[positions[0]] = second;
        copy[positions[1]] = first;
        return copy;
    }

    private static byte[] WithName(byte[] name)
    {
        // Hand-assembled so the writer's own validation does not stop the invalid name.
        using var stream = new MemoryStream();
        void Str(ReadOnlySpan<byte> s)
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)s.Length);
            stream.Write(length);
            stream.Write(s);
            stream.Write(new byte[(8 - (s.Length % 8)) % 8]);
        }

        Str("nix-archive-1"u8);
        Str("("u8);
        Str("type"u8);
        Str("directory"u8);
        Str("entry"u8);
        Str("("u8);
        Str("name"u8);
        Str(name);
        Str("node"u8);
        Str("("u8);
        Str("type"u8);
        Str("regular"u8);
        Str("contents"u8);
        Str(""u8);
        Str(")"u8);
        Str(")"u8);
        Str(")"u8);
        return stream.ToArray();
    }
}
