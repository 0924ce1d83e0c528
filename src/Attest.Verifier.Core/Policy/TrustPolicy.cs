using Attest.Provenance.Signing;
using Attest.Tpm.Verification.Policy;

namespace Attest.Verifier.Policy;

/// <summary>
/// What a user trusts: the logs it reads, the witnesses that must cosign their checkpoints, the builders whose
/// attestations count, and the quorum a store path's NAR hash must reach before it is substituted.
/// </summary>
/// <remarks>The JSON form is documented in docs/verifier-policy.md and read by <see cref="TrustPolicyReader"/>.</remarks>
public sealed class TrustPolicy
{
    private readonly Dictionary<string, GoldenValuesPolicy> _goldenValuesByKeyId;

    /// <summary>Creates a policy from its parts, checking that they are consistent.</summary>
    /// <param name="logs">The logs, one per origin.</param>
    /// <param name="builders">The builders, one per key.</param>
    /// <param name="quorum">The quorum rule.</param>
    /// <exception cref="ArgumentException">Duplicate origins, builder names or keys, or a rule no builder set can meet.</exception>
    public TrustPolicy(IEnumerable<LogPolicy> logs, IEnumerable<BuilderPolicy> builders, QuorumRule quorum)
        : this(logs, builders, quorum, goldenValues: null)
    {
    }

    /// <summary>Creates a policy from its parts, with the golden-value configurations builders may name.</summary>
    /// <param name="logs">The logs, one per origin.</param>
    /// <param name="builders">The builders, one per key.</param>
    /// <param name="quorum">The quorum rule.</param>
    /// <param name="goldenValues">The published build-machine configurations, or <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">Duplicate origins, builder names or keys, a rule no builder set can meet, or a
    /// builder naming a golden-value configuration that <paramref name="goldenValues"/> does not define.</exception>
    public TrustPolicy(IEnumerable<LogPolicy> logs, IEnumerable<BuilderPolicy> builders, QuorumRule quorum, GoldenValuesPolicy? goldenValues)
    {
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(builders);
        ArgumentNullException.ThrowIfNull(quorum);
        Logs = [.. logs];
        Builders = [.. builders];
        Quorum = quorum;

        var origins = new HashSet<string>(StringComparer.Ordinal);
        foreach (LogPolicy log in Logs)
        {
            if (!origins.Add(log.Origin))
            {
                throw new ArgumentException($"The log origin \"{log.Origin}\" appears more than once.", nameof(logs));
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var byKeyId = new Dictionary<string, BuilderPolicy>(StringComparer.Ordinal);
        foreach (BuilderPolicy builder in Builders)
        {
            if (!names.Add(builder.Name))
            {
                throw new ArgumentException($"The builder name \"{builder.Name}\" appears more than once.", nameof(builders));
            }

            if (!byKeyId.TryAdd(builder.Key.KeyId, builder))
            {
                throw new ArgumentException(
                    $"The builders \"{byKeyId[builder.Key.KeyId].Name}\" and \"{builder.Name}\" have the same key.", nameof(builders));
            }
        }

        BuildersByKeyId = byKeyId;
        GoldenValues = goldenValues;
        var perBuilder = new Dictionary<string, GoldenValuesPolicy>(StringComparer.Ordinal);
        foreach (BuilderPolicy builder in Builders)
        {
            if (builder.GoldenValues is not { } name)
            {
                continue;
            }

            BuildMachineConfiguration? configuration = goldenValues?.Configurations.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));
            if (configuration is null)
            {
                throw new ArgumentException(
                    $"The builder \"{builder.Name}\" names the golden-value configuration \"{name}\", which the policy does not define.", nameof(builders));
            }

            perBuilder[builder.Key.KeyId] = new GoldenValuesPolicy([configuration]);
        }

        _goldenValuesByKeyId = perBuilder;
        int operators = Builders.Select(b => b.Operator).Distinct(StringComparer.Ordinal).Count();
        if (quorum.MinAgreeing > Builders.Count)
        {
            throw new ArgumentException(
                $"The quorum needs {quorum.MinAgreeing} agreeing builders but the policy names only {Builders.Count}.", nameof(quorum));
        }

        if (quorum.MinOperators > operators)
        {
            throw new ArgumentException(
                $"The quorum needs {quorum.MinOperators} distinct operators but the policy names only {operators}.", nameof(quorum));
        }
    }

    /// <summary>Gets the logs whose entries count.</summary>
    public IReadOnlyList<LogPolicy> Logs { get; }

    /// <summary>Gets the builders whose attestations count.</summary>
    public IReadOnlyList<BuilderPolicy> Builders { get; }

    /// <summary>Gets the builders by their key id (the DSSE <c>keyid</c>).</summary>
    public IReadOnlyDictionary<string, BuilderPolicy> BuildersByKeyId { get; }

    /// <summary>Gets the quorum rule.</summary>
    public QuorumRule Quorum { get; }

    /// <summary>Gets the published build-machine configurations (docs/tpm-evidence.md, "Golden values policy"), if any.</summary>
    public GoldenValuesPolicy? GoldenValues { get; }

    /// <summary>Gets the golden values a builder's TPM evidence must match: its one named configuration.</summary>
    /// <param name="builder">A builder of this policy.</param>
    /// <returns>A policy of that configuration, or <see langword="null"/> when the builder names none.</returns>
    public GoldenValuesPolicy? GoldenValuesFor(BuilderPolicy builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return _goldenValuesByKeyId.GetValueOrDefault(builder.Key.KeyId);
    }

    /// <summary>Finds the log with <paramref name="origin"/>.</summary>
    /// <param name="origin">The checkpoint origin line.</param>
    /// <returns>The log, or <see langword="null"/> when the policy does not name it.</returns>
    public LogPolicy? FindLog(string origin) => Logs.FirstOrDefault(l => string.Equals(l.Origin, origin, StringComparison.Ordinal));
}

/// <summary>A log whose checkpoints and entries the verifier reads.</summary>
/// <param name="Origin">The checkpoint origin line, e.g. <c>attest.example/log</c>.</param>
/// <param name="VerifierKey">The log's note verifier key, <c>name+hash+base64</c> (c2sp.org/signed-note).</param>
/// <param name="Url">The log's base URL (tiles and the JSON API live under it).</param>
/// <param name="Witnesses">The witnesses whose cosignatures a checkpoint needs.</param>
public sealed record LogPolicy(string Origin, string VerifierKey, Uri Url, WitnessPolicy Witnesses)
{
    /// <summary>
    /// Gets the log's registry admin key (<c>GET /v1/log/admin-key</c>, checked out of band), which signs the
    /// <c>ak-binding</c> entries that say which TPM attestation key belongs to which builder; <see langword="null"/>
    /// when the policy pins none, and then no TPM evidence in this log can be verified.
    /// </summary>
    public IdentityPublicKey? AdminKey { get; init; }
}

/// <summary>A k-of-n witness rule for one log's checkpoints.</summary>
/// <param name="VerifierKeys">The witnesses' cosignature verifier keys (c2sp.org/tlog-cosignature, key type 0x04).</param>
/// <param name="Threshold">How many distinct witnesses must have cosigned; 0 when no witness is required.</param>
public sealed record WitnessPolicy(IReadOnlyList<string> VerifierKeys, int Threshold)
{
    /// <summary>A rule that needs no witness.</summary>
    public static WitnessPolicy None { get; } = new([], 0);
}

/// <summary>A builder whose attestations count toward the quorum.</summary>
/// <param name="Name">A unique, readable name.</param>
/// <param name="Key">The builder's identity key (what <c>attest-agent init</c> printed).</param>
/// <param name="Operator">Who runs it; the quorum counts distinct operators, so two machines of one operator are not
/// two independent witnesses of a build.</param>
/// <param name="RequireTpm">Whether this builder's attestations count only with verified TPM evidence.</param>
/// <param name="GoldenValues">The name of the golden-value configuration (<see cref="TrustPolicy.GoldenValues"/>) its TPM
/// evidence must match, if any.</param>
public sealed record BuilderPolicy(string Name, IdentityPublicKey Key, string Operator, bool RequireTpm, string? GoldenValues);

/// <summary>When a store path's NAR hash is trusted.</summary>
/// <param name="MinAgreeing">At least this many distinct builders attested the expected NAR hash.</param>
/// <param name="MinOperators">Those agreeing builders belong to at least this many distinct operators.</param>
/// <param name="MaxDissenting">At most this many distinct builders attested a different NAR hash for the path.</param>
/// <param name="MinTpmAttested">At least this many of the agreeing builders carried verified TPM evidence.</param>
public sealed record QuorumRule(int MinAgreeing, int MinOperators, int MaxDissenting, int MinTpmAttested)
{
    /// <summary>Checks the rule's numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or no builder is required.</exception>
    public void Validate()
    {
        if (MinAgreeing < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinAgreeing), MinAgreeing, "A quorum needs at least one agreeing builder.");
        }

        if (MinOperators < 1 || MinOperators > MinAgreeing)
        {
            throw new ArgumentOutOfRangeException(nameof(MinOperators), MinOperators, "minOperators must be between 1 and minAgreeing.");
        }

        if (MaxDissenting < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDissenting), MaxDissenting, "maxDissenting cannot be negative.");
        }

        if (MinTpmAttested < 0 || MinTpmAttested > MinAgreeing)
        {
            throw new ArgumentOutOfRangeException(nameof(MinTpmAttested), MinTpmAttested, "minTpmAttested must be between 0 and minAgreeing.");
        }
    }
}
