using Attest.Log.Admission;
using Attest.Log.Engine;
using Attest.Log.Enrollment;

namespace Attest.LogServer;

/// <summary>The opened log and what runs on it; created before the host starts so start-up refusals stop the process.</summary>
public sealed class LogComponents : IAsyncDisposable
{
    private readonly HttpClient _witnessHttp = new();
    private LogEngine? _engine;
    private BuilderAdministration? _builders;
    private SubmissionGate? _gate;
    private LogEnrollmentStore? _enrollments;
    private TpmEvidenceAdmission? _tpmEvidence;
    private WitnessCoordinator? _witnesses;

    /// <summary>The log engine.</summary>
    public LogEngine Engine => _engine ?? throw new InvalidOperationException("The log is not open.");

    /// <summary>The builder registry and its administration.</summary>
    public BuilderAdministration Builders => _builders ?? throw new InvalidOperationException("The log is not open.");

    /// <summary>Admission of submissions.</summary>
    public SubmissionGate Gate => _gate ?? throw new InvalidOperationException("The log is not open.");

    /// <summary>The TPM registrar's state (AK bindings replayed from the log).</summary>
    public LogEnrollmentStore Enrollments => _enrollments ?? throw new InvalidOperationException("The log is not open.");

    /// <summary>Opens the store, checks it, replays the registry and starts the witness rounds.</summary>
    public async Task OpenAsync(ServerOptions options, ServerKeys keys, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(loggers);
        _engine = await LogEngine.OpenAsync(options.Log, keys.LogKey, loggers.CreateLogger<LogEngine>(), cancellationToken);
        _builders = BuilderAdministration.Load(_engine, keys.AdminKey);
        _enrollments = LogEnrollmentStore.Load(_engine, _builders, keys.AdminKey);
        _tpmEvidence = new TpmEvidenceAdmission(string.IsNullOrEmpty(options.Tpm.EkRootsDirectory) ? null : _enrollments);
        _gate = new SubmissionGate(options.Log, _engine, _builders, _tpmEvidence);
        _witnessHttp.Timeout = options.Log.WitnessTimeout;
        _witnesses = new WitnessCoordinator(_engine, options.Log, _witnessHttp, loggers.CreateLogger<WitnessCoordinator>());
    }

    /// <summary>Stops witnessing, drains the sequencer, signs the final checkpoint.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        if (_engine is not null)
        {
            await _engine.ShutdownAsync(cancellationToken);
        }

        if (_witnesses is not null)
        {
            await _witnesses.DisposeAsync();
            _witnesses = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_witnesses is not null)
        {
            await _witnesses.DisposeAsync();
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        _builders?.Dispose();
        _tpmEvidence?.Dispose();
        _witnessHttp.Dispose();
    }
}
