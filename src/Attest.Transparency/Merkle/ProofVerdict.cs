namespace Attest.Transparency.Merkle;

/// <summary>Why a Merkle proof was rejected, or <see cref="None"/> when it verified.</summary>
public enum ProofFailure
{
    /// <summary>The proof verified.</summary>
    None = 0,

    /// <summary>A tree size or leaf index is negative.</summary>
    NegativeValue,

    /// <summary>Inclusion: the leaf index is not below the tree size (RFC 9162 §2.1.3.2 step 1).</summary>
    IndexOutOfRange,

    /// <summary>Consistency: the first tree size is larger than the second.</summary>
    SizesOutOfOrder,

    /// <summary>The proof has fewer hashes than the index and size(s) require.</summary>
    ProofTooShort,

    /// <summary>The proof has more hashes than the index and size(s) require.</summary>
    ProofTooLong,

    /// <summary>The root the proof leads to differs from the claimed root (of the second tree for consistency).</summary>
    WrongRoot,

    /// <summary>Consistency: the root the proof leads to for the first tree differs from the claimed first root.</summary>
    WrongFirstRoot,

    /// <summary>Subtree inclusion: the range is empty, reversed, or its start is not a multiple of its size rounded up to a power of two.</summary>
    InvalidSubtree,
}

/// <summary>The outcome of verifying a Merkle inclusion or consistency proof.</summary>
/// <param name="Failure">Why the proof was rejected, or <see cref="ProofFailure.None"/>.</param>
public readonly record struct ProofVerdict(ProofFailure Failure)
{
    /// <summary>The verdict of a proof that verified.</summary>
    public static ProofVerdict Valid => default;

    /// <summary>Whether the proof verified.</summary>
    public bool IsValid => Failure == ProofFailure.None;

    /// <summary>A sentence describing the outcome, for logs and error messages.</summary>
    public string Reason => Failure switch
    {
        ProofFailure.None => "the proof is valid",
        ProofFailure.NegativeValue => "a tree size or leaf index is negative",
        ProofFailure.IndexOutOfRange => "the leaf index is not below the tree size",
        ProofFailure.SizesOutOfOrder => "the first tree size is larger than the second",
        ProofFailure.ProofTooShort => "the proof has too few hashes for this index and tree size",
        ProofFailure.ProofTooLong => "the proof has too many hashes for this index and tree size",
        ProofFailure.WrongRoot => "the proof does not lead to the claimed root",
        ProofFailure.WrongFirstRoot => "the proof does not lead to the claimed root of the first tree",
        ProofFailure.InvalidSubtree => "the subtree range is not a valid subtree",
        _ => "unknown failure",
    };

    /// <summary>Returns <see cref="Reason"/>.</summary>
    public override string ToString() => Reason;
}
