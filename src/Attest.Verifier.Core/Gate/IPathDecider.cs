using Attest.Nix;
using Attest.Verifier.Quorum;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Gate;

/// <summary>Decides whether a store path with a given NAR hash may be substituted: the gate's only question.</summary>
public interface IPathDecider
{
    /// <summary>Decides for one path.</summary>
    /// <param name="storePath">The store path the upstream narinfo describes.</param>
    /// <param name="narHash">The NAR hash the upstream narinfo claims.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    /// <returns>The quorum verdict; the path is served only when it is trusted.</returns>
    ValueTask<QuorumVerdict> DecideAsync(StorePath storePath, NixHash narHash, CancellationToken cancellationToken);
}

/// <summary>The production decider: the <see cref="PathVerifier"/> over the policy's logs.</summary>
public sealed class PathVerifierDecider : IPathDecider
{
    private readonly PathVerifier _verifier;

    /// <summary>Creates a decider over <paramref name="verifier"/>.</summary>
    /// <param name="verifier">The path verifier.</param>
    public PathVerifierDecider(PathVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
    }

    /// <inheritdoc/>
    public async ValueTask<QuorumVerdict> DecideAsync(StorePath storePath, NixHash narHash, CancellationToken cancellationToken)
    {
        PathVerification verification = await _verifier.VerifyAsync(new PathQuery(storePath, narHash), cancellationToken).ConfigureAwait(false);
        return verification.Verdict;
    }
}
