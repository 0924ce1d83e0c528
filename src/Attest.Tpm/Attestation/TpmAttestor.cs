using System.Buffers;
using System.Security.Cryptography;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Attestation;

/// <summary>Options of <see cref="TpmAttestor"/>.</summary>
public sealed record TpmAttestorOptions
{
    /// <summary>Where the kernel exposes the TCG boot event log.</summary>
    public string EventLogPath { get; init; } = "/sys/kernel/security/tpm0/binary_bios_measurements";

    /// <summary>Largest event log attached to a quote; a bigger file is an error rather than silently truncated.</summary>
    public int MaxEventLogSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>How many times a quote is retaken when the PCRs move between reading them and quoting.</summary>
    public int MaxQuoteAttempts { get; init; } = 4;

    /// <summary>Authorization of the endorsement hierarchy (empty by default).</summary>
    public TpmAuth EndorsementAuth { get; init; } = TpmAuth.EmptyPassword;

    /// <summary>Authorization of the owner hierarchy, used by EvictControl and to read EK certificates.</summary>
    public TpmAuth OwnerAuth { get; init; } = TpmAuth.EmptyPassword;

    /// <summary>
    /// Read EK certificates with owner authorization (TPMA_NV_OWNERREAD, the default, as tpm2-tools does) or, when
    /// false, with the index's own empty authValue (TPMA_NV_AUTHREAD): useful where the owner password is set and
    /// not known to the agent.
    /// </summary>
    public bool ReadEkCertificateAsOwner { get; init; } = true;
}

/// <summary>
/// What an attestation agent does with a TPM: find the EK and its certificate, create or load the AK, answer the
/// registrar's credential challenge, and quote once per build.
/// </summary>
public sealed class TpmAttestor
{
    private readonly TpmDevice _tpm;
    private readonly TpmAttestorOptions _options;

    /// <summary>Creates the attestor over an open device.</summary>
    public TpmAttestor(TpmDevice tpm, TpmAttestorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tpm);
        _tpm = tpm;
        _options = options ?? new TpmAttestorOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxQuoteAttempts);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxEventLogSize);
    }

    /// <summary>
    /// The EK: the persistent key at <paramref name="persistentHandle"/> when given and present, otherwise a
    /// transient primary created from the TCG default template of <paramref name="kind"/> (flush it when done,
    /// or let disposing the <see cref="TpmDevice"/> do it). Creating from the template gives the same key every
    /// time, since primaries derive from the endorsement seed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The persistent handle holds something that is not an EK (a restricted decryption key).</exception>
    public async Task<EndorsementKey> GetEndorsementKeyAsync(EndorsementKeyKind kind, uint? persistentHandle, CancellationToken cancellationToken)
    {
        if (persistentHandle is uint handle)
        {
            ReadPublicResponse? existing = await TryReadPublicAsync(handle, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                TpmPublic area = existing.PublicArea;
                const TpmObjectAttributes required = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent | TpmObjectAttributes.Restricted | TpmObjectAttributes.Decrypt;
                if ((area.Attributes & required) != required || (area.Attributes & TpmObjectAttributes.Sign) != 0)
                {
                    throw new InvalidOperationException($"Persistent handle 0x{handle:X8} holds a key with attributes {area.Attributes}, not an EK.");
                }

                return new EndorsementKey(handle, existing.Public, area, existing.Name);
            }
        }

        CreatePrimaryResponse created = await _tpm.CreatePrimaryAsync(TpmHandles.Endorsement, TpmTemplates.Ek(kind), _options.EndorsementAuth, cancellationToken).ConfigureAwait(false);
        return new EndorsementKey(created.Handle, created.Public, created.PublicArea, created.Name);
    }

    /// <summary>The EK certificate (DER) from NV index <paramref name="nvIndex"/>, or null when the index is not defined.</summary>
    public async Task<byte[]?> ReadEkCertificateAsync(uint nvIndex, CancellationToken cancellationToken)
    {
        try
        {
            return _options.ReadEkCertificateAsOwner
                ? await _tpm.NvReadAllAsync(nvIndex, TpmHandles.Owner, _options.OwnerAuth, cancellationToken).ConfigureAwait(false)
                : await _tpm.NvReadAllAsync(nvIndex, nvIndex, TpmAuth.EmptyPassword, cancellationToken).ConfigureAwait(false);
        }
        catch (TpmException ex) when (ex.Command == TpmCommandCode.NvReadPublic && ex.ResponseCode.BaseCode == TpmResponseCode.Handle)
        {
            return null;
        }
    }

    /// <summary>
    /// The AK at <paramref name="persistentHandle"/>: loaded when it exists (and checked to be a restricted signing key
    /// of <paramref name="algorithm"/> with the expected attributes), otherwise created as a primary in the endorsement
    /// hierarchy (so quotes carry clear resetCount, restartCount and firmwareVersion), persisted with EvictControl, and
    /// the transient copy flushed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The handle holds a different kind of key; it is never overwritten.</exception>
    public async Task<LoadedAttestationKey> EnsureAttestationKeyAsync(AttestationKeyAlgorithm algorithm, uint persistentHandle, CancellationToken cancellationToken)
    {
        if (!TpmHandles.IsOwnerPersistent(persistentHandle))
        {
            throw new ArgumentOutOfRangeException(nameof(persistentHandle), $"0x{persistentHandle:X8} is not an owner persistent handle (0x81000000-0x817FFFFF).");
        }

        ReadPublicResponse? existing = await TryReadPublicAsync(persistentHandle, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            CreatePrimaryResponse created = await _tpm.CreatePrimaryAsync(TpmHandles.Endorsement, TpmTemplates.Ak(algorithm), _options.EndorsementAuth, cancellationToken).ConfigureAwait(false);
            try
            {
                await _tpm.EvictControlAsync(TpmHandles.Owner, created.Handle, persistentHandle, _options.OwnerAuth, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await _tpm.FlushContextAsync(created.Handle, cancellationToken).ConfigureAwait(false);
            }

            existing = await _tpm.ReadPublicAsync(persistentHandle, cancellationToken).ConfigureAwait(false);
        }

        CheckAttestationKey(existing.PublicArea, algorithm, persistentHandle);
        return new LoadedAttestationKey(persistentHandle, existing.Public, existing.PublicArea, existing.Name);
    }

    /// <summary>Removes the persistent AK at <paramref name="persistentHandle"/> (EvictControl of a persistent object).</summary>
    public Task DeleteAttestationKeyAsync(uint persistentHandle, CancellationToken cancellationToken) =>
        _tpm.EvictControlAsync(TpmHandles.Owner, persistentHandle, persistentHandle, _options.OwnerAuth, cancellationToken);

    /// <summary>What the registrar needs to enroll this machine: EK public and certificate, AK public and name.</summary>
    public async Task<EnrollmentMaterial> GetEnrollmentMaterialAsync(EndorsementKey ek, LoadedAttestationKey ak, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ek);
        ArgumentNullException.ThrowIfNull(ak);
        ReadOnlyMemory<byte>? certificate = null;
        if (await ReadEkCertificateAsync(ek.CertificateIndex, cancellationToken).ConfigureAwait(false) is byte[] der)
        {
            certificate = der;
        }

        return new EnrollmentMaterial(ek.Public, certificate, ak.Public, ak.Name);
    }

    /// <summary>
    /// Answers the registrar's MakeCredential challenge: starts a policy session, satisfies the EK's
    /// PolicySecret(TPM_RH_ENDORSEMENT), and runs ActivateCredential with the AK's password session and the EK's
    /// policy session. Returns the secret, which the TPM releases only if the AK with the challenged name is
    /// loaded in the same TPM as the EK. <paramref name="credentialBlob"/> and <paramref name="encryptedSecret"/> are
    /// the TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET encodings (size prefix included) the registrar sent.
    /// </summary>
    public async Task<byte[]> ActivateCredentialAsync(LoadedAttestationKey ak, EndorsementKey ek, ReadOnlyMemory<byte> credentialBlob,
        ReadOnlyMemory<byte> encryptedSecret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ak);
        ArgumentNullException.ThrowIfNull(ek);
        TpmAlgorithm policyHash = ek.PublicArea.NameAlg;
        StartAuthSessionResponse session = await _tpm.StartPolicySessionAsync(policyHash, null, cancellationToken).ConfigureAwait(false);
        try
        {
            await _tpm.PolicySecretAsync(TpmHandles.Endorsement, session.Handle, _options.EndorsementAuth, cancellationToken).ConfigureAwait(false);
            return await _tpm.ActivateCredentialAsync(ak.Handle, ek.Handle, TpmAuth.EmptyPassword, TpmAuth.PolicySession(session.Handle),
                credentialBlob, encryptedSecret, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (_tpm.TrackedHandles.Contains(session.Handle))
            {
                await _tpm.FlushContextAsync(session.Handle, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Quotes <paramref name="selection"/> (default <see cref="PcrSelection.Default"/>) with the AK, binding
    /// <paramref name="qualifyingData"/> (the SHA-256 of the statement's DSSE PAE). The PCRs are read before the
    /// quote and the quote is retaken if its pcrDigest does not match what was read (a PCR moved in between), so
    /// the returned values are exactly the quoted ones. The boot event log is attached when readable.
    /// </summary>
    /// <exception cref="TpmQuoteException">The PCRs kept moving, or the TPM's quote does not match the request.</exception>
    public async Task<TpmQuote> QuoteAsync(LoadedAttestationKey ak, ReadOnlyMemory<byte> qualifyingData, PcrSelection? selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ak);
        if (qualifyingData.Length != 32)
        {
            throw new ArgumentException("qualifyingData is a 32-byte SHA-256 digest.", nameof(qualifyingData));
        }

        selection ??= PcrSelection.Default;
        TpmAlgorithm schemeHash = ak.PublicArea.Scheme.HashAlg;
        if (!TpmHash.IsComputable(schemeHash))
        {
            throw new ArgumentException($"The AK's scheme hash {schemeHash} is not supported.", nameof(ak));
        }

        HashAlgorithmName hash = TpmHash.ToHashAlgorithmName(schemeHash);
        for (int attempt = 1; attempt <= _options.MaxQuoteAttempts; attempt++)
        {
            IReadOnlyList<PcrValue> values = await _tpm.PcrReadAsync(selection, cancellationToken).ConfigureAwait(false);
            QuoteResponse quote = await _tpm.QuoteAsync(ak.Handle, qualifyingData, selection, TpmAuth.EmptyPassword, cancellationToken).ConfigureAwait(false);
            TpmAttest info = quote.ParsedAttest;
            if (!info.ExtraData.Span.SequenceEqual(qualifyingData.Span) || !info.PcrSelect.Equals(selection))
            {
                throw new TpmQuoteException("The TPM's quote does not carry the requested qualifying data and PCR selection.");
            }

            using var hasher = IncrementalHash.CreateHash(hash);
            foreach (PcrValue value in values)
            {
                hasher.AppendData(value.Digest.Span);
            }

            if (hasher.GetHashAndReset().AsSpan().SequenceEqual(info.PcrDigest.Span))
            {
                // Not a conditional expression: null converts to an empty ReadOnlyMemory there, not to "no log".
                ReadOnlyMemory<byte>? log = null;
                if (await ReadEventLogAsync(cancellationToken).ConfigureAwait(false) is byte[] bytes)
                {
                    log = bytes;
                }

                return new TpmQuote(quote.Attest, quote.Signature, selection, values, ak.Name, ak.Public, log, attempt);
            }
        }

        throw new TpmQuoteException($"The PCRs changed between reading and quoting {_options.MaxQuoteAttempts} times in a row.");
    }

    /// <summary>
    /// The boot event log, or null when the file is absent or not readable (no TPM event log exposed, or not root).
    /// securityfs reports size 0, so the file is read to its end, up to the cap.
    /// </summary>
    /// <exception cref="TpmQuoteException">The log is larger than <see cref="TpmAttestorOptions.MaxEventLogSize"/>.</exception>
    public async Task<byte[]?> ReadEventLogAsync(CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(_options.EventLogPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>(64 * 1024);
            int read;
            while ((read = await stream.ReadAsync(buffer.GetMemory(64 * 1024), cancellationToken).ConfigureAwait(false)) > 0)
            {
                buffer.Advance(read);
                if (buffer.WrittenCount > _options.MaxEventLogSize)
                {
                    throw new TpmQuoteException($"The event log {_options.EventLogPath} exceeds {_options.MaxEventLogSize} bytes.");
                }
            }

            return buffer.WrittenSpan.ToArray();
        }
    }

    private async Task<ReadPublicResponse?> TryReadPublicAsync(uint handle, CancellationToken cancellationToken)
    {
        try
        {
            return await _tpm.ReadPublicAsync(handle, cancellationToken).ConfigureAwait(false);
        }
        catch (TpmException ex) when (ex.ResponseCode.BaseCode == TpmResponseCode.Handle)
        {
            return null;
        }
    }

    private static void CheckAttestationKey(TpmPublic area, AttestationKeyAlgorithm algorithm, uint handle)
    {
        (TpmAlgorithm type, TpmAlgorithm scheme) = algorithm == AttestationKeyAlgorithm.EcdsaP256
            ? (TpmAlgorithm.Ecc, TpmAlgorithm.EcDsa)
            : (TpmAlgorithm.Rsa, TpmAlgorithm.RsaSsa);
        if (area.Attributes != TpmTemplates.AkAttributes || area.Type != type || area.Scheme.Scheme != scheme
            || area.Scheme.HashAlg != TpmAlgorithm.Sha256 || area.NameAlg != TpmAlgorithm.Sha256)
        {
            throw new InvalidOperationException(
                $"Persistent handle 0x{handle:X8} holds a {area.Type}/{area.Scheme.Scheme} key with attributes {area.Attributes}, not a {algorithm} attestation key.");
        }
    }
}

/// <summary>One quote with everything a verifier needs.</summary>
/// <param name="Attest">TPMS_ATTEST bytes exactly as signed.</param>
/// <param name="Signature">TPMT_SIGNATURE bytes.</param>
/// <param name="Selection">The quoted PCR selection.</param>
/// <param name="PcrValues">The PCR values in selection order; their hash is the quote's pcrDigest.</param>
/// <param name="AkName">The AK's name.</param>
/// <param name="AkPublic">The AK's TPM2B_PUBLIC.</param>
/// <param name="EventLog">The boot event log (TCG_PCR_EVENT2 format) when readable, otherwise null.</param>
/// <param name="Attempts">How many quotes it took (more than 1 when PCRs moved).</param>
public sealed record TpmQuote(ReadOnlyMemory<byte> Attest, ReadOnlyMemory<byte> Signature, PcrSelection Selection,
    IReadOnlyList<PcrValue> PcrValues, ReadOnlyMemory<byte> AkName, ReadOnlyMemory<byte> AkPublic, ReadOnlyMemory<byte>? EventLog, int Attempts);

/// <summary>What the agent sends the registrar to enroll.</summary>
/// <param name="EkPublic">The EK's TPM2B_PUBLIC.</param>
/// <param name="EkCertificate">The EK certificate (DER) from NV, or null when the TPM has none for this EK.</param>
/// <param name="AkPublic">The AK's TPM2B_PUBLIC.</param>
/// <param name="AkName">The AK's name.</param>
public sealed record EnrollmentMaterial(ReadOnlyMemory<byte> EkPublic, ReadOnlyMemory<byte>? EkCertificate, ReadOnlyMemory<byte> AkPublic, ReadOnlyMemory<byte> AkName);

/// <summary>A quote could not be taken consistently.</summary>
public sealed class TpmQuoteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TpmQuoteException()
        : base("Quote failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmQuoteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmQuoteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
