using System.Globalization;
using System.Text;

namespace Attest.Log.Metrics;

/// <summary>
/// The log's operational counters, written in the Prometheus text exposition format (version 0.0.4).
/// Updates are lock-free or take a short lock per histogram; reading is a snapshot good enough for scraping.
/// </summary>
public sealed class LogMetrics
{
    private static readonly double[] s_latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    private static readonly double[] s_sizeBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384];
    private static readonly double[] s_proofBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

    private readonly Histogram _batchSize = new(s_sizeBuckets);
    private readonly Histogram _batchLatency = new(s_latencyBuckets);
    private readonly Histogram _checkpointLatency = new(s_latencyBuckets);
    private readonly Histogram _proofLatency = new(s_proofBuckets);
    private readonly Dictionary<string, long> _rejections = new(StringComparer.Ordinal);
    private long _entries;
    private long _duplicates;
    private long _treeSize;
    private long _checkpointSize;
    private long _witnessFailures;

    /// <summary>Reads the sequencer queue depth when metrics are written.</summary>
    public Func<int>? QueueDepth { get; set; }

    /// <summary>Records one durable batch: how many new entries it wrote and how long the synced write took.</summary>
    public void ObserveBatch(int newEntries, TimeSpan writeTime)
    {
        _batchSize.Observe(newEntries);
        _batchLatency.Observe(writeTime.TotalSeconds);
        Interlocked.Add(ref _entries, newEntries);
    }

    /// <summary>Records a submission answered with an existing index.</summary>
    public void ObserveDuplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>Records the durable tree size.</summary>
    public void SetTreeSize(long size) => Volatile.Write(ref _treeSize, size);

    /// <summary>Records a newly signed checkpoint and how long it took from the batch being durable to the signature.</summary>
    public void ObserveCheckpoint(long size, TimeSpan integrationTime)
    {
        Volatile.Write(ref _checkpointSize, size);
        _checkpointLatency.Observe(integrationTime.TotalSeconds);
    }

    /// <summary>Records the server-side time to build one inclusion proof (with the root it verifies against).</summary>
    public void ObserveInclusionProof(TimeSpan time) => _proofLatency.Observe(time.TotalSeconds);

    /// <summary>Records a failed attempt to get a witness cosignature.</summary>
    public void ObserveWitnessFailure() => Interlocked.Increment(ref _witnessFailures);

    /// <summary>Records a refused submission by reason (a short fixed label such as <c>rate_limited</c>).</summary>
    public void ObserveRejection(string reason)
    {
        lock (_rejections)
        {
            _rejections[reason] = _rejections.GetValueOrDefault(reason) + 1;
        }
    }

    /// <summary>The number of rejections recorded for <paramref name="reason"/>.</summary>
    public long Rejections(string reason)
    {
        lock (_rejections)
        {
            return _rejections.GetValueOrDefault(reason);
        }
    }

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public string WritePrometheus()
    {
        var text = new StringBuilder();
        Gauge(text, "attest_log_queue_depth", "Submissions waiting to be sequenced.", QueueDepth?.Invoke() ?? 0);
        Gauge(text, "attest_log_tree_size", "Entries durably in the log.", Volatile.Read(ref _treeSize));
        Gauge(text, "attest_log_checkpoint_size", "Tree size of the latest signed checkpoint.", Volatile.Read(ref _checkpointSize));
        Counter(text, "attest_log_entries_total", "New entries written.", Interlocked.Read(ref _entries));
        Counter(text, "attest_log_duplicates_total", "Submissions answered with an existing index.", Interlocked.Read(ref _duplicates));
        Counter(text, "attest_log_witness_failures_total", "Failed witness requests.", Interlocked.Read(ref _witnessFailures));
        text.Append("# HELP attest_log_rejections_total Refused submissions by reason.\n# TYPE attest_log_rejections_total counter\n");
        lock (_rejections)
        {
            foreach (var (reason, count) in _rejections.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"attest_log_rejections_total{{reason=\"{reason}\"}} {count}\n");
            }
        }

        _batchSize.Write(text, "attest_log_batch_entries", "New entries per durable batch.");
        _batchLatency.Write(text, "attest_log_batch_write_seconds", "Time to build and durably write a batch.");
        _checkpointLatency.Write(text, "attest_log_integration_seconds", "Time from a durable batch to the signed checkpoint covering it.");
        _proofLatency.Write(text, "attest_log_inclusion_proof_seconds", "Server-side time to build an inclusion proof and its root.");
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Observe(double value)
        {
            var bucket = Array.BinarySearch(bounds, value);
            if (bucket < 0)
            {
                bucket = ~bucket;
            }

            lock (_counts)
            {
                _counts[bucket]++;
                _sum += value;
                _count++;
            }
        }

        public void Write(StringBuilder text, string name, string help)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            lock (_counts)
            {
                long cumulative = 0;
                for (var i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
                }

                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {_count}\n{name}_sum {_sum}\n{name}_count {_count}\n");
            }
        }
    }
}
