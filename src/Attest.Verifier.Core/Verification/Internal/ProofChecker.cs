using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Verification.Internal;

/// <summary>
/// Checks that a log entry is included under a checkpoint the policy accepts, verifying each distinct checkpoint (its
/// log signature and witness cosignatures) once rather than once per entry: a batch of paths from one log shares one
/// checkpoint, and its Ed25519 verifications were half of the cost of a path. Thread-safe.
/// </summary>
internal sealed class ProofChecker
{
    // Distinct checkpoints per verifier are few (one per log online; a handful in a bundle); the cap only bounds memory.
    private const int MaxCachedCheckpoints = 1024;

    private readonly Dictionary<string, CheckpointPolicy> _policies;
    private readonly ConcurrentDictionary<string, CheckpointVerdict> _verdicts = new(StringComparer.Ordinal);

    // Online every entry of a log shares one checkpoint object: found by reference without formatting the note.
    private readonly ConditionalWeakTable<SignedCheckpoint, CheckpointVerdict> _byInstance = [];

    public ProofChecker(TrustPolicy policy)
    {
        _policies = policy.Logs.ToDictionary(l => l.Origin, LogClient.CreateCheckpointPolicy, StringComparer.Ordinal);
    }

    /// <summary>Returns why <paramref name="evidence"/> is not proved in its log, or <see langword="null"/> when it is.</summary>
    public string? Check(LogEvidence evidence)
    {
        if (evidence.Proof.Index != evidence.Index)
        {
            return $"its inclusion proof is for index {evidence.Proof.Index}, not {evidence.Index}";
        }

        if (!_policies.TryGetValue(evidence.Origin, out CheckpointPolicy? policy))
        {
            return $"log {evidence.Origin} is not named by the policy";
        }

        SignedCheckpoint signed = evidence.Proof.Checkpoint;
        if (!string.Equals(signed.Checkpoint.Origin, evidence.Origin, StringComparison.Ordinal))
        {
            // Also what makes the verdict caches safe: a checkpoint is only ever judged under its own log's policy.
            return $"not proved in log {evidence.Origin}: its proof's checkpoint is of log {signed.Checkpoint.Origin}";
        }

        CheckpointVerdict verdict = VerifyCheckpoint(policy, signed);
        if (!verdict.IsValid)
        {
            return $"not proved in log {evidence.Origin}: {verdict.Message}";
        }

        // RFC 9162 §2.1.3.2: the index must lie inside the tree the proof is for.
        ulong size = signed.Checkpoint.TreeSize;
        if (evidence.Index >= size || size > long.MaxValue)
        {
            return $"not proved in log {evidence.Origin}: index {evidence.Index} is not below the checkpoint's tree size {size}";
        }

        IReadOnlyList<MerkleHash> hashes = evidence.Proof.InclusionProof;
        ReadOnlySpan<MerkleHash> proof = hashes is MerkleHash[] array ? array : [.. hashes];
        ProofVerdict inclusion = MerkleProof.VerifyInclusion(
            (long)evidence.Index, (long)size, TreeHasher.HashLeaf(evidence.Entry.Span), proof, signed.Checkpoint.RootHash);
        return inclusion.IsValid ? null : $"not proved in log {evidence.Origin}: the inclusion proof does not verify: {inclusion.Reason}";
    }

    private CheckpointVerdict VerifyCheckpoint(CheckpointPolicy policy, SignedCheckpoint checkpoint)
    {
        if (_byInstance.TryGetValue(checkpoint, out CheckpointVerdict? known))
        {
            return known;
        }

        // The whole note text is the key: the same tree with other signatures or cosignatures is judged on its own.
        string key = checkpoint.ToString();
        if (!_verdicts.TryGetValue(key, out CheckpointVerdict? verdict))
        {
            verdict = policy.Verify(checkpoint);
            if (_verdicts.Count >= MaxCachedCheckpoints)
            {
                _verdicts.Clear();
            }

            _verdicts.TryAdd(key, verdict);
        }

        _byInstance.AddOrUpdate(checkpoint, verdict);
        return verdict;
    }
}
