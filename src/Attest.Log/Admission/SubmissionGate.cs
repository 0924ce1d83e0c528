using System.Runtime.InteropServices;
using Attest.Log.Engine;
using Attest.Log.Enrollment;
using Attest.Log.Sequencing;
using Attest.Log.Storage;
using Attest.Provenance.Attestations;
using Attest.Transparency.Tiles;

namespace Attest.Log.Admission;

/// <summary>
/// Admission of attestations: size, structure and signature (the provenance library's rules, checked against the
/// builder registry), exact deduplication, the builder's rate limit, then the sequencer. Nothing is stored unless
/// every check passes.
/// </summary>
public sealed class SubmissionGate
{
    /// <summary>Largest entry: the entry-bundle limit of c2sp.org/tlog-tiles (a 16-bit length).</summary>
    public const int MaxEntryBytes = EntryBundle.MaxEntryLength;

    /// <summary>How long a client is told to wait when the queue is full or the log is shutting down.</summary>
    public static readonly TimeSpan BusyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly LogEngine _engine;
    private readonly BuilderAdministration _builders;
    private readonly TokenBucketLimiter _limiter;
    private readonly AttestationOptions _attestationOptions = new();
    private readonly TpmEvidenceAdmission? _tpmEvidence;

    /// <summary>Creates the gate.</summary>
    /// <param name="options">Rate limits.</param>
    /// <param name="engine">The log.</param>
    /// <param name="builders">The builder registry.</param>
    /// <param name="tpmEvidence">Checks of a document's <c>tpm</c> member; null admits it unchecked.</param>
    public SubmissionGate(LogOptions options, LogEngine engine, BuilderAdministration builders, TpmEvidenceAdmission? tpmEvidence = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(builders);
        _engine = engine;
        _builders = builders;
        _tpmEvidence = tpmEvidence;
        _limiter = new TokenBucketLimiter(options.BuilderRatePerSecond, options.BuilderBurst);
    }

    /// <summary>Admits and sequences one submitted document; completes once it is durable or refused.</summary>
    public async Task<SubmissionOutcome> SubmitAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var outcome = await AdmitAsync(body, cancellationToken);
        if (!outcome.IsAccepted)
        {
            _engine.Metrics.ObserveRejection(outcome.Reason);
        }
        else if (outcome.Duplicate)
        {
            _engine.Metrics.ObserveDuplicate();
        }

        return outcome;
    }

    private async Task<SubmissionOutcome> AdmitAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (body.Length > MaxEntryBytes)
        {
            return SubmissionOutcome.TooLarge();
        }

        // AttestationAdmission.TryAdmit's two steps, split so that an exact duplicate is answered from the dedup
        // index before the signature check (the costliest step): the document in the log was verified when admitted.
        if (!AttestationDocument.TryParse(body.Span, out var parsed, out var error, _attestationOptions))
        {
            return Refuse(error);
        }

        // The parsed document owns its canonical bytes and never changes them: share the array rather than copy it.
        var document = MemoryMarshal.TryGetArray(parsed.CanonicalBytes, out var canonical) && canonical.Offset == 0 && canonical.Count == canonical.Array!.Length
            ? canonical.Array
            : parsed.CanonicalBytes.ToArray();
        if (document.Length > MaxEntryBytes)
        {
            return SubmissionOutcome.TooLarge();
        }

        // The entry (and with it the document's digest and leaf hash) is built before the dedup lookup: every
        // outcome from here on answers with the leaf hash, and the sequencer reuses both hashes.
        var terms = new List<SearchTerm>(8) { new(SearchKind.DrvPath, parsed.DerivationPath.ToString()), new(SearchKind.Builder, parsed.SignerKeyId) };
        foreach (var path in parsed.StorePaths)
        {
            terms.Add(new SearchTerm(SearchKind.StorePath, path.ToString()));
        }

        foreach (var narHash in parsed.NarHashes)
        {
            terms.Add(new SearchTerm(SearchKind.NarHash, narHash.ToString()));
        }

        var entry = new LogEntry(document, terms);
        if (_engine.FindDuplicate(entry.Digest) is { } existing)
        {
            return SubmissionOutcome.Accepted(existing, entry.LeafHash, duplicate: true);
        }

        if (!parsed.TryVerify(_builders.Registry, out var builder, out error))
        {
            return Refuse(error);
        }

        if (_tpmEvidence?.Check(parsed, builder.KeyId) is { } tpmRefusal)
        {
            return tpmRefusal;
        }

        if (!_limiter.TryAcquire(builder.KeyId, out var retryAfter))
        {
            return SubmissionOutcome.Refused(429, "rate-limited", "Too many submissions",
                $"Builder {builder.KeyId} is over its limit of {_limiter.RatePerSecond} submissions per second.", retryAfter: retryAfter);
        }

        try
        {
            var result = await _engine.SubmitAsync(entry).WaitAsync(cancellationToken);
            return SubmissionOutcome.Accepted(result.Index, entry.LeafHash, result.Duplicate);
        }
        catch (SequencerException ex) when (ex.Failure == SequencerFailure.QueueFull)
        {
            return SubmissionOutcome.Refused(503, "queue-full", "Log busy", ex.Message, retryAfter: BusyRetryAfter);
        }
        catch (SequencerException ex) when (ex.Failure == SequencerFailure.ShuttingDown)
        {
            return SubmissionOutcome.Refused(503, "shutting-down", "Log shutting down", ex.Message, retryAfter: BusyRetryAfter);
        }
        catch (SequencerException ex)
        {
            return SubmissionOutcome.Refused(500, "storage-failed", "Storage failure", ex.Message);
        }
    }

    private static SubmissionOutcome Refuse(Provenance.DocumentError error) =>
        error.Status == 413
            ? SubmissionOutcome.TooLarge()
            : SubmissionOutcome.Refused(error.Status, error.Slug, TitleFor(error.Status), error.Message, error.Path);

    private static string TitleFor(int status) => status switch
    {
        400 => "Invalid document",
        401 => "Signature not valid",
        403 => "Builder key not allowed",
        _ => "Refused",
    };
}
