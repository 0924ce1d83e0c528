using System.Security.Cryptography;
using Attest.Tpm.Internal;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Transport;

namespace Attest.Tpm;

/// <summary>
/// TPM 2.0 commands over an <see cref="ITpmTransport"/> (TPM 2.0 Part 3). Responses are parsed strictly; error codes
/// become <see cref="TpmException"/>; TPM_RC_RETRY, TPM_RC_YIELDED and TPM_RC_TESTING are resent a bounded number
/// of times. Transient objects and sessions this instance creates are tracked and flushed on dispose, because
/// TCP simulators and /dev/tpm0 have no resource manager to do it.
/// </summary>
public sealed class TpmDevice : IAsyncDisposable, IDisposable
{
    /// <summary>How many times a retryable response code is resent before it is reported.</summary>
    public const int MaxRetries = 8;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(5);

    private readonly ITpmTransport _transport;
    private readonly bool _ownsTransport;
    private readonly HashSet<uint> _transients = [];
    private readonly Lock _transientsLock = new();
    private int _nvBufferMax;
    private bool _disposed;

    /// <summary>Creates a device over <paramref name="transport"/>.</summary>
    /// <param name="transport">The transport.</param>
    /// <param name="ownsTransport">Whether disposing the device disposes the transport.</param>
    public TpmDevice(ITpmTransport transport, bool ownsTransport = true)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _ownsTransport = ownsTransport;
    }

    /// <summary>Opens a device from a TCTI string (see <see cref="TpmTransport.Open"/>).</summary>
    public static TpmDevice Open(string tcti) => new(TpmTransport.Open(tcti));

    /// <summary>The transport.</summary>
    public ITpmTransport Transport => _transport;

    /// <summary>Transient object and session handles this instance created and has not flushed yet.</summary>
    public IReadOnlyCollection<uint> TrackedHandles
    {
        get
        {
            lock (_transientsLock)
            {
                return [.. _transients];
            }
        }
    }

    /// <summary>TPM2_Startup (Part 3 §9.3).</summary>
    public async Task StartupAsync(TpmStartupType type, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.Startup(type), TpmCommandCode.Startup, 0, 0, cancellationToken).ConfigureAwait(false);
        TpmCommands.DecodeEmpty(p.Span, TpmCommandCode.Startup);
    }

    /// <summary>
    /// Runs TPM2_Startup(CLEAR) unless the TPM is already started (TPM_RC_INITIALIZE): needed on simulators that
    /// come up without firmware; on a real machine the firmware has already started the TPM.
    /// </summary>
    /// <returns>True when this call started the TPM.</returns>
    public async Task<bool> EnsureStartedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StartupAsync(TpmStartupType.Clear, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TpmException ex) when (ex.ResponseCode.Value == TpmResponseCode.Initialize)
        {
            return false;
        }
    }

    /// <summary>TPM2_GetCapability(TPM_CAP_PCRS): the PCR banks and the PCRs allocated in each.</summary>
    public async Task<PcrSelection> GetPcrBanksAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.GetCapability(TpmCapability.Pcrs, 0, 1), TpmCommandCode.GetCapability, 0, 0, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodeCapabilityPcrs(p.Span).Banks;
    }

    /// <summary>TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES) from <paramref name="first"/>, up to <paramref name="count"/> properties.</summary>
    public async Task<IReadOnlyList<TpmTaggedProperty>> GetPropertiesAsync(TpmProperty first, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.GetCapability(TpmCapability.TpmProperties, (uint)first, (uint)count), TpmCommandCode.GetCapability, 0, 0, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodeCapabilityProperties(p.Span).Properties;
    }

    /// <summary>One TPM property's value.</summary>
    /// <exception cref="TpmFormatException">The TPM did not report the property.</exception>
    public async Task<uint> GetPropertyAsync(TpmProperty property, CancellationToken cancellationToken)
    {
        IReadOnlyList<TpmTaggedProperty> list = await GetPropertiesAsync(property, 1, cancellationToken).ConfigureAwait(false);
        if (list.Count == 0 || list[0].Property != property)
        {
            throw new TpmFormatException($"GetCapability did not return property {property}.");
        }

        return list[0].Value;
    }

    /// <summary>TPM2_GetCapability(TPM_CAP_HANDLES): all handles of the type in the top byte of <paramref name="firstHandle"/>, following moreData.</summary>
    public async Task<IReadOnlyList<uint>> GetHandlesAsync(uint firstHandle, CancellationToken cancellationToken)
    {
        var all = new List<uint>();
        uint next = firstHandle;
        byte type = TpmHandles.TypeOf(firstHandle);
        for (int round = 0; round < 64; round++)
        {
            ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.GetCapability(TpmCapability.Handles, next, 254), TpmCommandCode.GetCapability, 0, 0, cancellationToken).ConfigureAwait(false);
            (bool more, IReadOnlyList<uint> handles) = TpmCommands.DecodeCapabilityHandles(p.Span);
            foreach (uint h in handles)
            {
                // Part 2 §6.12: a TPM_HT_LOADED_SESSION (0x02) query lists HMAC and policy (0x03) session handles alike.
                bool typeOk = TpmHandles.TypeOf(h) == type || (type == TpmHandles.TypeHmacSession && TpmHandles.TypeOf(h) == TpmHandles.TypePolicySession);
                if (h < next || !typeOk)
                {
                    throw new TpmFormatException($"GetCapability returned handle 0x{h:X8} outside the requested range from 0x{next:X8}.");
                }

                all.Add(h);
            }

            if (!more || handles.Count == 0 || handles[^1] == uint.MaxValue)
            {
                return all;
            }

            next = handles[^1] + 1;
        }

        throw new TpmFormatException("GetCapability kept reporting moreData after 64 rounds.");
    }

    /// <summary>TPM2_GetRandom, looped until <paramref name="count"/> bytes have arrived.</summary>
    public async Task<byte[]> GetRandomAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1 << 20);
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            ushort want = (ushort)Math.Min(count - filled, 32);
            ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.GetRandom(want), TpmCommandCode.GetRandom, 0, 0, cancellationToken).ConfigureAwait(false);
            byte[] chunk = TpmCommands.DecodeGetRandom(p.Span);
            if (chunk.Length == 0 || chunk.Length > want)
            {
                throw new TpmFormatException($"GetRandom returned {chunk.Length} bytes for {want} requested.");
            }

            chunk.CopyTo(result, filled);
            filled += chunk.Length;
        }

        return result;
    }

    /// <summary>
    /// TPM2_CreatePrimary (Part 3 §24.1) of <paramref name="template"/> (a TPMT_PUBLIC) under <paramref name="hierarchy"/>.
    /// The transient handle is tracked until <see cref="FlushContextAsync"/>.
    /// </summary>
    public async Task<CreatePrimaryResponse> CreatePrimaryAsync(uint hierarchy, ReadOnlyMemory<byte> template, TpmAuth? hierarchyAuth, CancellationToken cancellationToken)
    {
        byte[] command = TpmCommands.CreatePrimary(hierarchy, hierarchyAuth ?? TpmAuth.EmptyPassword, template.Span, []);
        (uint handle, ReadOnlyMemory<byte> p) = await ExecuteWithHandleAsync(command, TpmCommandCode.CreatePrimary, 1, cancellationToken).ConfigureAwait(false);
        Track(handle);
        try
        {
            return TpmCommands.DecodeCreatePrimary(handle, p.Span);
        }
        catch (TpmFormatException)
        {
            await FlushContextAsync(handle, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>TPM2_ReadPublic (Part 3 §12.4).</summary>
    public async Task<ReadPublicResponse> ReadPublicAsync(uint handle, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.ReadPublic(handle), TpmCommandCode.ReadPublic, 0, 0, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodeReadPublic(p.Span);
    }

    /// <summary>
    /// TPM2_PCR_Read of every PCR in <paramref name="selection"/>. The TPM returns at most 8 digests per call and
    /// says which in pcrSelectionOut, so this loops, removing what was read, until everything is read; the
    /// values come back in selection order. PCRs the TPM does not have make this throw.
    /// </summary>
    public async Task<IReadOnlyList<PcrValue>> PcrReadAsync(PcrSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var values = new Dictionary<(TpmAlgorithm, int), ReadOnlyMemory<byte>>();
        var pending = selection.Enumerate().ToList();
        while (pending.Count > 0)
        {
            var request = new PcrSelection(pending.GroupBy(p => p.Hash).Select(g => new PcrBankSelection(g.Key, g.Select(p => p.Pcr))));
            ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.PcrRead(request), TpmCommandCode.PcrRead, 0, 0, cancellationToken).ConfigureAwait(false);
            PcrReadResponse response = TpmCommands.DecodePcrRead(p.Span);
            int i = 0;
            foreach ((TpmAlgorithm hash, int pcr) in response.SelectionOut.Enumerate())
            {
                if (!pending.Remove((hash, pcr)))
                {
                    throw new TpmFormatException($"PCR_Read returned {hash} PCR {pcr}, which was not requested.");
                }

                values[(hash, pcr)] = response.Digests[i++];
            }

            if (i == 0)
            {
                throw new TpmFormatException($"PCR_Read returned none of the requested PCRs ({request}): the TPM does not have them.");
            }
        }

        return [.. selection.Enumerate().Select(s => new PcrValue(s.Hash, s.Pcr, values[s]))];
    }

    /// <summary>TPM2_PCR_Extend (Part 3 §22.2) of <paramref name="pcr"/> with one digest per bank.</summary>
    public async Task PcrExtendAsync(int pcr, IReadOnlyList<(TpmAlgorithm Hash, byte[] Digest)> digests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digests);
        ArgumentOutOfRangeException.ThrowIfNegative(pcr);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pcr, PcrBankSelection.MaxPcrIndex);
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.PcrExtend(pcr, TpmAuth.EmptyPassword, digests), TpmCommandCode.PcrExtend, 0, 1, cancellationToken).ConfigureAwait(false);
        TpmCommands.DecodeEmpty(p.Span, TpmCommandCode.PcrExtend);
    }

    /// <summary>TPM2_Quote (Part 3 §18.4) with the key's own scheme.</summary>
    public async Task<QuoteResponse> QuoteAsync(uint signHandle, ReadOnlyMemory<byte> qualifyingData, PcrSelection selection, TpmAuth? keyAuth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (qualifyingData.Length > TpmCommands.MaxData - 2)
        {
            throw new ArgumentException("qualifyingData is at most 64 bytes (TPM2B_DATA).", nameof(qualifyingData));
        }

        byte[] command = TpmCommands.Quote(signHandle, keyAuth ?? TpmAuth.EmptyPassword, qualifyingData.Span, selection);
        ReadOnlyMemory<byte> p = await ExecuteAsync(command, TpmCommandCode.Quote, 0, 1, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodeQuote(p.Span);
    }

    /// <summary>TPM2_FlushContext (Part 3 §28.4) of a transient object or session; stops tracking it.</summary>
    public async Task FlushContextAsync(uint handle, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.FlushContext(handle), TpmCommandCode.FlushContext, 0, 0, cancellationToken).ConfigureAwait(false);
        Untrack(handle);
        TpmCommands.DecodeEmpty(p.Span, TpmCommandCode.FlushContext);
    }

    /// <summary>TPM2_NV_ReadPublic (Part 3 §31.6).</summary>
    public async Task<NvPublic> NvReadPublicAsync(uint index, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> p = await ExecuteAsync(TpmCommands.NvReadPublic(index), TpmCommandCode.NvReadPublic, 0, 0, cancellationToken).ConfigureAwait(false);
        NvPublic result = TpmCommands.DecodeNvReadPublic(p.Span);
        if (result.Index != index)
        {
            throw new TpmFormatException($"NV_ReadPublic of 0x{index:X8} returned index 0x{result.Index:X8}.");
        }

        return result;
    }

    /// <summary>TPM2_NV_Read (Part 3 §31.13) of one chunk.</summary>
    public async Task<byte[]> NvReadAsync(uint authHandle, uint index, int size, int offset, TpmAuth? auth, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, TpmCommands.MaxNvBuffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, ushort.MaxValue);
        byte[] command = TpmCommands.NvRead(authHandle, index, auth ?? TpmAuth.EmptyPassword, (ushort)size, (ushort)offset);
        ReadOnlyMemory<byte> p = await ExecuteAsync(command, TpmCommandCode.NvRead, 0, 1, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodeNvRead(p.Span, size);
    }

    /// <summary>
    /// Reads a whole NV index: its size from NV_ReadPublic, then NV_Read in chunks of TPM_PT_NV_BUFFER_MAX
    /// (the TPM rejects larger reads). <paramref name="authHandle"/> defaults to the owner hierarchy.
    /// </summary>
    public async Task<byte[]> NvReadAllAsync(uint index, uint? authHandle, TpmAuth? auth, CancellationToken cancellationToken)
    {
        NvPublic pub = await NvReadPublicAsync(index, cancellationToken).ConfigureAwait(false);
        int chunk = await GetNvBufferMaxAsync(cancellationToken).ConfigureAwait(false);
        byte[] data = new byte[pub.DataSize];
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            int size = Math.Min(chunk, data.Length - offset);
            byte[] part = await NvReadAsync(authHandle ?? TpmHandles.Owner, index, size, offset, auth, cancellationToken).ConfigureAwait(false);
            part.CopyTo(data, offset);
        }

        return data;
    }

    /// <summary>TPM_PT_NV_BUFFER_MAX, read once and cached (capped to what this library accepts).</summary>
    public async Task<int> GetNvBufferMaxAsync(CancellationToken cancellationToken)
    {
        if (_nvBufferMax == 0)
        {
            uint value = await GetPropertyAsync(TpmProperty.NvBufferMax, cancellationToken).ConfigureAwait(false);
            if (value == 0)
            {
                throw new TpmFormatException("TPM_PT_NV_BUFFER_MAX is 0.");
            }

            _nvBufferMax = (int)Math.Min(value, TpmCommands.MaxNvBuffer);
        }

        return _nvBufferMax;
    }

    /// <summary>
    /// TPM2_StartAuthSession (Part 3 §11.1) of an unsalted, unbound policy session hashing with
    /// <paramref name="authHash"/>. The handle is tracked until flushed or used without continueSession.
    /// </summary>
    /// <param name="authHash">The session's hash; it must match the policy digest's algorithm.</param>
    /// <param name="nonceCaller">nonceCaller; null draws 32 random bytes (Part 1 §19.6.12: at least 16).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async Task<StartAuthSessionResponse> StartPolicySessionAsync(TpmAlgorithm authHash, ReadOnlyMemory<byte>? nonceCaller, CancellationToken cancellationToken)
    {
        if (!TpmHash.IsComputable(authHash))
        {
            throw new ArgumentOutOfRangeException(nameof(authHash), authHash, "The session hash must be SHA-1 or SHA-2.");
        }

        byte[] nonce = nonceCaller?.ToArray() ?? RandomNumberGenerator.GetBytes(TpmHash.DigestSize(authHash));
        (uint handle, ReadOnlyMemory<byte> p) = await ExecuteWithHandleAsync(TpmCommands.StartPolicySession(nonce, authHash), TpmCommandCode.StartAuthSession, 0, cancellationToken).ConfigureAwait(false);
        if (TpmHandles.TypeOf(handle) != TpmHandles.TypePolicySession)
        {
            throw new TpmFormatException($"StartAuthSession returned 0x{handle:X8}, not a policy session handle.");
        }

        Track(handle);
        return TpmCommands.DecodeStartAuthSession(handle, p.Span);
    }

    /// <summary>TPM2_PolicySecret (Part 3 §23.4): satisfies a PolicySecret(<paramref name="authHandle"/>) term with its password.</summary>
    public async Task<PolicySecretResponse> PolicySecretAsync(uint authHandle, uint policySession, TpmAuth? auth, CancellationToken cancellationToken)
    {
        byte[] command = TpmCommands.PolicySecret(authHandle, policySession, auth ?? TpmAuth.EmptyPassword);
        ReadOnlyMemory<byte> p = await ExecuteAsync(command, TpmCommandCode.PolicySecret, 0, 1, cancellationToken).ConfigureAwait(false);
        return TpmCommands.DecodePolicySecret(p.Span);
    }

    /// <summary>
    /// TPM2_ActivateCredential (Part 3 §12.5): the key at <paramref name="keyHandle"/> (the EK) decrypts the seed
    /// and releases the credential if <paramref name="activateHandle"/> (the AK) has the name it was made for.
    /// </summary>
    /// <param name="activateHandle">The object the credential was made for (the AK).</param>
    /// <param name="keyHandle">The key that decrypts the seed (the EK).</param>
    /// <param name="activateAuth">Authorization of the AK in the ADMIN role (Part 3 §12.5): its password, since the AK has adminWithPolicy clear.</param>
    /// <param name="keyAuth">Authorization of the EK in the USER role: a policy session satisfying its authPolicy (the EK has userWithAuth clear).</param>
    /// <param name="credentialBlob">The TPM2B_ID_OBJECT as MakeCredential produced it, size prefix included.</param>
    /// <param name="encryptedSecret">The TPM2B_ENCRYPTED_SECRET, size prefix included.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <exception cref="ArgumentException">A parameter is not a single well-formed TPM2B within the TPM's limits.</exception>
    public async Task<byte[]> ActivateCredentialAsync(uint activateHandle, uint keyHandle, TpmAuth activateAuth, TpmAuth keyAuth,
        ReadOnlyMemory<byte> credentialBlob, ReadOnlyMemory<byte> encryptedSecret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activateAuth);
        ArgumentNullException.ThrowIfNull(keyAuth);
        byte[] blob = UnwrapSized(credentialBlob.Span, TpmCommands.MaxIdObject, nameof(credentialBlob));
        byte[] secret = UnwrapSized(encryptedSecret.Span, TpmCommands.MaxEncryptedSecret, nameof(encryptedSecret));
        byte[] command = TpmCommands.ActivateCredential(activateHandle, keyHandle, activateAuth, keyAuth, blob, secret);
        ReadOnlyMemory<byte> p = await ExecuteAsync(command, TpmCommandCode.ActivateCredential, 0, 2, cancellationToken).ConfigureAwait(false);

        // Part 1 §19.6.3: after a successful command the TPM flushes sessions used without continueSession;
        // after a failure they stay loaded and remain tracked.
        UntrackConsumed(activateAuth);
        UntrackConsumed(keyAuth);
        return TpmCommands.DecodeActivateCredential(p.Span);
    }

    private static byte[] UnwrapSized(ReadOnlySpan<byte> sized, int maxSize, string parameter)
    {
        try
        {
            var r = new TpmReader(sized);
            byte[] contents = r.ReadSized(parameter, maxSize).ToArray();
            r.EnsureEnd(parameter);
            return contents.Length == 0 ? throw new ArgumentException($"{parameter} is empty.", parameter) : contents;
        }
        catch (TpmFormatException ex)
        {
            throw new ArgumentException($"{parameter} is not one TPM2B of at most {maxSize} bytes: {ex.Message}", parameter, ex);
        }
    }

    private void UntrackConsumed(TpmAuth auth)
    {
        if (auth.SessionHandle != TpmHandles.Password && (auth.Attributes & TpmAuth.ContinueSession) == 0)
        {
            Untrack(auth.SessionHandle);
        }
    }

    /// <summary>
    /// TPM2_EvictControl (Part 3 §28.5): makes the transient <paramref name="objectHandle"/> persistent at
    /// <paramref name="persistentHandle"/>, or (when <paramref name="objectHandle"/> is persistent) evicts it.
    /// </summary>
    public async Task EvictControlAsync(uint authHandle, uint objectHandle, uint persistentHandle, TpmAuth? auth, CancellationToken cancellationToken)
    {
        byte[] command = TpmCommands.EvictControl(authHandle, objectHandle, auth ?? TpmAuth.EmptyPassword, persistentHandle);
        ReadOnlyMemory<byte> p = await ExecuteAsync(command, TpmCommandCode.EvictControl, 0, 1, cancellationToken).ConfigureAwait(false);
        TpmCommands.DecodeEmpty(p.Span, TpmCommandCode.EvictControl);
    }

    /// <summary>Stops tracking a session the TPM flushed itself (a policy session used without continueSession).</summary>
    internal void Untrack(uint handle)
    {
        lock (_transientsLock)
        {
            _transients.Remove(handle);
        }
    }

    private void Track(uint handle)
    {
        lock (_transientsLock)
        {
            _transients.Add(handle);
        }
    }

    private async Task<ReadOnlyMemory<byte>> ExecuteAsync(byte[] command, TpmCommandCode code, int handleCount, int sessionCount, CancellationToken cancellationToken)
    {
        byte[] response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
        Range parameters = TpmFraming.Response(response, code, handleCount, sessionCount, out _);
        return response.AsMemory(parameters);
    }

    private async Task<(uint Handle, ReadOnlyMemory<byte> Parameters)> ExecuteWithHandleAsync(byte[] command, TpmCommandCode code, int sessionCount, CancellationToken cancellationToken)
    {
        byte[] response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
        Range parameters = TpmFraming.Response(response, code, 1, sessionCount, out uint handle);
        return (handle, response.AsMemory(parameters));
    }

    private async Task<byte[]> SendAsync(byte[] command, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TimeSpan backoff = FirstBackoff;
        for (int attempt = 0; ; attempt++)
        {
            byte[] response = await _transport.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
            var rc = new TpmResponseCode(TpmFraming.PeekResponseCode(response));
            if (!rc.IsRetryable || attempt == MaxRetries)
            {
                return response;
            }

            // Part 1 §18.11 / Part 2 §6.6.3: the command was not executed; resend it after a short pause.
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
        }
    }

    /// <summary>Flushes every tracked transient object and session (best effort), then closes the transport if owned.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        foreach (uint handle in TrackedHandles)
        {
            try
            {
                await FlushContextAsync(handle, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TpmException or TpmFormatException or TpmTransportException)
            {
                Untrack(handle);
            }
        }

        _disposed = true;
        if (_ownsTransport)
        {
            _transport.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Flushing needs the TPM; callers that created transients should use DisposeAsync. This closes the
        // transport, after which a resource manager (if any) flushes for us.
        _disposed = true;
        if (_ownsTransport)
        {
            _transport.Dispose();
        }
    }
}
