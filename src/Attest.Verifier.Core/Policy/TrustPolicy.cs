using Attest.Provenance.Signing;
using Attest.Tpm;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Policy;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Verifier.Policy;

/// <summary>
/// What a user trusts: the logs it reads, the witnesses that must cosign their checkpoints, the builders whose
/// attestations count, and the quorum a store path's NAR hash must reach before it is substituted.
/// </summary>
/// <remarks>The JSON form is documented in docs/verifier-policy.md and read by <see cref="TrustPolicyReader"/>.</remarks>
public sealed class TrustPolicy
{
    /// <summary>The highest PCR index a required selection may name: PC Client TPMs have 24 PCRs (TCG PC Client Platform TPM Profile).</summary>
    public const int MaxRequiredPcrIndex = 23;

    private readonly Dictionary<string, GoldenValuesPolicy> _goldenValuesByKeyId;
    private readonly Dictionary<string, QuotePolicy> _quotePoliciesByKeyId;

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
        : this(logs, builders, quorum, goldenValues, tpmRequiredPcrs: null)
    {
    }

    /// <summary>
    /// Creates a policy from its parts, with the golden-value configurations builders may name and the PCRs every
    /// builder's TPM quotes must cover unless the builder says otherwise (<see cref="BuilderPolicy.TpmRequiredPcrs"/>).
    /// </summary>
    /// <param name="logs">The logs, one per origin.</param>
    /// <param name="builders">The builders, one per key.</param>
    /// <param name="quorum">The quorum rule.</param>
    /// <param name="goldenValues">The published build-machine configurations, or <see langword="null"/> for none.</param>
    /// <param name="tpmRequiredPcrs">The PCRs a quote must cover by default, or <see langword="null"/> for
    /// <see cref="DefaultTpmRequiredPcrs"/>.</param>
    /// <exception cref="ArgumentException">Duplicate origins, builder names or keys, a rule no builder set can meet, a
    /// builder naming a golden-value configuration that <paramref name="goldenValues"/> does not define, a required PCR
    /// selection that is empty, has an empty bank or a PCR above <see cref="MaxRequiredPcrIndex"/>, or a builder whose
    /// golden-value configuration pins a PCR its required selection does not include.</exception>
    public TrustPolicy(
        IEnumerable<LogPolicy> logs, IEnumerable<BuilderPolicy> builders, QuorumRule quorum, GoldenValuesPolicy? goldenValues, PcrSelection? tpmRequiredPcrs)
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
        if (tpmRequiredPcrs is not null && CheckRequiredPcrs(tpmRequiredPcrs) is { } defaultProblem)
        {
            throw new ArgumentException($"The default TPM required PCRs {defaultProblem}.", nameof(tpmRequiredPcrs));
        }

        TpmRequiredPcrs = tpmRequiredPcrs ?? DefaultTpmRequiredPcrs;
        var quotePolicies = new Dictionary<string, QuotePolicy>(StringComparer.Ordinal);
        var defaultQuotePolicy = QuotePolicy.Default with { RequiredPcrs = TpmRequiredPcrs };
        foreach (BuilderPolicy builder in Builders)
        {
            if (builder.TpmRequiredPcrs is { } own)
            {
                if (CheckRequiredPcrs(own) is { } problem)
                {
                    throw new ArgumentException($"The TPM required PCRs of builder \"{builder.Name}\" {problem}.", nameof(builders));
                }

                quotePolicies[builder.Key.KeyId] = QuotePolicy.Default with { RequiredPcrs = own };
            }
            else
            {
                quotePolicies[builder.Key.KeyId] = defaultQuotePolicy;
            }
        }

        _quotePoliciesByKeyId = quotePolicies;
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

            PcrSelection required = _quotePoliciesByKeyId[builder.Key.KeyId].RequiredPcrs;
            if (FindPcrOutside(configuration, required) is { } outside)
            {
                throw new ArgumentException(
                    $"The builder \"{builder.Name}\" names the golden-value configuration \"{name}\", which {outside}, but the builder's "
                    + $"TPM required PCRs ({required}) do not include it, so its quotes need not cover it; add it to tpmRequiredPcrs.", nameof(builders));
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

    /// <summary>
    /// Gets the PCRs a builder's TPM quotes must cover when the builder names none of its own
    /// (<see cref="BuilderPolicy.TpmRequiredPcrs"/>).
    /// </summary>
    public PcrSelection TpmRequiredPcrs { get; }

    /// <summary>Gets the PCRs a quote must cover when the policy names none: sha256 PCRs 0-7 (<see cref="QuotePolicy.Default"/>).</summary>
    public static PcrSelection DefaultTpmRequiredPcrs => QuotePolicy.Default.RequiredPcrs;

    /// <summary>
    /// Gets what a builder's TPM quotes must satisfy beyond their signature: its own required PCRs, else the policy's,
    /// and a safe clock (<see cref="QuotePolicy.RequireSafeClock"/>, always required).
    /// </summary>
    /// <param name="builder">A builder of this policy.</param>
    /// <returns>The builder's quote policy.</returns>
    /// <exception cref="ArgumentException"><paramref name="builder"/> is not a builder of this policy.</exception>
    public QuotePolicy QuotePolicyFor(BuilderPolicy builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return _quotePoliciesByKeyId.TryGetValue(builder.Key.KeyId, out QuotePolicy? policy)
            ? policy
            : throw new ArgumentException($"The builder \"{builder.Name}\" is not in this policy.", nameof(builder));
    }

    /// <summary>Gets the golden values a builder's TPM evidence must match: its one named configuration.</summary>
    /// <param name="builder">A builder of this policy.</param>
    /// <returns>A policy of that configuration, or <see langword="null"/> when the builder names none.</returns>
    public GoldenValuesPolicy? GoldenValuesFor(BuilderPolicy builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return _goldenValuesByKeyId.GetValueOrDefault(builder.Key.KeyId);
    }

    /// <summary>Says what is wrong with a required PCR selection, or returns <see langword="null"/> when it is usable.</summary>
    /// <param name="selection">The selection.</param>
    /// <returns>The problem, phrased to follow "The required PCRs ", or <see langword="null"/>.</returns>
    internal static string? CheckRequiredPcrs(PcrSelection selection)
    {
        if (selection.Banks.Count == 0)
        {
            return "name no bank, so any quote would do";
        }

        foreach (PcrBankSelection bank in selection.Banks)
        {
            if (TpmHash.BankName(bank.Hash) is not { } name)
            {
                return $"name bank 0x{(ushort)bank.Hash:X4}, which is not sha1, sha256, sha384 or sha512";
            }

            if (bank.Count == 0)
            {
                return $"name bank {name} with no PCR";
            }

            if (bank.Mask >> (MaxRequiredPcrIndex + 1) != 0)
            {
                return $"name a {name} PCR above {MaxRequiredPcrIndex}";
            }
        }

        return null;
    }

    /// <summary>
    /// Finds a PCR a golden-value configuration depends on that <paramref name="required"/> does not include: a pinned
    /// PCR value (bank and index), or the PCR of a required event (any bank: an event is quote-covered through any
    /// quoted bank it has a digest for, docs/tpm-evidence.md).
    /// </summary>
    /// <returns>What the configuration names outside the selection, phrased to follow "which ", or <see langword="null"/>.</returns>
    internal static string? FindPcrOutside(BuildMachineConfiguration configuration, PcrSelection required)
    {
        foreach (PcrValue value in configuration.RequiredPcrs)
        {
            if (!required.Contains(value.Hash, value.Index))
            {
                return $"pins {TpmHash.BankName(value.Hash) ?? $"0x{(ushort)value.Hash:X4}"} PCR {value.Index}";
            }
        }

        foreach (RequiredEvent e in configuration.RequiredEvents)
        {
            if (!required.Banks.Any(b => b.Contains(e.PcrIndex)))
            {
                return $"requires an event in PCR {e.PcrIndex}";
            }
        }

        return null;
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
public sealed record BuilderPolicy(string Name, IdentityPublicKey Key, string Operator, bool RequireTpm, string? GoldenValues)
{
    /// <summary>
    /// Gets the PCRs this builder's TPM quotes must cover, overriding <see cref="TrustPolicy.TpmRequiredPcrs"/>;
    /// <see langword="null"/> to use the policy's.
    /// </summary>
    public PcrSelection? TpmRequiredPcrs { get; init; }
}

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
