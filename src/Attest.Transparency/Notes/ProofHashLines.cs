using Attest.Transparency.Merkle;

namespace Attest.Transparency.Notes;

/// <summary>Why a block of proof-hash lines could not be read.</summary>
internal enum ProofHashLinesFailure
{
    /// <summary>The block was read up to and including its blank line.</summary>
    None,

    /// <summary>The text ended before the blank line that closes the block.</summary>
    NoBlankLine,

    /// <summary>More lines than the caller's cap.</summary>
    TooMany,

    /// <summary>A line is not the canonical base64 of a 32-byte hash.</summary>
    BadHash,
}

/// <summary>
/// The block of Merkle proof hashes that c2sp.org/tlog-proof and c2sp.org/tlog-witness (add-checkpoint) share: one
/// canonical base64 hash per line, closed by a blank line.
/// </summary>
internal static class ProofHashLines
{
    /// <summary>Reads hash lines from <paramref name="rest"/> through the closing blank line.</summary>
    /// <param name="rest">The text; on success, what follows the blank line.</param>
    /// <param name="maxLines">The most hashes accepted.</param>
    /// <param name="hashes">Receives the hashes; on <see cref="ProofHashLinesFailure.BadHash"/> its count + 1 is the bad line.</param>
    /// <returns>What stopped the read.</returns>
    public static ProofHashLinesFailure TryRead(ref ReadOnlySpan<byte> rest, int maxLines, List<MerkleHash> hashes)
    {
        Span<byte> hash = stackalloc byte[MerkleHash.Size];
        while (true)
        {
            int newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                return ProofHashLinesFailure.NoBlankLine;
            }

            var line = rest[..newline];
            rest = rest[(newline + 1)..];
            if (line.IsEmpty)
            {
                return ProofHashLinesFailure.None;
            }

            if (hashes.Count == maxLines)
            {
                return ProofHashLinesFailure.TooMany;
            }

            // A hash has exactly one text form, so two texts cannot claim the same proof.
            if (line.Length != 44 || !NoteEncoding.TryDecodeBase64(line, hash, out int written) || written != MerkleHash.Size
                || !NoteEncoding.IsCanonicalBase64(line, hash))
            {
                return ProofHashLinesFailure.BadHash;
            }

            hashes.Add(new MerkleHash(hash));
        }
    }
}
