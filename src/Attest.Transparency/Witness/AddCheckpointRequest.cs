using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Witness;

/// <summary>
/// The body of a c2sp.org/tlog-witness <c>add-checkpoint</c> request: <c>old &lt;size&gt;</c>, zero or more base64
/// consistency proof lines, an empty line, then the signed checkpoint.
/// </summary>
public sealed class AddCheckpointRequest
{
    /// <summary>The client MUST NOT send more than 63 consistency proof lines (c2sp.org/tlog-witness).</summary>
    public const int MaxProofLines = 63;

    /// <summary>Largest body accepted.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private readonly MerkleHash[] _proof;

    /// <summary>Creates a request.</summary>
    /// <param name="oldSize">The size of the latest checkpoint the witness is believed to have cosigned (0 if none).</param>
    /// <param name="consistencyProof">The consistency proof from the old size to the checkpoint's size (empty from 0).</param>
    /// <param name="checkpoint">The signed checkpoint.</param>
    /// <exception cref="ArgumentException">More than 63 proof hashes, or old size above the checkpoint size.</exception>
    public AddCheckpointRequest(ulong oldSize, IEnumerable<MerkleHash> consistencyProof, SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(consistencyProof);
        ArgumentNullException.ThrowIfNull(checkpoint);
        _proof = [.. consistencyProof];
        if (_proof.Length > MaxProofLines)
        {
            throw WitnessError.Argument(WitnessError.TooManyProofLines, nameof(consistencyProof));
        }

        if (oldSize > checkpoint.Checkpoint.TreeSize)
        {
            throw WitnessError.Argument(WitnessError.OldSizeTooLarge(oldSize, checkpoint.Checkpoint.TreeSize), nameof(oldSize));
        }

        OldSize = oldSize;
        Checkpoint = checkpoint;
    }

    private AddCheckpointRequest(ulong oldSize, MerkleHash[] proof, SignedCheckpoint checkpoint)
    {
        OldSize = oldSize;
        _proof = proof;
        Checkpoint = checkpoint;
    }

    /// <summary>The old size line's value.</summary>
    public ulong OldSize { get; }

    /// <summary>The consistency proof hashes.</summary>
    public IReadOnlyList<MerkleHash> ConsistencyProof => _proof;

    /// <summary>The signed checkpoint (parsed, not verified).</summary>
    public SignedCheckpoint Checkpoint { get; }

    /// <summary>Parses a request body. The old size may exceed the checkpoint size here; the witness answers 400 for it.</summary>
    /// <exception cref="FormatException">The body is malformed; the message says where.</exception>
    public static AddCheckpointRequest Parse(ReadOnlySpan<byte> body) =>
        TryParse(body, out var request, out string? error) ? request : throw WitnessError.Format(error);

    /// <summary>Parses a request body, reporting what is wrong on failure.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out AddCheckpointRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (body.Length > MaxBodyBytes)
        {
            error = WitnessError.TooLarge(body.Length);
            return false;
        }

        int newline = body.IndexOf((byte)'\n');
        if (newline < 0 || !body[..newline].StartsWith("old "u8))
        {
            error = WitnessError.NoOldLine;
            return false;
        }

        if (!NoteEncoding.TryParseDecimal(body[4..newline], out ulong oldSize))
        {
            error = WitnessError.BadOldSize;
            return false;
        }

        var rest = body[(newline + 1)..];
        var proof = new List<MerkleHash>();
        switch (ProofHashLines.TryRead(ref rest, MaxProofLines, proof))
        {
            case ProofHashLinesFailure.NoBlankLine:
                error = WitnessError.NoBlankLine;
                return false;
            case ProofHashLinesFailure.TooMany:
                error = WitnessError.TooManyProofLines;
                return false;
            case ProofHashLinesFailure.BadHash:
                error = WitnessError.BadProofLine(proof.Count + 1);
                return false;
        }

        if (!SignedCheckpoint.TryParse(rest, out var checkpoint, out string? checkpointError))
        {
            error = WitnessError.Checkpoint(checkpointError);
            return false;
        }

        request = new AddCheckpointRequest(oldSize, [.. proof], checkpoint);
        error = null;
        return true;
    }

    /// <summary>The request body in UTF-8.</summary>
    public byte[] ToBytes()
    {
        var builder = new StringBuilder(64 + (_proof.Length * 45));
        builder.Append("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in _proof)
        {
            builder.Append(hash.ToBase64()).Append('\n');
        }

        builder.Append('\n');
        byte[] head = Encoding.UTF8.GetBytes(builder.ToString());
        byte[] note = Checkpoint.ToBytes();
        var body = new byte[head.Length + note.Length];
        head.CopyTo(body, 0);
        note.CopyTo(body, head.Length);
        return body;
    }
}
