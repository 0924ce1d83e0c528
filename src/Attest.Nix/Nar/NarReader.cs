using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Attest.Nix.Internal;

namespace Attest.Nix.Nar;

/// <summary>
/// A strict, streaming pull parser of NAR archives: <see cref="Read"/> advances to the next node (depth first, in
/// archive order) and <see cref="ReadContents"/> reads the current regular file's contents.
/// </summary>
/// <remarks>
/// Accepts exactly what Nix writes (the grammar in the Nix manual's "Nix Archive (NAR) format"): the
/// <c>nix-archive-1</c> magic, tokens as little-endian u64 length + bytes + zero padding to 8 bytes, the
/// <c>executable</c> marker before <c>contents</c>, directory entries with valid names in strictly increasing
/// bytewise order. Every length is checked against <see cref="NarReaderOptions"/> before anything is read or
/// allocated; errors are <see cref="NixFormatException"/> with the byte offset.
/// </remarks>
public sealed class NarReader : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private const int MaxKeywordLength = 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly NarReaderOptions _options;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly List<Frame> _directories = [];
    private readonly IncrementalHash? _hash;
    private int _bufferStart;
    private int _bufferEnd;
    private long _position;
    private long _entryCount;
    private long _contentsRemaining;
    private long _contentsSize;
    private State _state;

    /// <summary>Creates a reader over <paramref name="stream"/>.</summary>
    /// <param name="stream">The NAR bytes.</param>
    /// <param name="options">Limits; <see cref="NarReaderOptions.Default"/> when null.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    public NarReader(Stream stream, NarReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _options = options ?? NarReaderOptions.Default;
        _hash = _options.ComputeHash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    private enum State
    {
        Start,
        InContents,
        NodeClosed,
        InDirectory,
        Done,
    }

    /// <summary>The node <see cref="Read"/> last returned.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Read"/> has not returned true.</exception>
    public NarEntry Current => CurrentOrNull ?? throw new InvalidOperationException("Call Read() first.");

    /// <summary>Number of NAR bytes consumed so far.</summary>
    public long Position => _position;

    private NarEntry? CurrentOrNull { get; set; }

    /// <summary>Lists every node of a NAR, skipping file contents.</summary>
    /// <param name="nar">The NAR stream.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <returns>The nodes in archive order; the root first.</returns>
    /// <exception cref="NixFormatException">The NAR is malformed or exceeds a limit.</exception>
    public static IReadOnlyList<NarEntry> ReadEntries(Stream nar, NarReaderOptions? options = null)
    {
        using var reader = new NarReader(nar, options, leaveOpen: true);
        var entries = new List<NarEntry>();
        while (reader.Read())
        {
            entries.Add(reader.Current);
        }

        return entries;
    }

    /// <summary>Lists every node of an in-memory NAR; see <see cref="ReadEntries"/>.</summary>
    /// <param name="nar">The NAR bytes.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="entries">The nodes on success; empty on failure.</param>
    /// <param name="error">Why the NAR was rejected, or null.</param>
    /// <returns>Whether the NAR is well formed and within the limits.</returns>
    public static bool TryReadEntries(
        ReadOnlyMemory<byte> nar, NarReaderOptions? options, out IReadOnlyList<NarEntry> entries,
        out NixFormatException? error)
    {
        using var stream = MemoryMarshal.TryGetArray(nar, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(nar.ToArray(), writable: false);
        try
        {
            entries = ReadEntries(stream, options);
            error = null;
            return true;
        }
        catch (NixFormatException e)
        {
            entries = [];
            error = e;
            return false;
        }
    }

    /// <summary>Advances to the next node, skipping any unread contents of the current file.</summary>
    /// <returns>True when <see cref="Current"/> holds the next node; false at the end of the NAR.</returns>
    /// <exception cref="NixFormatException">The NAR is malformed or exceeds a limit.</exception>
    public bool Read()
    {
        Span<byte> keyword = stackalloc byte[MaxKeywordLength];
        while (true)
        {
            switch (_state)
            {
                case State.Start:
                    ExpectKeyword(NarTokens.MagicText);
                    return BeginNode([]);

                case State.InContents:
                    Skip(_contentsRemaining);
                    _contentsRemaining = 0;
                    ReadPadding(_contentsSize);
                    ExpectKeyword(")");
                    _state = State.NodeClosed;
                    break;

                case State.NodeClosed:
                    if (_directories.Count == 0)
                    {
                        CheckEnd();
                        CurrentOrNull = null;
                        _state = State.Done;
                        return false;
                    }

                    ExpectKeyword(")");
                    _state = State.InDirectory;
                    break;

                case State.InDirectory:
                    var start = _position;
                    var token = keyword[..ReadToken(keyword, "'entry' or ')'")];
                    if (token.SequenceEqual(")"u8))
                    {
                        _directories.RemoveAt(_directories.Count - 1);
                        _state = State.NodeClosed;
                        break;
                    }

                    if (!token.SequenceEqual("entry"u8))
                    {
                        throw Error($"Expected 'entry' or ')' in a directory, found {Describe(token)}.", start);
                    }

                    ExpectKeyword("(");
                    ExpectKeyword("name");
                    var nameStart = _position;
                    var name = ReadString(_options.MaxNameLength, "entry name");
                    ValidateName(name, nameStart);
                    var directory = _directories[^1];
                    if (directory.LastName is { } last && name.AsSpan().SequenceCompareTo(last) <= 0)
                    {
                        throw Error(
                            $"Directory entry {Describe(name)} is not after {Describe(last)}: NAR directories are sorted and have no duplicates.",
                            nameStart);
                    }

                    directory.LastName = name;
                    ExpectKeyword("node");
                    return BeginNode(ChildPath(directory.Path, name));

                default:
                    return false;
            }
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes of the current regular file's contents.</summary>
    /// <param name="destination">Receives the bytes.</param>
    /// <returns>The number of bytes read; 0 once the contents are exhausted.</returns>
    /// <exception cref="InvalidOperationException">The current node is not a regular file.</exception>
    /// <exception cref="NixFormatException">The NAR ends inside the contents.</exception>
    public int ReadContents(Span<byte> destination)
    {
        if (_state != State.InContents)
        {
            throw new InvalidOperationException("The current node is not a regular file with unread contents.");
        }

        var count = (int)Math.Min(destination.Length, _contentsRemaining);
        if (count == 0)
        {
            return 0;
        }

        ReadExactly(destination[..count]);
        _contentsRemaining -= count;
        return count;
    }

    /// <summary>Copies the rest of the current regular file's contents to <paramref name="destination"/>.</summary>
    /// <param name="destination">Receives the contents.</param>
    public void CopyContentsTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var chunk = new byte[(int)Math.Min(BufferSize, Math.Max(1, _contentsRemaining))];
        int read;
        while ((read = ReadContents(chunk)) > 0)
        {
            destination.Write(chunk, 0, read);
        }
    }

    /// <summary>
    /// SHA-256 and size of the whole NAR, once <see cref="Read"/> has returned false; requires
    /// <see cref="NarReaderOptions.ComputeHash"/>. Compare with a narinfo's <c>NarHash</c>/<c>NarSize</c>.
    /// </summary>
    /// <returns>The NAR hash and size.</returns>
    /// <exception cref="InvalidOperationException">Hashing is off or the NAR has not been read to its end.</exception>
    public NarHashResult GetNarHash()
    {
        if (_hash is null)
        {
            throw new InvalidOperationException("Create the reader with NarReaderOptions.ComputeHash = true.");
        }

        if (_state != State.Done)
        {
            throw new InvalidOperationException("Read the NAR to its end first.");
        }

        return new NarHashResult(NixHash.FromSha256(_hash.GetCurrentHash()), _position);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _hash?.Dispose();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private bool BeginNode(byte[] path)
    {
        var start = _position;
        if (++_entryCount > _options.MaxEntries)
        {
            throw Error($"The NAR has more than {_options.MaxEntries} nodes.", start);
        }

        ExpectKeyword("(");
        ExpectKeyword("type");
        Span<byte> keyword = stackalloc byte[MaxKeywordLength];
        var typeStart = _position;
        var type = keyword[..ReadToken(keyword, "node type")];
        if (type.SequenceEqual("regular"u8))
        {
            var executable = false;
            var tagStart = _position;
            var tag = keyword[..ReadToken(keyword, "'executable' or 'contents'")];
            if (tag.SequenceEqual("executable"u8))
            {
                ExpectKeyword(string.Empty);
                executable = true;
                tagStart = _position;
                tag = keyword[..ReadToken(keyword, "'contents'")];
            }

            if (!tag.SequenceEqual("contents"u8))
            {
                throw Error($"Expected 'contents' in a regular file node, found {Describe(tag)}.", tagStart);
            }

            var sizeStart = _position;
            var size = ReadUInt64();
            if (size > (ulong)_options.MaxFileSize)
            {
                throw Error($"File size {size} exceeds the limit of {_options.MaxFileSize} bytes.", sizeStart);
            }

            _contentsSize = (long)size;
            _contentsRemaining = _contentsSize;
            CurrentOrNull = new NarEntry(path, NarEntryType.Regular, executable, _contentsSize, ReadOnlyMemory<byte>.Empty, _position);
            _state = State.InContents;
            return true;
        }

        if (type.SequenceEqual("symlink"u8))
        {
            ExpectKeyword("target");
            var targetStart = _position;
            var target = ReadString(_options.MaxSymlinkTargetLength, "symlink target");
            if (target.Length == 0 || target.AsSpan().Contains((byte)0))
            {
                throw Error("A symlink target is empty or contains a NUL byte.", targetStart);
            }

            ExpectKeyword(")");
            CurrentOrNull = new NarEntry(path, NarEntryType.Symlink, false, 0, target, -1);
            _state = State.NodeClosed;
            return true;
        }

        if (type.SequenceEqual("directory"u8))
        {
            if (_directories.Count >= _options.MaxDepth + 1)
            {
                throw Error($"Directories are nested deeper than {_options.MaxDepth} levels.", start);
            }

            _directories.Add(new Frame(path));
            CurrentOrNull = new NarEntry(path, NarEntryType.Directory, false, 0, ReadOnlyMemory<byte>.Empty, -1);
            _state = State.InDirectory;
            return true;
        }

        throw Error($"Unknown node type {Describe(type)}; expected regular, symlink or directory.", typeStart);
    }

    private static byte[] ChildPath(byte[] parent, byte[] name)
    {
        if (parent.Length == 0)
        {
            return name;
        }

        var path = new byte[parent.Length + 1 + name.Length];
        parent.CopyTo(path, 0);
        path[parent.Length] = (byte)'/';
        name.CopyTo(path, parent.Length + 1);
        return path;
    }

    private void ValidateName(byte[] name, long start)
    {
        // Nix's parseDump refuses these names: they would escape or alias the directory on restore.
        if (name.Length == 0 || name is [(byte)'.'] or [(byte)'.', (byte)'.']
            || name.AsSpan().IndexOfAny((byte)'/', (byte)0) >= 0)
        {
            throw Error($"Invalid directory entry name {Describe(name)}.", start);
        }
    }

    private void CheckEnd()
    {
        if (_options.AllowTrailingData)
        {
            return;
        }

        if (_bufferEnd > _bufferStart || Fill() > 0)
        {
            throw Error("Unexpected data after the end of the NAR.", _position);
        }
    }

    private void ExpectKeyword(string expected)
    {
        var start = _position;
        Span<byte> buffer = stackalloc byte[MaxKeywordLength];
        var token = buffer[..ReadToken(buffer, $"'{expected}'")];
        if (token.Length != expected.Length || !Ascii.Equals(token, expected))
        {
            throw Error($"Expected '{expected}', found {Describe(token)}.", start);
        }
    }

    // Reads a short keyword token into destination; rejects anything longer than any NAR keyword.
    private int ReadToken(Span<byte> destination, string what)
    {
        var start = _position;
        var length = ReadUInt64();
        if (length > (ulong)destination.Length)
        {
            throw Error($"Expected {what}, found a string of length {length}.", start);
        }

        ReadExactly(destination[..(int)length]);
        ReadPadding((long)length);
        return (int)length;
    }

    private byte[] ReadString(int maxLength, string what)
    {
        var start = _position;
        var length = ReadUInt64();
        if (length > (ulong)maxLength)
        {
            throw Error($"The {what} is {length} bytes long; the limit is {maxLength}.", start);
        }

        var value = new byte[(int)length];
        ReadExactly(value);
        ReadPadding((long)length);
        return value;
    }

    private void ReadPadding(long contentLength)
    {
        var padding = NarTokens.Padding(contentLength);
        if (padding == 0)
        {
            return;
        }

        var start = _position;
        Span<byte> bytes = stackalloc byte[8];
        ReadExactly(bytes[..padding]);
        if (bytes[..padding].ContainsAnyExcept((byte)0))
        {
            throw Error("Non-zero padding.", start);
        }
    }

    private ulong ReadUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        ReadExactly(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private void ReadExactly(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_bufferStart == _bufferEnd && Fill() == 0)
            {
                throw Error("Unexpected end of the NAR.", _position);
            }

            var count = Math.Min(destination.Length, _bufferEnd - _bufferStart);
            _buffer.AsSpan(_bufferStart, count).CopyTo(destination);
            _hash?.AppendData(_buffer, _bufferStart, count);
            _bufferStart += count;
            _position += count;
            destination = destination[count..];
        }
    }

    private void Skip(long count)
    {
        while (count > 0)
        {
            if (_bufferStart == _bufferEnd && Fill() == 0)
            {
                throw Error("Unexpected end of the NAR inside file contents.", _position);
            }

            var step = (int)Math.Min(count, _bufferEnd - _bufferStart);
            _hash?.AppendData(_buffer, _bufferStart, step);
            _bufferStart += step;
            _position += step;
            count -= step;
        }
    }

    private int Fill()
    {
        _bufferStart = 0;
        _bufferEnd = _stream.Read(_buffer, 0, _buffer.Length);
        return _bufferEnd;
    }

    private static NixFormatException Error(string message, long offset) => new($"Malformed NAR: {message}", offset);

    private static string Describe(ReadOnlySpan<byte> token)
    {
        var shown = token.Length <= 64 ? token : token[..64];
        var builder = new StringBuilder("'");
        foreach (var b in shown)
        {
            builder.Append(b is >= 0x20 and < 0x7f ? (char)b : $"\\x{b:x2}");
        }

        return builder.Append(token.Length > 64 ? "'..." : "'").ToString();
    }

    private sealed class Frame(byte[] path)
    {
        public byte[] Path { get; } = path;

        public byte[]? LastName { get; set; }
    }
}
