using System.Buffers.Binary;
using System.Text;
using Attest.Nix.Internal;

namespace Attest.Nix.Nar;

/// <summary>
/// Writes a NAR node by node (for NARs built from something other than a filesystem path, such as a rebuilt or
/// filtered listing); the byte layout is the one <see cref="NarSerializer"/> and Nix produce.
/// </summary>
/// <remarks>
/// Call order mirrors the grammar: a root node, where a node is <see cref="WriteRegularFile"/>,
/// <see cref="BeginRegularFile"/>/<see cref="WriteContents"/>/<see cref="EndRegularFile"/>,
/// <see cref="WriteSymlink(ReadOnlySpan{byte})"/>, or <see cref="BeginDirectory"/> followed by entries
/// (<see cref="BeginEntry(ReadOnlySpan{byte})"/>, one node, <see cref="EndEntry"/>) in strictly increasing bytewise
/// name order and <see cref="EndDirectory"/>. Misuse throws <see cref="InvalidOperationException"/>, so a writer
/// cannot produce a NAR that <see cref="NarReader"/> would reject.
/// </remarks>
public sealed class NarWriter : IDisposable
{
    private static readonly byte[] Zeros = new byte[8];

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly List<DirectoryFrame> _directories = [];
    private bool _rootStarted;
    private bool _rootDone;
    private long _contentsRemaining = -1;
    private long _contentsSize;

    /// <summary>Creates a writer appending to <paramref name="destination"/>.</summary>
    /// <param name="destination">Receives the NAR.</param>
    /// <param name="leaveOpen">Whether disposing the writer leaves <paramref name="destination"/> open.</param>
    public NarWriter(Stream destination, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _stream = destination;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Number of bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Whether the root node has been completely written.</summary>
    public bool IsComplete => _rootDone;

    /// <summary>Writes a regular file node with <paramref name="contents"/>.</summary>
    /// <param name="contents">The file contents.</param>
    /// <param name="executable">Whether to set the executable flag.</param>
    public void WriteRegularFile(ReadOnlySpan<byte> contents, bool executable = false)
    {
        BeginRegularFile(contents.Length, executable);
        WriteContents(contents);
        EndRegularFile();
    }

    /// <summary>Starts a regular file node of <paramref name="size"/> bytes; follow with <see cref="WriteContents"/>.</summary>
    /// <param name="size">The exact number of content bytes that will follow.</param>
    /// <param name="executable">Whether to set the executable flag.</param>
    public void BeginRegularFile(long size, bool executable = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        StartNode();
        Write(executable ? NarTokens.ExecutablePrefix : NarTokens.RegularPrefix);
        WriteUInt64((ulong)size);
        _contentsSize = size;
        _contentsRemaining = size;
    }

    /// <summary>Writes part of the current regular file's contents.</summary>
    /// <param name="data">The next bytes; at most the number still announced.</param>
    public void WriteContents(ReadOnlySpan<byte> data)
    {
        if (_contentsRemaining < 0)
        {
            throw new InvalidOperationException("No regular file is open.");
        }

        if (data.Length > _contentsRemaining)
        {
            throw new InvalidOperationException(
                $"{data.Length} bytes exceed the {_contentsRemaining} bytes left of the announced file size.");
        }

        Write(data);
        _contentsRemaining -= data.Length;
    }

    /// <summary>Ends the current regular file node; all announced bytes must have been written.</summary>
    public void EndRegularFile()
    {
        if (_contentsRemaining != 0)
        {
            throw new InvalidOperationException(_contentsRemaining < 0
                ? "No regular file is open."
                : $"{_contentsRemaining} bytes of the announced file size are missing.");
        }

        _contentsRemaining = -1;
        Write(Zeros.AsSpan(0, NarTokens.Padding(_contentsSize)));
        Write(NarTokens.Close);
        EndNode();
    }

    /// <summary>Writes a symlink node.</summary>
    /// <param name="target">The target bytes: non-empty, no NUL.</param>
    public void WriteSymlink(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target.Contains((byte)0))
        {
            throw new ArgumentException("A symlink target must be non-empty and free of NUL bytes.", nameof(target));
        }

        StartNode();
        Write(NarTokens.SymlinkPrefix);
        WriteString(target);
        Write(NarTokens.Close);
        EndNode();
    }

    /// <summary>Writes a symlink node whose target is <paramref name="target"/> in UTF-8.</summary>
    /// <param name="target">The target.</param>
    public void WriteSymlink(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        WriteSymlink(Encoding.UTF8.GetBytes(target));
    }

    /// <summary>Starts a directory node; add entries, then call <see cref="EndDirectory"/>.</summary>
    public void BeginDirectory()
    {
        StartNode();
        Write(NarTokens.DirectoryPrefix);
        _directories.Add(new DirectoryFrame());
    }

    /// <summary>Starts a directory entry; write exactly one node, then call <see cref="EndEntry"/>.</summary>
    /// <param name="name">The name: not empty, <c>.</c> or <c>..</c>, no '/' or NUL, after the previous name.</param>
    public void BeginEntry(ReadOnlySpan<byte> name)
    {
        var directory = CurrentDirectory();
        if (directory.InEntry)
        {
            throw new InvalidOperationException("The previous entry has not been ended.");
        }

        if (name.IsEmpty || name is [(byte)'.'] or [(byte)'.', (byte)'.'] || name.IndexOfAny((byte)'/', (byte)0) >= 0)
        {
            throw new ArgumentException("Invalid NAR entry name.", nameof(name));
        }

        if (directory.LastName is { } last && name.SequenceCompareTo(last) <= 0)
        {
            throw new ArgumentException("NAR entries must be written in strictly increasing bytewise order.", nameof(name));
        }

        directory.LastName = name.ToArray();
        directory.InEntry = true;
        directory.EntryHasNode = false;
        Write(NarTokens.EntryPrefix);
        WriteString(name);
        Write(NarTokens.Node);
    }

    /// <summary>Starts a directory entry named <paramref name="name"/> in UTF-8.</summary>
    /// <param name="name">The name.</param>
    public void BeginEntry(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        BeginEntry(Encoding.UTF8.GetBytes(name));
    }

    /// <summary>Ends the current directory entry.</summary>
    public void EndEntry()
    {
        var directory = CurrentDirectory();
        if (!directory.InEntry || !directory.EntryHasNode)
        {
            throw new InvalidOperationException("No entry with a complete node is open.");
        }

        directory.InEntry = false;
        Write(NarTokens.Close);
    }

    /// <summary>Ends the current directory node.</summary>
    public void EndDirectory()
    {
        var directory = CurrentDirectory();
        if (directory.InEntry)
        {
            throw new InvalidOperationException("An entry is still open.");
        }

        _directories.RemoveAt(_directories.Count - 1);
        Write(NarTokens.Close);
        EndNode();
    }

    /// <summary>Flushes the underlying stream.</summary>
    public void Flush() => _stream.Flush();

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private DirectoryFrame CurrentDirectory() =>
        _directories.Count > 0 && _contentsRemaining < 0
            ? _directories[^1]
            : throw new InvalidOperationException("No directory is open.");

    private void StartNode()
    {
        if (_contentsRemaining >= 0)
        {
            throw new InvalidOperationException("A regular file is still open.");
        }

        if (_directories.Count == 0)
        {
            if (_rootStarted)
            {
                throw new InvalidOperationException("The NAR already has its root node.");
            }

            _rootStarted = true;
            Write(NarTokens.Magic);
            return;
        }

        var directory = _directories[^1];
        if (!directory.InEntry || directory.EntryHasNode)
        {
            throw new InvalidOperationException("A node inside a directory must follow BeginEntry.");
        }
    }

    private void EndNode()
    {
        if (_directories.Count == 0)
        {
            _rootDone = true;
        }
        else
        {
            _directories[^1].EntryHasNode = true;
        }
    }

    private void WriteString(ReadOnlySpan<byte> value)
    {
        WriteUInt64((ulong)value.Length);
        Write(value);
        Write(Zeros.AsSpan(0, NarTokens.Padding(value.Length)));
    }

    private void WriteUInt64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Write(bytes);
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        _stream.Write(data);
        BytesWritten += data.Length;
    }

    private sealed class DirectoryFrame
    {
        public byte[]? LastName { get; set; }

        public bool InEntry { get; set; }

        public bool EntryHasNode { get; set; }
    }
}
