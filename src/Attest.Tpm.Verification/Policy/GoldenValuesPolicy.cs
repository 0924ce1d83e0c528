using System.Text.Json;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Internal;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Policy;

/// <summary>An event a configuration requires: its digest must appear in the replayed, quote-covered log.</summary>
/// <param name="PcrIndex">The PCR the event extends.</param>
/// <param name="HashAlg">The bank of <paramref name="Digest"/>.</param>
/// <param name="EventType">The event type, or null for any type.</param>
/// <param name="Digest">The event digest in that bank (e.g. the Authenticode hash of a boot application).</param>
public readonly record struct RequiredEvent(int PcrIndex, TpmAlgorithm HashAlg, uint? EventType, ReadOnlyMemory<byte> Digest);

/// <summary>A published build-machine configuration: the measurements a machine running it must show.</summary>
/// <param name="Name">The configuration's unique name (e.g. "nixos-builder-2026.11-x86_64").</param>
/// <param name="Description">Free text for auditors.</param>
/// <param name="RequiredPcrs">PCR values the quote must carry exactly.</param>
/// <param name="RequiredEvents">Event digests the replayed log must contain.</param>
public sealed record BuildMachineConfiguration(string Name, string? Description, IReadOnlyList<PcrValue> RequiredPcrs, IReadOnlyList<RequiredEvent> RequiredEvents);

/// <summary>Why a machine does not match a configuration.</summary>
public enum GoldenValueFailureCode
{
    /// <summary>A required PCR is not among the quoted PCRs.</summary>
    PcrNotQuoted = 1,

    /// <summary>A quoted PCR differs from the golden value.</summary>
    PcrValueMismatch,

    /// <summary>The configuration requires events but no valid replayed event log was supplied.</summary>
    EventLogUnavailable,

    /// <summary>A required event digest is not among the quote-covered events.</summary>
    EventNotFound,
}

/// <summary>One reason a configuration did not match.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Detail">What exactly differed.</param>
public readonly record struct GoldenValueFailure(GoldenValueFailureCode Code, string Detail)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Detail}";
}

/// <summary>The evaluation of one configuration.</summary>
/// <param name="Configuration">The configuration's name.</param>
/// <param name="Failures">Every reason it did not match (empty when it matched).</param>
public sealed record ConfigurationResult(string Configuration, IReadOnlyList<GoldenValueFailure> Failures)
{
    /// <summary>Whether the machine matches this configuration.</summary>
    public bool Matches => Failures.Count == 0;
}

/// <summary>The result of evaluating a policy: which configurations matched and, for every other, why not.</summary>
public sealed class GoldenValuesVerdict
{
    internal GoldenValuesVerdict(IReadOnlyList<ConfigurationResult> results) => Results = results;

    /// <summary>Whether at least one configuration matched.</summary>
    public bool IsMatch => Results.Any(r => r.Matches);

    /// <summary>The names of the matching configurations, in policy order.</summary>
    public IEnumerable<string> MatchedConfigurations => Results.Where(r => r.Matches).Select(r => r.Configuration);

    /// <summary>One result per configuration, in policy order.</summary>
    public IReadOnlyList<ConfigurationResult> Results { get; }

    /// <inheritdoc/>
    public override string ToString() => IsMatch
        ? $"matches {string.Join(", ", MatchedConfigurations)}"
        : string.Join("; ", Results.Select(r => $"{r.Configuration}: {string.Join(", ", r.Failures)}"));
}

/// <summary>
/// A policy of golden values: the published build-machine configurations a quote may prove (docs/tpm-evidence.md
/// documents the JSON). A machine matches a configuration when every required PCR value is quoted exactly and every
/// required event digest is in the part of the event log a verified quote covers.
/// </summary>
public sealed class GoldenValuesPolicy
{
    /// <summary>The largest policy document accepted.</summary>
    public const int MaxDocumentSize = 4 * 1024 * 1024;

    /// <summary>The most configurations in one policy.</summary>
    public const int MaxConfigurations = 1000;

    /// <summary>The most required events per configuration.</summary>
    public const int MaxEventsPerConfiguration = 1000;

    /// <summary>Creates a policy.</summary>
    /// <exception cref="ArgumentException">Duplicate configuration names.</exception>
    public GoldenValuesPolicy(IEnumerable<BuildMachineConfiguration> configurations)
    {
        ArgumentNullException.ThrowIfNull(configurations);
        Configurations = [.. configurations];
        if (Configurations.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != Configurations.Count)
        {
            throw new ArgumentException("Configuration names must be unique.", nameof(configurations));
        }
    }

    /// <summary>The configurations in document order.</summary>
    public IReadOnlyList<BuildMachineConfiguration> Configurations { get; }

    /// <summary>
    /// Evaluates every configuration against the PCR values of a verified quote and, when given, the replay of the
    /// machine's event log against them.
    /// </summary>
    /// <param name="quotedPcrs">The PCRs a valid quote vouches for (<see cref="QuoteVerdict.QuotedPcrs"/>).</param>
    /// <param name="replay">The event log replay against the same PCRs, or null when the evidence had no log.</param>
    public GoldenValuesVerdict Evaluate(PcrValueSet quotedPcrs, EventLogReplay? replay)
    {
        ArgumentNullException.ThrowIfNull(quotedPcrs);
        var results = new List<ConfigurationResult>(Configurations.Count);
        foreach (BuildMachineConfiguration config in Configurations)
        {
            var failures = new List<GoldenValueFailure>();
            foreach (PcrValue golden in config.RequiredPcrs)
            {
                string bank = QuoteVerifier.BankLabel(golden.Hash);
                if (!quotedPcrs.TryGet(golden.Hash, golden.Index, out ReadOnlyMemory<byte> actual))
                {
                    failures.Add(new(GoldenValueFailureCode.PcrNotQuoted, $"PCR {golden.Index} of bank {bank} is required but not quoted"));
                }
                else if (!actual.Span.SequenceEqual(golden.Digest.Span))
                {
                    failures.Add(new(GoldenValueFailureCode.PcrValueMismatch,
                        $"PCR {golden.Index} of bank {bank} is {Convert.ToHexStringLower(actual.Span)}, expected {Convert.ToHexStringLower(golden.Digest.Span)}"));
                }
            }

            if (config.RequiredEvents.Count > 0)
            {
                if (replay is null || !replay.IsValid)
                {
                    failures.Add(new(GoldenValueFailureCode.EventLogUnavailable,
                        replay is null ? "required events but no event log was supplied" : $"required events but the event log did not replay: {replay}"));
                }
                else
                {
                    foreach (RequiredEvent required in config.RequiredEvents)
                    {
                        if (!replay.CoveredEvents.Any(e => Matches(e.Event, required)))
                        {
                            string type = required.EventType is uint t ? TcgEventType.Name(t) + " " : string.Empty;
                            failures.Add(new(GoldenValueFailureCode.EventNotFound,
                                $"no quote-covered {type}event in PCR {required.PcrIndex} has {QuoteVerifier.BankLabel(required.HashAlg)} digest {Convert.ToHexStringLower(required.Digest.Span)}"));
                        }
                    }
                }
            }

            results.Add(new ConfigurationResult(config.Name, failures));
        }

        return new GoldenValuesVerdict(results);
    }

    private static bool Matches(TcgEvent e, RequiredEvent required) =>
        e.PcrIndex == required.PcrIndex
        && (required.EventType is not uint t || e.EventType == t)
        && e.TryGetDigest(required.HashAlg, out ReadOnlyMemory<byte> d)
        && d.Span.SequenceEqual(required.Digest.Span);

    /// <summary>Parses the JSON policy document (see docs/tpm-evidence.md).</summary>
    /// <exception cref="FormatException">The document is malformed, names an unknown field, or is over a limit.</exception>
    public static GoldenValuesPolicy Parse(ReadOnlySpan<byte> utf8Json)
    {
        using JsonDocument doc = StrictJson.Parse(utf8Json, MaxDocumentSize, "golden values policy");
        JsonElement root = doc.RootElement;
        StrictJson.RequireObject(root, "$", "version", "configurations");
        if (StrictJson.Int(StrictJson.Required(root, "version", "$"), "$.version", 0, int.MaxValue) != 1)
        {
            StrictJson.Fail("$.version", "is not 1");
        }

        var configs = new List<BuildMachineConfiguration>();
        int i = 0;
        foreach (JsonElement c in StrictJson.Items(StrictJson.Required(root, "configurations", "$"), "$.configurations", MaxConfigurations))
        {
            string path = $"$.configurations[{i++}]";
            StrictJson.RequireObject(c, path, "name", "description", "pcrs", "events");
            string name = StrictJson.String(StrictJson.Required(c, "name", path), path + ".name", 200);
            if (name.Length == 0)
            {
                StrictJson.Fail(path + ".name", "is empty");
            }

            string? description = StrictJson.TryOptional(c, "description", out JsonElement d) ? StrictJson.String(d, path + ".description", 4096) : null;
            List<PcrValue> pcrs = StrictJson.TryOptional(c, "pcrs", out JsonElement banks)
                ? StrictJson.PcrValues(banks, path + ".pcrs", PcrValueSet.MaxValues)
                : [];

            var events = new List<RequiredEvent>();
            if (StrictJson.TryOptional(c, "events", out JsonElement evs))
            {
                int j = 0;
                foreach (JsonElement ev in StrictJson.Items(evs, path + ".events", MaxEventsPerConfiguration))
                {
                    string evPath = $"{path}.events[{j++}]";
                    StrictJson.RequireObject(ev, evPath, "pcr", "bank", "type", "digest");
                    int pcr = StrictJson.Int(StrictJson.Required(ev, "pcr", evPath), evPath + ".pcr", 0, 31);
                    string bankName = StrictJson.String(StrictJson.Required(ev, "bank", evPath), evPath + ".bank", 8);
                    if (!TpmHash.TryParseBankName(bankName, out TpmAlgorithm alg))
                    {
                        StrictJson.Fail(evPath + ".bank", $"\"{bankName}\" is not sha1, sha256, sha384 or sha512");
                    }

                    uint? type = null;
                    if (StrictJson.TryOptional(ev, "type", out JsonElement t))
                    {
                        string typeName = StrictJson.String(t, evPath + ".type", 64);
                        type = TcgEventType.TryParse(typeName, out uint parsed) ? parsed : throw new FormatException($"{evPath}.type: \"{typeName}\" is not an event type.");
                    }

                    byte[] digest = StrictJson.Hex(StrictJson.Required(ev, "digest", evPath), evPath + ".digest", TpmHash.MaxDigestSize);
                    if (digest.Length != TpmHash.DigestSize(alg))
                    {
                        StrictJson.Fail(evPath + ".digest", $"is not a {bankName} digest");
                    }

                    events.Add(new RequiredEvent(pcr, alg, type, digest));
                }
            }

            if (pcrs.Count == 0 && events.Count == 0)
            {
                StrictJson.Fail(path, "requires neither PCR values nor events, so any machine would match");
            }

            configs.Add(new BuildMachineConfiguration(name, description, pcrs, events));
        }

        try
        {
            return new GoldenValuesPolicy(configs);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"$.configurations: {e.Message}", e);
        }
    }

    /// <summary>Tries to parse the JSON policy document.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GoldenValuesPolicy? policy, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        try
        {
            policy = Parse(utf8Json);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            policy = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Writes the policy as the JSON document <see cref="Parse"/> reads.</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartArray("configurations");
            foreach (BuildMachineConfiguration c in Configurations)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                if (c.Description is not null)
                {
                    w.WriteString("description", c.Description);
                }

                if (c.RequiredPcrs.Count > 0)
                {
                    StrictJson.WritePcrValues(w, "pcrs", c.RequiredPcrs);
                }

                if (c.RequiredEvents.Count > 0)
                {
                    w.WriteStartArray("events");
                    foreach (RequiredEvent e in c.RequiredEvents)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("pcr", e.PcrIndex);
                        w.WriteString("bank", TpmHash.BankName(e.HashAlg));
                        if (e.EventType is uint t)
                        {
                            w.WriteString("type", TcgEventType.Name(t));
                        }

                        w.WriteString("digest", Convert.ToHexStringLower(e.Digest.Span));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }
}
