using Attest.Log.Sequencing;

namespace Attest.Log;

/// <summary>Everything the log engine is configured with (bound from the <c>Log</c> configuration section by the host).</summary>
public sealed class LogOptions
{
    /// <summary>The RocksDB data directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The checkpoint origin line, which is also the note key name (c2sp.org/tlog-checkpoint).</summary>
    public string Origin { get; set; } = "localhost/attest-log";

    /// <summary>The log's note signing key (Go note private key format); created with mode 0600 when missing. Default: <c>&lt;data&gt;/log.key</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The log's admin key that signs builder-registry changes; created with mode 0600 when missing. Default: <c>&lt;data&gt;/admin.key</c>.</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>How submissions are batched.</summary>
    public SequencerOptions Sequencer { get; set; } = new();

    /// <summary>Sustained submissions per second allowed per builder key (0 = unlimited).</summary>
    public double BuilderRatePerSecond { get; set; } = 2000;

    /// <summary>Submissions a builder may make at once before the rate applies.</summary>
    public double BuilderBurst { get; set; } = 4000;

    /// <summary>Witnesses sent every new checkpoint.</summary>
    public IList<WitnessOptions> Witnesses { get; } = [];

    /// <summary>How many of <see cref="Witnesses"/> must cosign before a checkpoint counts as witnessed (k of n).</summary>
    public int WitnessQuorum { get; set; }

    /// <summary>How long a witness request may take before it is abandoned and retried.</summary>
    public TimeSpan WitnessTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The key file path, resolved against the data directory when not set.</summary>
    public string ResolvedKeyFile => KeyFile ?? Path.Combine(DataDirectory, "log.key");

    /// <summary>The admin key file path, resolved against the data directory when not set.</summary>
    public string ResolvedAdminKeyFile => AdminKeyFile ?? Path.Combine(DataDirectory, "admin.key");

    /// <summary>Checks the values and throws naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("Log:DataDirectory must be set.", nameof(DataDirectory));
        }

        if (string.IsNullOrWhiteSpace(Origin) || Origin.Contains('\n', StringComparison.Ordinal) || Origin.Contains('+', StringComparison.Ordinal) || Origin.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException("Log:Origin must be a non-empty line without spaces or '+' (it is also the note key name).", nameof(Origin));
        }

        Sequencer.Validate();
        if (WitnessQuorum < 0 || WitnessQuorum > Witnesses.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(WitnessQuorum), WitnessQuorum, $"Log:WitnessQuorum must be between 0 and the number of witnesses ({Witnesses.Count}).");
        }

        foreach (var witness in Witnesses)
        {
            if (!Uri.TryCreate(witness.Url, UriKind.Absolute, out _) || string.IsNullOrWhiteSpace(witness.Key))
            {
                throw new ArgumentException($"Each Log:Witnesses entry needs an absolute Url and a verifier Key; got Url '{witness.Url}'.", nameof(Witnesses));
            }
        }
    }
}

/// <summary>One witness: where to send checkpoints and the key its cosignatures verify with.</summary>
public sealed class WitnessOptions
{
    /// <summary>The witness's base URL; requests go to <c>&lt;Url&gt;/add-checkpoint</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>The witness's cosignature verifier key (<c>name+hash+base64</c>, key type 0x04).</summary>
    public string Key { get; set; } = "";
}
