using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Bundles;

/// <summary>
/// An offline-verifiable proof that an entry is in a log (c2sp.org/tlog-proof): the line
/// <c>c2sp.org/tlog-proof@v1</c>, an optional <c>extra &lt;base64&gt;</c> line, <c>index &lt;n&gt;</c>, the RFC 9162
/// inclusion proof one base64 hash per line, an empty line, then the (cosigned) checkpoint verbatim.
/// </summary>
public sealed class TlogProof
{
    /// <summary>The first line of every v1 proof.</summary>
    public const string Header = "c2sp.org/tlog-proof@v1";

    /// <summary>Largest proof accepted, in bytes.</summary>
    public const int MaxBytes = NoteLimits.MaxNoteBytes + (64 * 1024);

    /// <summary>Most inclusion proof hashes accepted (one per level of a tree of at most 2^63 leaves).</summary>
    public const int MaxProofHashes = 63;

    private readonly MerkleHash[] _proof;
    private readonly byte[] _extra;

    /// <summary>Creates a proof.</summary>
    /// <param name="index">The entry's zero-based index.</param>
    /// <param name="inclusionProof">The inclusion proof, leaf's sibling first.</param>
    /// <param name="checkpoint">The signed (and possibly cosigned) checkpoint the proof leads to.</param>
    /// <param name="extra">Optional opaque extra data (unauthenticated); empty for none.</param>
    /// <exception cref="ArgumentException">Too many hashes or too much extra data.</exception>
    public TlogProof(ulong index, IEnumerable<MerkleHash> inclusionProof, SignedCheckpoint checkpoint, ReadOnlySpan<byte> extra = default)
    {
        ArgumentNullException.ThrowIfNull(inclusionProof);
        ArgumentNullException.ThrowIfNull(checkpoint);
        _proof = [.. inclusionProof];
        if (_proof.Length > MaxProofHashes)
        {
            throw TlogProofError.Argument(TlogProofError.TooManyHashes, nameof(inclusionProof));
        }

        if (extra.Length > NoteEncoding.MaxDecodedLength(NoteLimits.MaxLineBytes))
        {
            throw TlogProofError.Argument(TlogProofError.ExtraTooLong, nameof(extra));
        }

        Index = index;
        Checkpoint = checkpoint;
        _extra = extra.ToArray();
    }

    /// <summary>The entry's index.</summary>
    public ulong Index { get; }

    /// <summary>The inclusion proof hashes.</summary>
    public IReadOnlyList<MerkleHash> InclusionProof => _proof;

    /// <summary>The signed checkpoint.</summary>
    public SignedCheckpoint Checkpoint { get; }

    /// <summary>The opaque extra data; empty when absent. Not authenticated: never trust it implicitly.</summary>
    public ReadOnlySpan<byte> Extra => _extra;

    /// <summary>Parses a proof.</summary>
    /// <exception cref="FormatException">The proof is malformed; the message says where.</exception>
    public static TlogProof Parse(ReadOnlySpan<byte> proof) =>
        TryParse(proof, out var result, out string? error) ? result : throw TlogProofError.Format(error);

    /// <summary>Parses a proof, reporting what is wrong on failure.</summary>
    public static bool TryParse(ReadOnlySpan<byte> proof, [NotNullWhen(true)] out TlogProof? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (proof.Length > MaxBytes)
        {
            error = TlogProofError.TooLarge(proof.Length);
            return false;
        }

        var rest = proof;
        if (!TakeLine(ref rest, out var line) || !line.SequenceEqual(Encoding.ASCII.GetBytes(Header)))
        {
            error = TlogProofError.BadHeader;
            return false;
        }

        if (!TakeLine(ref rest, out line))
        {
            error = TlogProofError.NoIndex;
            return false;
        }

        byte[] extra = [];
        if (line.StartsWith("extra "u8))
        {
            var encoded = line[6..];
            if (encoded.Length > NoteLimits.MaxLineBytes || NoteEncoding.DecodeBase64OrNull(encoded) is not { Length: > 0 } decoded)
            {
                error = TlogProofError.BadExtra;
                return false;
            }

            extra = decoded;
            if (!TakeLine(ref rest, out line))
            {
                error = TlogProofError.NoIndex;
                return false;
            }
        }

        if (!line.StartsWith("index "u8))
        {
            error = TlogProofError.NoIndex;
            return false;
        }

        if (!NoteEncoding.TryParseDecimal(line[6..], out ulong index))
        {
            error = TlogProofError.BadIndex;
            return false;
        }

        var hashes = new List<MerkleHash>();
        switch (ProofHashLines.TryRead(ref rest, MaxProofHashes, hashes))
        {
            case ProofHashLinesFailure.NoBlankLine:
                error = TlogProofError.NoBlankLine;
                return false;
            case ProofHashLinesFailure.TooMany:
                error = TlogProofError.TooManyHashes;
                return false;
            case ProofHashLinesFailure.BadHash:
                error = TlogProofError.BadHash(hashes.Count + 1);
                return false;
        }

        if (!SignedCheckpoint.TryParse(rest, out var checkpoint, out string? checkpointError))
        {
            error = TlogProofError.Checkpoint(checkpointError);
            return false;
        }

        result = new TlogProof(index, hashes, checkpoint, extra);
        error = null;
        return true;
    }

    /// <summary>Verifies that <paramref name="entry"/> is at <see cref="Index"/> in a checkpoint the policy accepts.</summary>
    /// <param name="entry">The entry bytes; its leaf hash is SHA-256(0x00 || entry).</param>
    /// <param name="policy">The log's origin, its key, the witnesses and the required number of cosignatures.</param>
    public TlogProofVerdict Verify(ReadOnlySpan<byte> entry, CheckpointPolicy policy) => VerifyLeafHash(TreeHasher.HashLeaf(entry), policy);

    /// <summary>Verifies that the leaf with hash <paramref name="leafHash"/> is at <see cref="Index"/> in a checkpoint the policy accepts.</summary>
    public TlogProofVerdict VerifyLeafHash(MerkleHash leafHash, CheckpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var checkpointVerdict = policy.Verify(Checkpoint);
        if (!checkpointVerdict.IsValid)
        {
            return new TlogProofVerdict(TlogProofFailure.Checkpoint, checkpointVerdict.Message, checkpointVerdict, ProofFailure.None);
        }

        ulong size = Checkpoint.Checkpoint.TreeSize;
        if (Index >= size)
        {
            return new TlogProofVerdict(TlogProofFailure.IndexOutOfRange, TlogProofError.IndexOutOfRange(Index, size), checkpointVerdict, ProofFailure.IndexOutOfRange);
        }

        if (size > long.MaxValue)
        {
            return new TlogProofVerdict(TlogProofFailure.InclusionProof, TlogProofError.TooLargeTree(size), checkpointVerdict, ProofFailure.IndexOutOfRange);
        }

        var proofVerdict = MerkleProof.VerifyInclusion((long)Index, (long)size, leafHash, _proof, Checkpoint.Checkpoint.RootHash);
        return proofVerdict.IsValid
            ? new TlogProofVerdict(TlogProofFailure.None, null, checkpointVerdict, ProofFailure.None)
            : new TlogProofVerdict(TlogProofFailure.InclusionProof, TlogProofError.Inclusion(proofVerdict.Reason), checkpointVerdict, proofVerdict.Failure);
    }

    /// <summary>The proof text in UTF-8.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());

    /// <summary>The proof text.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(256 + (_proof.Length * 45));
        builder.Append(Header).Append('\n');
        if (_extra.Length > 0)
        {
            builder.Append("extra ").Append(Convert.ToBase64String(_extra)).Append('\n');
        }

        builder.Append("index ").Append(Index.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in _proof)
        {
            builder.Append(hash.ToBase64()).Append('\n');
        }

        builder.Append('\n').Append(Checkpoint.ToString());
        return builder.ToString();
    }

    private static bool TakeLine(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line)
    {
        int newline = rest.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = default;
            return false;
        }

        line = rest[..newline];
        rest = rest[(newline + 1)..];
        return true;
    }
}
