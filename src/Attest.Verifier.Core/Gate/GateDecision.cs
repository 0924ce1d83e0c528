using Attest.Nix;
using Attest.Verifier.Quorum;

namespace Attest.Verifier.Gate;

/// <summary>The key decisions are cached under: a store path and the NAR hash an upstream claimed for it.</summary>
/// <param name="StorePath">The store path.</param>
/// <param name="NarHash">The NAR hash.</param>
public readonly record struct DecisionKey(StorePath StorePath, NixHash NarHash);

/// <summary>What the gate decided for one <see cref="DecisionKey"/>.</summary>
/// <param name="Trusted">Whether the path may be substituted.</param>
/// <param name="Reasons">Why not (empty when trusted).</param>
/// <param name="Verdict">The quorum verdict, or <see langword="null"/> when the logs could not be checked.</param>
public sealed record GateDecision(bool Trusted, IReadOnlyList<string> Reasons, QuorumVerdict? Verdict)
{
    /// <summary>Makes a decision from a verdict.</summary>
    /// <param name="verdict">The quorum verdict.</param>
    /// <returns>The decision.</returns>
    public static GateDecision FromVerdict(QuorumVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return new GateDecision(verdict.Trusted, verdict.Reasons, verdict);
    }

    /// <summary>Makes a refusal for a path whose evidence could not be obtained or checked.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The decision.</returns>
    public static GateDecision Unverifiable(string reason) => new(false, [reason], null);

    /// <summary>Gets the reasons joined into one line, for logs and the <c>X-Attest-Reason</c> header.</summary>
    public string ReasonText => Trusted ? "trusted" : string.Join("; ", Reasons);
}
