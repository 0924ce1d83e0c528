using System.Security.Cryptography;
using Attest.Nix;
using Attest.Nix.Nar;

namespace Attest.Agent.Core.Rebuild;

/// <summary>
/// Hashes the NAR of a path and finds which candidate store paths it references, the way Nix does when it
/// registers a build output: every run of 32 nix32 characters in the NAR stream (file contents, symlink targets,
/// names) that equals a candidate's hash part is a reference (Nix's <c>RefScanSink</c>, src/libstore/references.cc).
/// Used for a <c>--check</c> rebuild's differing result, which Nix keeps unregistered as <c>&lt;out&gt;.check</c>.
/// </summary>
internal sealed class ReferenceScanner : Stream
{
    private const int HashPartLength = StorePath.HashPartLength;
    private const string Nix32Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
    private static readonly bool[] IsNix32 = CreateTable();

    private readonly Dictionary<string, StorePath> _candidates;
    private readonly SortedSet<StorePath> _found = [];
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tail = new byte[2 * HashPartLength];
    private int _tailLength;
    private long _length;

    private ReferenceScanner(IEnumerable<StorePath> candidates)
    {
        _candidates = new Dictionary<string, StorePath>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            _candidates[candidate.HashPart] = candidate;
        }
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <summary>NAR hash, size and references of the file-system path <paramref name="path"/>.</summary>
    /// <param name="path">The path (not necessarily in a store).</param>
    /// <param name="candidates">The store paths it may reference.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The hash and the referenced candidates, sorted.</returns>
    /// <exception cref="NarSerializationException">The path cannot be serialised.</exception>
    public static (NarHashResult Hash, IReadOnlyList<StorePath> References) Scan(
        string path, IEnumerable<StorePath> candidates, CancellationToken cancellationToken)
    {
        using var scanner = new ReferenceScanner(candidates);
        var size = NarSerializer.Dump(path, scanner, cancellationToken);
        Span<byte> digest = stackalloc byte[32];
        scanner._hash.GetHashAndReset(digest);
        return (new NarHashResult(NixHash.FromSha256(digest), size), [.. scanner._found]);
    }

    /// <summary>Scans bytes for references (exposed for tests that feed chunks directly).</summary>
    /// <param name="chunks">The stream, in chunks.</param>
    /// <param name="candidates">The candidates.</param>
    /// <returns>The referenced candidates, sorted.</returns>
    internal static IReadOnlyList<StorePath> ScanChunks(IEnumerable<byte[]> chunks, IEnumerable<StorePath> candidates)
    {
        using var scanner = new ReferenceScanner(candidates);
        foreach (var chunk in chunks)
        {
            scanner.Write(chunk);
        }

        return [.. scanner._found];
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _length += buffer.Length;
        if (_candidates.Count == 0 || buffer.IsEmpty)
        {
            return;
        }

        // A reference may span the previous chunk and this one: search the last 31 bytes seen joined with this
        // chunk's first 31 bytes, then the chunk itself.
        var head = Math.Min(buffer.Length, HashPartLength - 1);
        buffer[..head].CopyTo(_tail.AsSpan(_tailLength));
        Search(_tail.AsSpan(0, _tailLength + head));
        Search(buffer);

        // Keep the last 31 bytes of everything seen so far.
        if (buffer.Length >= HashPartLength - 1)
        {
            buffer[^(HashPartLength - 1)..].CopyTo(_tail);
            _tailLength = HashPartLength - 1;
        }
        else
        {
            var total = _tailLength + buffer.Length;
            var keep = Math.Min(total, HashPartLength - 1);
            _tail.AsSpan(total - keep, keep).CopyTo(_tail);
            _tailLength = keep;
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private static bool[] CreateTable()
    {
        var table = new bool[256];
        foreach (var c in Nix32Alphabet)
        {
            table[c] = true;
        }

        return table;
    }

    private void Search(ReadOnlySpan<byte> data)
    {
        // Nix's search(): test a window right to left and skip past the first non-nix32 byte found.
        var i = 0;
        while (i + HashPartLength <= data.Length)
        {
            var mismatch = -1;
            for (var j = HashPartLength - 1; j >= 0; j--)
            {
                if (!IsNix32[data[i + j]])
                {
                    mismatch = j;
                    break;
                }
            }

            if (mismatch >= 0)
            {
                i += mismatch + 1;
                continue;
            }

            var hashPart = System.Text.Encoding.ASCII.GetString(data.Slice(i, HashPartLength));
            if (_candidates.Remove(hashPart, out var path))
            {
                _found.Add(path);
            }

            i++;
        }
    }
}
