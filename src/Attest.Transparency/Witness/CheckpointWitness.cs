using System.Globalization;
using System.Text;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Witness;

/// <summary>
/// The witness side of c2sp.org/tlog-witness <c>add-checkpoint</c>: verifies the log's signature and the
/// consistency proof against its recorded state, atomically records the new checkpoint (durably, before answering),
/// and returns cosignature lines. Transport-agnostic: a host maps <see cref="WitnessResponse"/> to HTTP.
/// </summary>
public sealed class CheckpointWitness
{
    // A lost compare-and-set means another request changed the state; re-evaluating then answers 409 or succeeds.
    private const int MaxAttempts = 8;

    private readonly Dictionary<string, WitnessLog> _logs;
    private readonly NoteSigner[] _signers;
    private readonly IWitnessStateStore _store;

    /// <summary>Creates a witness.</summary>
    /// <param name="logs">The logs it witnesses (origins must be distinct).</param>
    /// <param name="store">Its durable state.</param>
    /// <param name="signers">Its cosigning key(s), usually one <see cref="Cosignatures.CosignatureSigner"/>.</param>
    public CheckpointWitness(IEnumerable<WitnessLog> logs, IWitnessStateStore store, params IEnumerable<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(signers);
        _logs = new Dictionary<string, WitnessLog>(StringComparer.Ordinal);
        foreach (var log in logs)
        {
            ArgumentNullException.ThrowIfNull(log, nameof(logs));
            if (!_logs.TryAdd(log.Origin, log))
            {
                throw WitnessError.Argument(WitnessError.DuplicateOrigin(log.Origin), nameof(logs));
            }
        }

        _signers = [.. signers];
        if (_signers.Length == 0 || Array.Exists(_signers, s => s is null))
        {
            throw WitnessError.Argument(WitnessError.NoSigner, nameof(signers));
        }

        _store = store;
    }

    /// <summary>The witness's verifier keys, to give to log clients and monitors.</summary>
    public IEnumerable<NoteVerifier> Verifiers => _signers.Select(s => s.Verifier);

    /// <summary>Handles one add-checkpoint request body.</summary>
    public async ValueTask<WitnessResponse> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!AddCheckpointRequest.TryParse(body.Span, out var request, out string? error))
        {
            return Text(WitnessOutcome.Malformed, 400, error);
        }

        return await AddCheckpointAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handles one parsed add-checkpoint request.</summary>
    public async ValueTask<WitnessResponse> AddCheckpointAsync(AddCheckpointRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var checkpoint = request.Checkpoint.Checkpoint;
        if (!_logs.TryGetValue(checkpoint.Origin, out var log))
        {
            return Text(WitnessOutcome.UnknownOrigin, 404, WitnessError.UnknownOrigin(checkpoint.Origin));
        }

        // Signatures by unknown keys are ignored; a failing signature by a trusted key rejects the note.
        var signatures = request.Checkpoint.Note.Verify(log.Keys);
        if (!signatures.IsValid)
        {
            return Text(WitnessOutcome.BadSignature, 403, signatures.Error ?? "no valid signature by the log");
        }

        if (request.OldSize > checkpoint.TreeSize)
        {
            return Text(WitnessOutcome.OldSizeTooLarge, 400, WitnessError.OldSizeTooLarge(request.OldSize, checkpoint.TreeSize));
        }

        if (checkpoint.TreeSize > long.MaxValue)
        {
            return Text(WitnessOutcome.Malformed, 400, WitnessError.TooLargeForProofs(checkpoint.TreeSize));
        }

        byte[] note = request.Checkpoint.ToBytes();
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var state = await _store.GetAsync(checkpoint.Origin, cancellationToken).ConfigureAwait(false);
            ulong current = state?.TreeSize ?? 0;
            if (request.OldSize != current)
            {
                return Conflict(WitnessOutcome.Conflict, current, WitnessError.Conflict(request.OldSize, current));
            }

            if (state is { } s && s.TreeSize == checkpoint.TreeSize && s.RootHash != checkpoint.RootHash)
            {
                return Conflict(WitnessOutcome.RootMismatch, current, WitnessError.RootMismatch(current));
            }

            var oldRoot = state?.RootHash ?? TreeHasher.EmptyRoot;
            var verdict = MerkleProof.VerifyConsistency(
                (long)request.OldSize, (long)checkpoint.TreeSize, oldRoot, checkpoint.RootHash, [.. request.ConsistencyProof]);
            if (!verdict.IsValid)
            {
                return Text(WitnessOutcome.BadProof, 422, WitnessError.BadProof(verdict.Reason));
            }

            var next = new WitnessLogState(checkpoint.TreeSize, checkpoint.RootHash, note);
            if (await _store.CompareAndSetAsync(checkpoint.Origin, state, next, cancellationToken).ConfigureAwait(false))
            {
                return Cosign(request);
            }
        }

        var latest = await _store.GetAsync(checkpoint.Origin, cancellationToken).ConfigureAwait(false);
        ulong latestSize = latest?.TreeSize ?? 0;
        return Conflict(WitnessOutcome.Conflict, latestSize, WitnessError.Conflict(request.OldSize, latestSize));
    }

    private WitnessResponse Cosign(AddCheckpointRequest request)
    {
        var text = request.Checkpoint.Note.TextUtf8;
        var builder = new StringBuilder();
        foreach (var signer in _signers)
        {
            builder.Append(NoteSignature.CreateTrusted(signer.Name, signer.KeyId, signer.Sign(text)).ToLine());
        }

        var checkpoint = request.Checkpoint.Checkpoint;
        return new WitnessResponse(
            WitnessOutcome.Cosigned,
            200,
            WitnessResponse.TextContentType,
            Encoding.UTF8.GetBytes(builder.ToString()),
            $"cosigned {checkpoint.Origin} at size {checkpoint.TreeSize}");
    }

    // c2sp.org/tlog-witness: a 409 body is the latest cosigned size in decimal and a newline, as text/x.tlog.size.
    private static WitnessResponse Conflict(WitnessOutcome outcome, ulong current, string message) =>
        new(outcome, 409, WitnessResponse.TreeSizeContentType,
            Encoding.ASCII.GetBytes(current.ToString(CultureInfo.InvariantCulture) + "\n"), message);

    private static WitnessResponse Text(WitnessOutcome outcome, int status, string message) =>
        new(outcome, status, WitnessResponse.TextContentType, Encoding.UTF8.GetBytes(message + "\n"), message);
}
