using System.Runtime.InteropServices;
using Attest.Provenance.Attestations;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Verifier.Reports;

/// <summary>How a derivation output stands across the builders that attested it.</summary>
public enum OutputStatus
{
    /// <summary>One builder attested it.</summary>
    BuiltOnce = 0,

    /// <summary>At least two builders attested it and every attestation names the same NAR hash.</summary>
    Reproduced,

    /// <summary>The attestations name more than one NAR hash.</summary>
    Disputed,
}

/// <summary>What <see cref="ReportBuilder.Add"/> made of one log entry.</summary>
public enum ReportEntryResult
{
    /// <summary>An attestation, counted.</summary>
    Attestation = 0,

    /// <summary>A builder-registry change: it names a builder.</summary>
    RegistryChange,

    /// <summary>Neither (or malformed); counted as unreadable.</summary>
    Unreadable,
}

/// <summary>
/// Streams log entries into compact per-output state for the reproducibility report: one record per derivation output
/// (drv path and output name) holding each builder's NAR hash, plus per-builder and per-day counters. Entries are not
/// kept; memory grows with the number of distinct outputs, not attestations.
/// </summary>
/// <remarks>
/// The report counts what the logs admitted: the log checked every attestation's signature by a registered builder on
/// admission, and the monitor (or <c>path</c>) checks the log itself. Builders are named by registry changes seen in
/// the log or by the names supplied up front (the policy); others are shown by key id. Not thread-safe, except
/// <see cref="AddBatch"/> which parses in parallel and merges in order.
/// </remarks>
public sealed class ReportBuilder
{
    /// <summary>Most distinct builders tracked; attestations by further keys are counted as unreadable.</summary>
    public const int MaxBuilders = 4096;

    /// <summary>Most TPM counter regressions listed.</summary>
    public const int MaxCounterRegressions = 10_000;

    private readonly Dictionary<string, int> _builderIndex = new(StringComparer.Ordinal);
    private readonly List<BuilderSlot> _builders = [];
    private readonly Dictionary<string, OutputState> _outputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly List<LogSource> _logs = [];
    private long _attestations;
    private long _duplicates;
    private long _unreadable;
    private long _registryChanges;

    // TPM counters per (log, AK name) in log order: resetCount and restartCount never go backwards and the clock moves
    // on (QuoteCounterTracker's rules), across the whole log rather than one verification.
    private readonly Dictionary<(int Log, string AkName), (QuoteCounterState State, long Index)> _counters = [];
    private readonly List<(int Log, TpmCounterRegression Regression)> _regressions = [];
    private long _position;

    /// <summary>Creates a builder.</summary>
    /// <param name="knownBuilders">Builder names by key id (for example from the trust policy); registry changes in the log add more.</param>
    public ReportBuilder(IReadOnlyDictionary<string, string>? knownBuilders = null)
    {
        if (knownBuilders is not null)
        {
            foreach (var (keyId, name) in knownBuilders)
            {
                _names[keyId] = name;
            }
        }
    }

    /// <summary>Gets the number of attestations counted so far (one per output per attestation).</summary>
    public long Attestations => _attestations;

    /// <summary>Records that a log was read up to <paramref name="treeSize"/> entries.</summary>
    /// <param name="origin">The log's origin.</param>
    /// <param name="treeSize">The size of the verified checkpoint read.</param>
    public void AddLog(string origin, long treeSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        _logs.Add(new LogSource(origin, treeSize));
        _position = 0;
    }

    /// <summary>Parses one log entry and counts it.</summary>
    /// <param name="entry">The entry bytes as the log stores them.</param>
    /// <returns>What the entry was.</returns>
    public ReportEntryResult Add(ReadOnlySpan<byte> entry)
    {
        var parsed = ParsedEntry.Parse(entry);
        Merge(parsed);
        return parsed.Result;
    }

    /// <summary>Parses a batch of entries in parallel and counts them in order (as <see cref="Add"/> would one by one).</summary>
    /// <param name="entries">The entries.</param>
    public void AddBatch(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var parsed = new ParsedEntry[entries.Count];
        Parallel.For(0, entries.Count, i => parsed[i] = ParsedEntry.Parse(entries[i]));
        foreach (var p in parsed)
        {
            Merge(p);
        }
    }

    /// <summary>Counts one attestation of one output (the parsed form of an attestation entry).</summary>
    /// <param name="keyId">The signing builder's key id.</param>
    /// <param name="derivation">The derivation's store path.</param>
    /// <param name="outputName">The output name.</param>
    /// <param name="storePath">The output's store path.</param>
    /// <param name="narHash">The output's NAR hash, as text.</param>
    /// <param name="finishedOn">When the build finished.</param>
    public void AddAttestation(string keyId, string derivation, string outputName, string storePath, string narHash, DateTimeOffset finishedOn)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentException.ThrowIfNullOrEmpty(derivation);
        ArgumentException.ThrowIfNullOrEmpty(outputName);
        ArgumentException.ThrowIfNullOrEmpty(storePath);
        ArgumentException.ThrowIfNullOrEmpty(narHash);
        AddClaim(keyId, new ParsedClaim(OutputKey(derivation, outputName), storePath, narHash), DayNumber(finishedOn));
    }

    private static string OutputKey(string derivation, string outputName) => derivation + "!" + outputName;

    private void AddClaim(string keyId, in ParsedClaim claim, int day)
    {
        var builder = BuilderFor(keyId);
        if (builder < 0)
        {
            _unreadable++;
            return;
        }

        var (outputKey, storePath, narHash) = claim;
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_outputs, outputKey, out var exists);
        if (!exists)
        {
            state = new OutputState(storePath, day);
        }

        _attestations++;
        if (!state!.Add(builder, narHash, day))
        {
            _duplicates++;
        }
    }

    /// <summary>Names a builder by key id (a registry change, or the policy); the first name seen for a key wins.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="name">The builder's name.</param>
    public void NameBuilder(string keyId, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _names.TryAdd(keyId, name);
    }

    /// <summary>Computes the report from everything counted so far.</summary>
    /// <param name="generatedAt">The time to stamp on the report.</param>
    /// <param name="maxListed">Most outputs listed per status (all disputed outputs are always listed).</param>
    /// <returns>The report.</returns>
    public ReproducibilityReport Build(DateTimeOffset generatedAt, int maxListed = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxListed);
        var perBuilder = new BuilderCounters[_builders.Count];
        var days = new Dictionary<int, DayCounters>();
        long reproduced = 0, disputed = 0, once = 0;
        var disputedList = new List<OutputReport>();
        var reproducedList = new List<OutputReport>();
        var onceList = new List<OutputReport>();
        foreach (var (key, state) in _outputs)
        {
            var status = state.Status;
            switch (status)
            {
                case OutputStatus.Reproduced:
                    reproduced++;
                    break;
                case OutputStatus.Disputed:
                    disputed++;
                    break;
                default:
                    once++;
                    break;
            }

            CollectionsMarshal.GetValueRefOrAddDefault(days, state.FirstDay, out _).Add(status);
            state.CountBuilders(perBuilder, status);
            foreach (var claim in state.Claims)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(days, claim.Day, out _).Attestations += claim.Count;
            }

            var list = status switch
            {
                OutputStatus.Disputed => disputedList,
                OutputStatus.Reproduced => reproducedList,
                _ => onceList,
            };
            if (status == OutputStatus.Disputed || list.Count < maxListed)
            {
                list.Add(ToReport(key, state, status));
            }
        }

        Comparison<OutputReport> byPath = (a, b) => string.CompareOrdinal(a.StorePath, b.StorePath);
        disputedList.Sort(byPath);
        reproducedList.Sort(byPath);
        onceList.Sort(byPath);
        var builders = new List<BuilderReport>(_builders.Count);
        for (var i = 0; i < _builders.Count; i++)
        {
            var keyId = _builders[i].KeyId;
            builders.Add(new BuilderReport(
                keyId, _names.GetValueOrDefault(keyId), _builders[i].Attestations, perBuilder[i].Outputs, perBuilder[i].ReproducedByOthers, perBuilder[i].Disputed));
        }

        builders.Sort((a, b) => string.CompareOrdinal(a.DisplayName, b.DisplayName));

        var dayReports = days
            .OrderBy(p => p.Key)
            .Select(p => new DayReport(DateOnly.FromDayNumber(p.Key), p.Value.Attestations, p.Value.Reproduced, p.Value.Disputed, p.Value.BuiltOnce))
            .ToList();
        var totals = new ReportTotals(_attestations, _duplicates, _unreadable, _registryChanges, _outputs.Count, reproduced, disputed, once, _builders.Count);
        var regressions = _regressions
            .Select(r => r.Regression with { Origin = r.Log < _logs.Count ? _logs[r.Log].Origin : string.Empty })
            .ToList();
        return new ReproducibilityReport(generatedAt, [.. _logs], totals, builders, dayReports, disputedList, reproducedList, onceList, regressions);
    }

    private OutputReport ToReport(string key, OutputState state, OutputStatus status)
    {
        var bang = key.LastIndexOf('!');
        var claims = state.Claims
            .Select(c => new BuilderClaim(_builders[c.Builder].KeyId, _names.GetValueOrDefault(_builders[c.Builder].KeyId), c.NarHash))
            .OrderBy(c => c.NarHash, StringComparer.Ordinal)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal)
            .ToList();
        return new OutputReport(key[..bang], key[(bang + 1)..], state.StorePath, status, claims);
    }

    private void Merge(in ParsedEntry parsed)
    {
        var index = _position++;
        if (parsed.Counter is { } counter)
        {
            TrackCounter(parsed.KeyId!, counter, index);
        }

        switch (parsed.Result)
        {
            case ReportEntryResult.RegistryChange:
                _registryChanges++;
                NameBuilder(parsed.KeyId!, parsed.BuilderName!);
                break;
            case ReportEntryResult.Attestation:
                foreach (var claim in parsed.Claims!)
                {
                    AddClaim(parsed.KeyId!, claim, parsed.Day);
                }

                break;
            default:
                _unreadable++;
                break;
        }
    }

    private void TrackCounter(string keyId, TpmCounter counter, long index)
    {
        var key = (_logs.Count, counter.AkName);
        if (_counters.TryGetValue(key, out var last))
        {
            var failures = QuoteCounterTracker.Compare(last.State, counter.State);
            if (failures.Count != 0)
            {
                if (_regressions.Count < MaxCounterRegressions)
                {
                    _regressions.Add((_logs.Count, new TpmCounterRegression(
                        string.Empty, counter.AkName, keyId, last.Index, index, failures[0].Code.ToString(), failures[0].Detail)));
                }

                return;
            }
        }

        _counters[key] = (counter.State, index);
    }

    private int BuilderFor(string keyId)
    {
        ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_builderIndex, keyId, out var exists);
        if (!exists)
        {
            if (_builders.Count >= MaxBuilders)
            {
                _builderIndex.Remove(keyId);
                return -1;
            }

            index = _builders.Count;
            _builders.Add(new BuilderSlot(keyId));
        }

        _builders[index].Attestations++;
        return index;
    }

    private static int DayNumber(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime).DayNumber;

    // One output of one attestation, with every string the merge needs computed during the parallel parse.
    private readonly record struct ParsedClaim(string OutputKey, string StorePath, string NarHash);

    // The AK and clock of an attestation's TPM quote (the log verified the quote on admission when its registrar is on).
    private readonly record struct TpmCounter(string AkName, QuoteCounterState State)
    {
        public static TpmCounter? Read(AttestationDocument document)
        {
            if (document.TpmEvidence is not { } json
                || !TpmEvidence.TryParse(json.Span, out var evidence, out _)
                || !TpmAttest.TryRead(evidence.Attest.Span, out var attest, out var used)
                || used != evidence.Attest.Length)
            {
                return null;
            }

            return new TpmCounter(Convert.ToHexStringLower(evidence.AkName.Span), QuoteCounterState.From(attest.ClockInfo));
        }
    }

    private readonly record struct ParsedEntry(ReportEntryResult Result, string? KeyId, string? BuilderName, ParsedClaim[]? Claims, int Day, TpmCounter? Counter = null)
    {
        public static ParsedEntry Parse(ReadOnlySpan<byte> entry)
        {
            switch (LogEntries.Classify(entry))
            {
                case LogEntryKind.Attestation when AttestationDocument.TryParse(entry, out var document, out _):
                    var derivation = document.DerivationPath.FullPath;
                    var outputs = document.Statement.Outputs;
                    var claims = new ParsedClaim[outputs.Count];
                    for (var i = 0; i < claims.Length; i++)
                    {
                        claims[i] = new ParsedClaim(OutputKey(derivation, outputs[i].Name), outputs[i].Path.FullPath, outputs[i].NarHash.ToString());
                    }

                    return new ParsedEntry(ReportEntryResult.Attestation, document.SignerKeyId, null, claims, DayNumber(document.Statement.FinishedOn), TpmCounter.Read(document));
                case LogEntryKind.RegistryChange when TryReadRegistryChange(entry, out var change):
                    return new ParsedEntry(ReportEntryResult.RegistryChange, change.Builder.KeyId, change.Builder.Name, null, 0);
                default:
                    return new ParsedEntry(ReportEntryResult.Unreadable, null, null, null, 0);
            }
        }

        // The log checked the admin signature on admission; the report only needs the builder's name and key id.
        private static bool TryReadRegistryChange(ReadOnlySpan<byte> entry, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RegistryChange? change)
        {
            change = null;
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(entry.ToArray(), new System.Text.Json.JsonDocumentOptions { MaxDepth = 16 });
                if (!json.RootElement.TryGetProperty("dsse", out var dsse))
                {
                    return false;
                }

                if (!DsseEnvelope.TryParse(System.Text.Encoding.UTF8.GetBytes(dsse.GetRawText()), out var envelope, out _))
                {
                    return false;
                }

                return RegistryChange.TryParsePayload(envelope.Payload.Span, out change, out _);
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }
    }

    private sealed class BuilderSlot(string keyId)
    {
        public string KeyId { get; } = keyId;

        public long Attestations { get; set; }
    }

    private struct BuilderCounters
    {
        public long Outputs;
        public long ReproducedByOthers;
        public long Disputed;
    }

    private struct DayCounters
    {
        public long Attestations;
        public long Reproduced;
        public long Disputed;
        public long BuiltOnce;

        public void Add(OutputStatus status)
        {
            switch (status)
            {
                case OutputStatus.Reproduced:
                    Reproduced++;
                    break;
                case OutputStatus.Disputed:
                    Disputed++;
                    break;
                default:
                    BuiltOnce++;
                    break;
            }
        }
    }

    private readonly record struct Claim(int Builder, string NarHash, int Day, int Count);

    // Compact per-output state: the store path, the first day and one claim per builder (usually one or two).
    private sealed class OutputState(string storePath, int firstDay)
    {
        private Claim _first;
        private List<Claim>? _more;
        private bool _hasFirst;
        private bool _disputed;

        public string StorePath { get; } = storePath;

        public int FirstDay { get; private set; } = firstDay;

        public IEnumerable<Claim> Claims
        {
            get
            {
                if (_hasFirst)
                {
                    yield return _first;
                }

                if (_more is not null)
                {
                    foreach (var c in _more)
                    {
                        yield return c;
                    }
                }
            }
        }

        // Without a dispute, every further claim is by another builder with the same hash.
        public OutputStatus Status => _disputed ? OutputStatus.Disputed : _more is null ? OutputStatus.BuiltOnce : OutputStatus.Reproduced;

        // Returns false for a repeat of a claim already held (same builder, same hash: another log or a resubmission).
        public bool Add(int builder, string narHash, int day)
        {
            FirstDay = Math.Min(FirstDay, day);
            if (!_hasFirst)
            {
                _first = new Claim(builder, narHash, day, 1);
                _hasFirst = true;
                return true;
            }

            if (_first.Builder == builder && string.Equals(_first.NarHash, narHash, StringComparison.Ordinal))
            {
                _first = _first with { Count = _first.Count + 1 };
                return false;
            }

            if (_more is not null)
            {
                for (var i = 0; i < _more.Count; i++)
                {
                    if (_more[i].Builder == builder && string.Equals(_more[i].NarHash, narHash, StringComparison.Ordinal))
                    {
                        _more[i] = _more[i] with { Count = _more[i].Count + 1 };
                        return false;
                    }
                }
            }

            // Share the first claim's string so a reproduced output holds its hash once. A second hash from the same
            // builder also disputes the output: it did not even reproduce on one machine.
            var agrees = string.Equals(_first.NarHash, narHash, StringComparison.Ordinal);
            _disputed |= !agrees;
            (_more ??= new List<Claim>(1)).Add(new Claim(builder, agrees ? _first.NarHash : narHash, day, 1));
            return true;
        }

        public void CountBuilders(BuilderCounters[] counters, OutputStatus status)
        {
            foreach (var c in Claims)
            {
                if (!IsFirstClaimOf(c))
                {
                    continue;
                }

                ref var counter = ref counters[c.Builder];
                counter.Outputs++;
                if (status == OutputStatus.Disputed)
                {
                    counter.Disputed++;
                }
                else if (status == OutputStatus.Reproduced)
                {
                    counter.ReproducedByOthers++;
                }
            }
        }

        private bool IsFirstClaimOf(Claim claim)
        {
            foreach (var c in Claims)
            {
                if (c.Builder == claim.Builder)
                {
                    return c == claim;
                }
            }

            return false;
        }
    }
}
