using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;

namespace Attest.Transparency.Bundles;

/// <summary>Why a proof bundle was rejected.</summary>
public enum TlogProofFailure
{
    /// <summary>The proof verified.</summary>
    None = 0,

    /// <summary>The checkpoint fails the policy (origin, log signature or cosignature quorum); see <see cref="TlogProofVerdict.CheckpointVerdict"/>.</summary>
    Checkpoint,

    /// <summary>The index is not below the checkpoint's tree size.</summary>
    IndexOutOfRange,

    /// <summary>The inclusion proof does not lead from the entry to the checkpoint's root; see <see cref="TlogProofVerdict.ProofFailure"/>.</summary>
    InclusionProof,
}

/// <summary>The verdict of verifying a c2sp.org/tlog-proof bundle.</summary>
/// <param name="Failure">What failed, or <see cref="TlogProofFailure.None"/>.</param>
/// <param name="Message">A sentence naming the failure; null when valid.</param>
/// <param name="CheckpointVerdict">The checkpoint's verdict under the policy.</param>
/// <param name="ProofFailure">The Merkle proof failure, when the inclusion proof failed.</param>
public sealed record TlogProofVerdict(TlogProofFailure Failure, string? Message, CheckpointVerdict CheckpointVerdict, ProofFailure ProofFailure)
{
    /// <summary>True when the checkpoint satisfies the policy and the entry is included at the index.</summary>
    public bool IsValid => Failure == TlogProofFailure.None;

    /// <summary>The failure message, or "valid".</summary>
    public override string ToString() => Message ?? "valid";
}
