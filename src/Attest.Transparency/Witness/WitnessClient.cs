using System.Buffers;
using System.Net;
using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Witness;

/// <summary>Produces the consistency proof between two sizes of the caller's log (empty when the old size is 0).</summary>
public delegate ValueTask<IReadOnlyList<MerkleHash>> ConsistencyProofSource(ulong oldSize, ulong newSize, CancellationToken cancellationToken);

/// <summary>The result of submitting a checkpoint to one witness.</summary>
/// <param name="IsSuccess">True when the witness returned a cosignature that verifies with its key.</param>
/// <param name="Cosignatures">The verified signature lines by the witness's key(s) (empty on failure).</param>
/// <param name="StatusCode">The last HTTP status code (0 if no response arrived).</param>
/// <param name="WitnessSize">The size the witness reported in a 409 during this submission, if any.</param>
/// <param name="Error">What went wrong; null on success.</param>
public readonly record struct WitnessSubmission(
    bool IsSuccess, IReadOnlyList<NoteSignature> Cosignatures, int StatusCode, ulong? WitnessSize, string? Error);

/// <summary>
/// The log side of c2sp.org/tlog-witness: posts <c>add-checkpoint</c> to one witness, retries once from the size a
/// 409 reports, and verifies the returned cosignatures with the witness's key before handing them back.
/// </summary>
public sealed class WitnessClient
{
    private const int MaxResponseBytes = 64 * 1024;
    private const int MaxAttempts = 3;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly NoteVerifier[] _keys;

    /// <summary>Creates a client for one witness.</summary>
    /// <param name="http">The HTTP client (owned by the caller, reused across requests for keep-alive).</param>
    /// <param name="submissionPrefix">The witness's submission prefix; <c>add-checkpoint</c> is appended.</param>
    /// <param name="witnessKeys">The witness's verifier key(s), usually one <see cref="Cosignatures.CosignatureVerifier"/>.</param>
    public WitnessClient(HttpClient http, Uri submissionPrefix, params IEnumerable<NoteVerifier> witnessKeys)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(submissionPrefix);
        ArgumentNullException.ThrowIfNull(witnessKeys);
        _http = http;
        string prefix = submissionPrefix.ToString();
        _endpoint = new Uri(prefix.EndsWith('/') ? prefix + "add-checkpoint" : prefix + "/add-checkpoint");
        _keys = [.. witnessKeys];
        if (_keys.Length == 0 || Array.Exists(_keys, k => k is null))
        {
            throw WitnessError.Argument(WitnessError.NoWitnessKey, nameof(witnessKeys));
        }
    }

    /// <summary>The add-checkpoint URL.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Submits <paramref name="checkpoint"/> claiming the witness last cosigned <paramref name="oldSize"/>; on 409
    /// retries from the size the witness reports (when it is not above the checkpoint's).
    /// </summary>
    public async Task<WitnessSubmission> AddCheckpointAsync(
        SignedCheckpoint checkpoint, ulong oldSize, ConsistencyProofSource proofs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(proofs);
        ulong size = checkpoint.Checkpoint.TreeSize;
        ulong? reported = null;
        int status = 0;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (oldSize > size)
            {
                return Fail(status, reported, $"the witness has cosigned size {oldSize}, beyond this checkpoint's size {size}");
            }

            var proof = oldSize == 0 ? [] : await proofs(oldSize, size, cancellationToken).ConfigureAwait(false);
            var request = new AddCheckpointRequest(oldSize, proof, checkpoint);
            using var content = new ByteArrayContent(request.ToBytes());
            using var response = await _http.PostAsync(_endpoint, content, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode;
            byte[]? body = await ReadCappedAsync(response.Content, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return Fail(status, reported, $"witness response is larger than {MaxResponseBytes} bytes");
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                return Verify(checkpoint, body, status, reported);
            }

            if (response.StatusCode != HttpStatusCode.Conflict)
            {
                return Fail(status, reported, $"witness answered {status}: {Describe(body)}");
            }

            if (body.Length == 0 || body[^1] != (byte)'\n' || !NoteEncoding.TryParseDecimal(body.AsSpan(0, body.Length - 1), out ulong witnessSize))
            {
                return Fail(status, reported, WitnessError.BadSize);
            }

            if (witnessSize == oldSize)
            {
                // Same size but a conflict: the witness holds a different root for this size (a split view).
                return Fail(status, witnessSize, $"the witness holds a different tree at size {witnessSize}");
            }

            reported = witnessSize;
            oldSize = witnessSize;
        }

        return Fail(status, reported, "the witness kept answering 409");
    }

    private WitnessSubmission Verify(SignedCheckpoint checkpoint, byte[] body, int status, ulong? reported)
    {
        if (!NoteSignature.TryParseLines(body, out var lines, out string? error))
        {
            return Fail(status, reported, $"malformed cosignature response: {error}");
        }

        var ours = lines.Where(l => Array.Exists(_keys, k => l.IsFrom(k))).ToArray();
        var result = checkpoint.Note.WhereSignatures(_ => false).WithSignatures(ours).Verify(_keys);
        return result.IsValid
            ? new WitnessSubmission(true, [.. result.Verified.Select(v => v.Signature)], status, reported, null)
            : Fail(status, reported, $"the witness's cosignature does not verify: {result.Error}");
    }

    private static WitnessSubmission Fail(int status, ulong? size, string error) => new(false, [], status, size, error);

    private static string Describe(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 512)).Trim();
        return text.Length == 0 ? "(empty body)" : text;
    }

    private static async Task<byte[]?> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            int read;
            do
            {
                if (buffer.WrittenCount >= MaxResponseBytes)
                {
                    return null;
                }

                var memory = buffer.GetMemory(Math.Min(8192, MaxResponseBytes - buffer.WrittenCount))[..Math.Min(8192, MaxResponseBytes - buffer.WrittenCount)];
                read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                buffer.Advance(read);
            }
            while (read > 0);

            return buffer.WrittenSpan.ToArray();
        }
    }
}
