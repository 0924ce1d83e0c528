using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Attest.Nix.Nar;

namespace Attest.Nix.Internal;

/// <summary>
/// Serialises a filesystem path to NAR the way Nix's <c>dumpPath</c> does, on Linux, through directory file
/// descriptors (<c>openat</c>, <c>getdents64</c>, <c>statx</c>): file names stay raw bytes, directory entries are
/// sorted bytewise, regular files are executable when the owner may execute them (<c>S_IXUSR</c>), and anything that
/// is not a regular file, directory or symlink is refused.
/// </summary>
/// <remarks>
/// The per-file methods are marked <see cref="MethodImplOptions.AggressiveOptimization"/>: a walk runs once per
/// process (the agent hook, <c>nar-hash</c>), so thousands of files would otherwise go through unoptimised tier-0
/// code before tiered compilation caught up.
/// </remarks>
internal sealed unsafe class NarFileSystemWalker
{
    private const int DentsBufferSize = 64 * 1024;
    private const int LinkBufferSize = 4096 + 1;

    private readonly NarBlockWriter _writer;
    private readonly string _rootPath;
    private readonly int _maxDepth;
    private readonly CancellationToken _cancellationToken;
    private readonly byte[] _dents = GC.AllocateUninitializedArray<byte>(DentsBufferSize, pinned: true);
    private readonly byte[] _link = GC.AllocateUninitializedArray<byte>(LinkBufferSize, pinned: true);
    private byte[] _names = new byte[64 * 1024];
    private int _namesUsed;
    private Entry[] _entries = new Entry[1024];
    private int _entryCount;
    private int[] _pathStack = new int[64];
    private int _depth;

    public NarFileSystemWalker(NarBlockWriter writer, string rootPath, int maxDepth, CancellationToken cancellationToken)
    {
        _writer = writer;
        _rootPath = rootPath;
        _maxDepth = maxDepth;
        _cancellationToken = cancellationToken;
    }

    public void Run()
    {
        _writer.Write(NarTokens.Magic);
        var root = Encoding.UTF8.GetBytes(_rootPath + "\0");
        fixed (byte* path = root)
        {
            LibC.StatXBuffer stat;
            if (LibC.StatX(LibC.AtFdCwd, path, LibC.AtSymlinkNoFollow, LibC.StatxType, &stat) != 0)
            {
                throw Failure("stat", Marshal.GetLastPInvokeError());
            }

            switch (stat.Mode & LibC.SIfMt)
            {
                case LibC.SIfReg:
                    DumpRegular(LibC.AtFdCwd, path);
                    break;
                case LibC.SIfLnk:
                    DumpSymlink(LibC.AtFdCwd, path);
                    break;
                case LibC.SIfDir:
                    DumpDirectory(OpenDirectory(LibC.AtFdCwd, path));
                    break;
                default:
                    throw Unsupported(stat.Mode);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DumpChild(int directoryFd, int entryIndex)
    {
        var entry = _entries[entryIndex];
        fixed (byte* name = &_names[entry.Offset])
        {
            var type = entry.Type;
            if (type is not (LibC.DtReg or LibC.DtDir or LibC.DtLnk))
            {
                // DT_UNKNOWN on filesystems without d_type, or a special file: ask statx.
                LibC.StatXBuffer stat;
                if (LibC.StatX(directoryFd, name, LibC.AtSymlinkNoFollow, LibC.StatxType, &stat) != 0)
                {
                    throw Failure("stat", Marshal.GetLastPInvokeError());
                }

                type = (stat.Mode & LibC.SIfMt) switch
                {
                    LibC.SIfReg => LibC.DtReg,
                    LibC.SIfDir => LibC.DtDir,
                    LibC.SIfLnk => LibC.DtLnk,
                    _ => throw Unsupported(stat.Mode),
                };
            }

            switch (type)
            {
                case LibC.DtReg:
                    DumpRegular(directoryFd, name);
                    break;
                case LibC.DtLnk:
                    DumpSymlink(directoryFd, name);
                    break;
                default:
                    DumpDirectory(OpenDirectory(directoryFd, name));
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DumpRegular(int directoryFd, byte* name)
    {
        _cancellationToken.ThrowIfCancellationRequested();

        // O_NOFOLLOW and O_NONBLOCK: an entry swapped for a symlink or a FIFO after listing fails instead of being
        // followed or blocking; fstat on the open descriptor then decides.
        var fd = LibC.OpenAt(directoryFd, name, LibC.ORdOnly | LibC.ONoFollow | LibC.ONonBlock | LibC.OCloExec, 0);
        if (fd < 0)
        {
            throw Failure("open", Marshal.GetLastPInvokeError());
        }

        try
        {
            LibC.StatXBuffer stat;
            byte emptyPath = 0;
            if (LibC.StatX(fd, &emptyPath, LibC.AtEmptyPath,
                    LibC.StatxType | LibC.StatxMode | LibC.StatxSize, &stat) != 0)
            {
                throw Failure("stat", Marshal.GetLastPInvokeError());
            }

            if ((stat.Mode & LibC.SIfMt) != LibC.SIfReg)
            {
                throw Unsupported(stat.Mode);
            }

            var size = stat.Size;
            _writer.Write((stat.Mode & LibC.SIxUsr) != 0 ? NarTokens.ExecutablePrefix : NarTokens.RegularPrefix);
            _writer.WriteUInt64(size);
            var remaining = size;
            while (remaining > 0)
            {
                var destination = _writer.GetSpace(out var space);
                var request = (nuint)Math.Min((ulong)space, remaining);
                var read = LibC.Read(fd, destination, request);
                if (read < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EIntr)
                    {
                        continue;
                    }

                    throw Failure("read", errno);
                }

                if (read == 0)
                {
                    throw new NarSerializationException(
                        $"File '{CurrentPath()}' shrank while it was being serialised: {remaining} of {size} bytes missing.",
                        CurrentPath(), 0);
                }

                _writer.Advance((int)read);
                remaining -= (ulong)read;
            }

            _writer.WritePadding((long)(size & 7));
            _writer.Write(NarTokens.Close);
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    private void DumpSymlink(int directoryFd, byte* name)
    {
        fixed (byte* buffer = _link)
        {
            var length = LibC.ReadLinkAt(directoryFd, name, buffer, LinkBufferSize);
            if (length < 0)
            {
                throw Failure("read the symlink", Marshal.GetLastPInvokeError());
            }

            if (length >= LinkBufferSize)
            {
                throw new NarSerializationException(
                    $"Symlink '{CurrentPath()}' has a target longer than {LinkBufferSize - 1} bytes.", CurrentPath(), 0);
            }

            _writer.Write(NarTokens.SymlinkPrefix);
            _writer.WriteString(_link.AsSpan(0, (int)length));
            _writer.Write(NarTokens.Close);
        }
    }

    private int OpenDirectory(int directoryFd, byte* name)
    {
        var fd = LibC.OpenAt(directoryFd, name, LibC.ORdOnly | LibC.ODirectory | LibC.ONoFollow | LibC.OCloExec, 0);
        return fd >= 0 ? fd : throw Failure("open the directory", Marshal.GetLastPInvokeError());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DumpDirectory(int fd)
    {
        try
        {
            if (_depth > _maxDepth)
            {
                throw new NarSerializationException(
                    $"Directory '{CurrentPath()}' is nested deeper than {_maxDepth} levels.", CurrentPath(), 0);
            }

            _writer.Write(NarTokens.DirectoryPrefix);
            var first = _entryCount;
            var namesStart = _namesUsed;
            List(fd);
            var entries = _entries.AsSpan(first, _entryCount - first);
            entries.Sort(new EntryComparer(_names));
            CheckDistinct(first);

            var last = _entryCount;
            for (var i = first; i < last; i++)
            {
                var entry = _entries[i];
                _writer.Write(NarTokens.EntryPrefix);
                _writer.WriteString(_names.AsSpan(entry.Offset, entry.Length));
                _writer.Write(NarTokens.Node);
                Push(i);
                DumpChild(fd, i);
                _depth--;
                _writer.Write(NarTokens.Close);
            }

            _entryCount = first;
            _namesUsed = namesStart;
            _writer.Write(NarTokens.Close);
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void List(int fd)
    {
        fixed (byte* buffer = _dents)
        {
            while (true)
            {
                var count = LibC.GetDents64(fd, buffer, DentsBufferSize);
                if (count < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EIntr)
                    {
                        continue;
                    }

                    throw Failure("list", errno);
                }

                if (count == 0)
                {
                    return;
                }

                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                var offset = 0;
                while (offset < count)
                {
                    var record = buffer + offset;
                    var recordLength = *(ushort*)(record + 16);
                    var type = record[18];
                    var name = new ReadOnlySpan<byte>(record + 19, recordLength - 19);
                    name = name[..name.IndexOf((byte)0)];
                    offset += recordLength;
                    if (name is [(byte)'.'] or [(byte)'.', (byte)'.'])
                    {
                        continue;
                    }

                    Add(name, type);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Add(ReadOnlySpan<byte> name, byte type)
    {
        if (_entryCount == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        var needed = _namesUsed + name.Length + 1;
        if (needed > _names.Length)
        {
            Array.Resize(ref _names, Math.Max(needed, _names.Length * 2));
        }

        name.CopyTo(_names.AsSpan(_namesUsed));
        _names[_namesUsed + name.Length] = 0;
        _entries[_entryCount++] = new Entry(_namesUsed, name.Length, type);
        _namesUsed = needed;
    }

    private void CheckDistinct(int first)
    {
        // A directory cannot list a name twice; a filesystem that did would make the NAR unparseable.
        for (var i = first + 1; i < _entryCount; i++)
        {
            var previous = _entries[i - 1];
            var current = _entries[i];
            if (_names.AsSpan(previous.Offset, previous.Length).SequenceEqual(_names.AsSpan(current.Offset, current.Length)))
            {
                throw new NarSerializationException(
                    $"Directory '{CurrentPath()}' lists the name '{Encoding.UTF8.GetString(_names, current.Offset, current.Length)}' twice.",
                    CurrentPath(), 0);
            }
        }
    }

    private void Push(int entryIndex)
    {
        if (_depth == _pathStack.Length)
        {
            Array.Resize(ref _pathStack, _pathStack.Length * 2);
        }

        _pathStack[_depth++] = entryIndex;
    }

    private string CurrentPath()
    {
        var builder = new StringBuilder(_rootPath);
        for (var i = 0; i < _depth; i++)
        {
            var entry = _entries[_pathStack[i]];
            builder.Append('/').Append(Encoding.UTF8.GetString(_names, entry.Offset, entry.Length));
        }

        return builder.ToString();
    }

    private NarSerializationException Failure(string operation, int errno)
    {
        var path = CurrentPath();
        return new NarSerializationException(
            $"Cannot {operation} '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", path, errno);
    }

    private NarSerializationException Unsupported(int mode)
    {
        var path = CurrentPath();
        var kind = (mode & LibC.SIfMt) switch
        {
            LibC.SIfSock => "a socket",
            LibC.SIfIfo => "a FIFO",
            LibC.SIfChr => "a character device",
            LibC.SIfBlk => "a block device",
            _ => $"of unknown type 0x{mode & LibC.SIfMt:x}",
        };
        return new NarSerializationException(
            $"'{path}' is {kind}; a NAR can only hold regular files, directories and symlinks.", path, 0);
    }

    private readonly record struct Entry(int Offset, int Length, byte Type);

    private readonly struct EntryComparer(byte[] names) : IComparer<Entry>
    {
        public int Compare(Entry x, Entry y) =>
            names.AsSpan(x.Offset, x.Length).SequenceCompareTo(names.AsSpan(y.Offset, y.Length));
    }
}
