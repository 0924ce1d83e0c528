using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Enrollment;

/// <summary>What an agent sends to begin enrolling its AK.</summary>
/// <param name="EkCertificate">The EK certificate, DER.</param>
/// <param name="EkPublic">The EK public area as TPM2B_PUBLIC.</param>
/// <param name="AkPublic">The AK public area as TPM2B_PUBLIC.</param>
/// <param name="BuilderKeyId">The builder's signing key id the AK is to be bound to.</param>
/// <param name="EkIntermediates">Intermediate CA certificates (DER) the agent supplies, untrusted.</param>
public sealed record EnrollmentRequest(
    ReadOnlyMemory<byte> EkCertificate, ReadOnlyMemory<byte> EkPublic, ReadOnlyMemory<byte> AkPublic, string BuilderKeyId,
    IReadOnlyList<ReadOnlyMemory<byte>>? EkIntermediates = null);

/// <summary>The challenge the agent answers with TPM2_ActivateCredential.</summary>
/// <param name="EnrollmentId">Identifies the pending enrollment in <see cref="Registrar.CompleteAsync"/>.</param>
/// <param name="CredentialBlob">TPM2B_ID_OBJECT for ActivateCredential's credentialBlob.</param>
/// <param name="EncryptedSecret">TPM2B_ENCRYPTED_SECRET for ActivateCredential's secret.</param>
/// <param name="ExpiresAt">When the pending enrollment lapses.</param>
public sealed record EnrollmentChallenge(string EnrollmentId, ReadOnlyMemory<byte> CredentialBlob, ReadOnlyMemory<byte> EncryptedSecret, DateTimeOffset ExpiresAt);

/// <summary>A pending enrollment as stored between challenge and answer. Holds only a hash of the secret.</summary>
/// <param name="EnrollmentId">The id.</param>
/// <param name="AkPublic">The AK's TPM2B_PUBLIC.</param>
/// <param name="AkName">The AK's Name.</param>
/// <param name="EkName">The EK's Name.</param>
/// <param name="EkCertificateSha256">The EK certificate fingerprint.</param>
/// <param name="BuilderKeyId">The builder key id to bind.</param>
/// <param name="SecretSha256">SHA-256 of the credential.</param>
/// <param name="ExpiresAt">Expiry.</param>
public sealed record PendingEnrollment(
    string EnrollmentId, ReadOnlyMemory<byte> AkPublic, ReadOnlyMemory<byte> AkName, ReadOnlyMemory<byte> EkName,
    string EkCertificateSha256, string BuilderKeyId, ReadOnlyMemory<byte> SecretSha256, DateTimeOffset ExpiresAt);

/// <summary>An enrolled AK bound to a builder key: what the log server admits quotes with and the verifier checks them by.</summary>
/// <param name="AkName">The AK's Name (nameAlg || H(TPMT_PUBLIC)).</param>
/// <param name="AkPublic">The AK's TPM2B_PUBLIC.</param>
/// <param name="EkName">The EK's Name (for the AK's qualified name).</param>
/// <param name="EkCertificateSha256">SHA-256 fingerprint of the EK certificate, lowercase hex.</param>
/// <param name="BuilderKeyId">The builder signing key the AK is bound to.</param>
/// <param name="EnrolledAt">When the binding was made.</param>
public sealed record AkBinding(
    ReadOnlyMemory<byte> AkName, ReadOnlyMemory<byte> AkPublic, ReadOnlyMemory<byte> EkName, string EkCertificateSha256,
    string BuilderKeyId, DateTimeOffset EnrolledAt)
{
    /// <summary>Imports the AK for quote verification (qualified names of the endorsement hierarchy under this EK).</summary>
    /// <exception cref="ArgumentException">The stored AK public area is malformed or cannot be imported.</exception>
    public AttestationKey CreateAttestationKey()
    {
        TpmPublic ak;
        try
        {
            ak = TpmPublic.ParseSized(AkPublic.Span);
        }
        catch (TpmFormatException e)
        {
            throw new ArgumentException($"The binding's AK public area is malformed: {e.Message}", nameof(AkPublic), e);
        }

        return AttestationKey.Create(ak, EkName.Span);
    }
}

/// <summary>Why an enrollment step failed.</summary>
public enum EnrollmentFailureCode
{
    /// <summary>The request is malformed (unparsable public area, bad builder key id).</summary>
    MalformedRequest = 1,

    /// <summary>The EK certificate does not chain to a configured root or does not certify the EK.</summary>
    EkCertificateInvalid,

    /// <summary>The EK public area is not an endorsement key MakeCredential can use.</summary>
    EkInvalid,

    /// <summary>The AK's attributes or algorithms are not those of an attestation key.</summary>
    AkInvalid,

    /// <summary>The AK is already bound to another builder key.</summary>
    AkBoundElsewhere,

    /// <summary>No pending enrollment has this id (never begun, already completed, or already failed).</summary>
    UnknownEnrollment,

    /// <summary>The pending enrollment expired.</summary>
    Expired,

    /// <summary>The returned secret is not the credential: the AK is not in the EK's TPM.</summary>
    SecretMismatch,
}

/// <summary>One reason an enrollment step failed.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Detail">What exactly was wrong.</param>
public readonly record struct EnrollmentFailure(EnrollmentFailureCode Code, string Detail)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Detail}";
}

/// <summary>The result of <see cref="Registrar.BeginAsync"/>.</summary>
/// <param name="Challenge">The challenge, when the request was acceptable.</param>
/// <param name="Failures">Every reason it was not.</param>
public sealed record EnrollmentBeginResult(EnrollmentChallenge? Challenge, IReadOnlyList<EnrollmentFailure> Failures)
{
    /// <summary>Whether a challenge was issued.</summary>
    public bool Succeeded => Challenge is not null;
}

/// <summary>The result of <see cref="Registrar.CompleteAsync"/>.</summary>
/// <param name="Binding">The new binding, when the secret was right.</param>
/// <param name="Failures">Every reason it was not.</param>
public sealed record EnrollmentCompleteResult(AkBinding? Binding, IReadOnlyList<EnrollmentFailure> Failures)
{
    /// <summary>Whether the AK is now bound.</summary>
    public bool Succeeded => Binding is not null;
}

/// <summary>Persistence for the registrar: pending enrollments (taken at most once) and AK bindings.</summary>
public interface IEnrollmentStore
{
    /// <summary>Stores a pending enrollment.</summary>
    ValueTask SavePendingAsync(PendingEnrollment pending, CancellationToken cancellationToken);

    /// <summary>Removes and returns the pending enrollment <paramref name="enrollmentId"/>, atomically; null when absent.</summary>
    ValueTask<PendingEnrollment?> TakePendingAsync(string enrollmentId, CancellationToken cancellationToken);

    /// <summary>Stores a binding, replacing one for the same AK name.</summary>
    ValueTask SaveBindingAsync(AkBinding binding, CancellationToken cancellationToken);

    /// <summary>The binding of the AK named <paramref name="akName"/>, or null.</summary>
    ValueTask<AkBinding?> GetBindingAsync(ReadOnlyMemory<byte> akName, CancellationToken cancellationToken);
}

/// <summary>An in-memory <see cref="IEnrollmentStore"/> for tests and single-process use.</summary>
public sealed class InMemoryEnrollmentStore : IEnrollmentStore
{
    private readonly Dictionary<string, PendingEnrollment> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AkBinding> _bindings = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public ValueTask SavePendingAsync(PendingEnrollment pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pending);
        lock (_lock)
        {
            _pending[pending.EnrollmentId] = pending;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<PendingEnrollment?> TakePendingAsync(string enrollmentId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_pending.Remove(enrollmentId, out PendingEnrollment? p) ? p : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask SaveBindingAsync(AkBinding binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        lock (_lock)
        {
            _bindings[Convert.ToHexString(binding.AkName.Span)] = binding;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<AkBinding?> GetBindingAsync(ReadOnlyMemory<byte> akName, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_bindings.TryGetValue(Convert.ToHexString(akName.Span), out AkBinding? b) ? b : null);
        }
    }
}

/// <summary>Registrar settings.</summary>
public sealed record RegistrarOptions
{
    /// <summary>How long a challenge stays valid (default 5 minutes).</summary>
    public TimeSpan ChallengeLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest builder key id accepted.</summary>
    public int MaxBuilderKeyIdLength { get; init; } = 256;
}

/// <summary>
/// The registrar's logic (Keylime's registrar, go-attestation's enrollment): check the EK certificate and the AK,
/// challenge the agent with a credential only the TPM holding both can activate, and bind the AK to the builder key
/// once the agent returns the credential. The log server hosts the HTTP endpoint over this.
/// </summary>
public sealed class Registrar
{
    private const int CredentialSize = 32;
    private readonly RegistrarOptions _options;
    private readonly EkCertificateValidator _validator;
    private readonly IEnrollmentStore _store;
    private readonly TimeProvider _time;

    /// <summary>Creates a registrar.</summary>
    public Registrar(EkCertificateValidator validator, IEnrollmentStore store, RegistrarOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(store);
        _validator = validator;
        _store = store;
        _options = options ?? new RegistrarOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Checks the request and, when acceptable, issues a MakeCredential challenge and stores the pending enrollment.</summary>
    public async ValueTask<EnrollmentBeginResult> BeginAsync(EnrollmentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var failures = new List<EnrollmentFailure>();
        if (string.IsNullOrEmpty(request.BuilderKeyId) || request.BuilderKeyId.Length > _options.MaxBuilderKeyIdLength
            || request.BuilderKeyId.Any(char.IsControl))
        {
            failures.Add(new(EnrollmentFailureCode.MalformedRequest, "builder key id is empty, too long or has control characters"));
        }

        TpmPublic? ek = ParsePublic(request.EkPublic, "EK", failures);
        TpmPublic? ak = ParsePublic(request.AkPublic, "AK", failures);
        if (ek is not null)
        {
            failures.AddRange(KeyRequirements.CheckEndorsementKey(ek).Select(p => new EnrollmentFailure(EnrollmentFailureCode.EkInvalid, p)));
        }

        if (ak is not null)
        {
            failures.AddRange(KeyRequirements.CheckAttestationKey(ak).Select(p => new EnrollmentFailure(EnrollmentFailureCode.AkInvalid, p)));
        }

        List<X509Certificate2> intermediates = [];
        EkCertificateResult certResult;
        try
        {
            foreach (ReadOnlyMemory<byte> der in (request.EkIntermediates ?? []).Take(8))
            {
                intermediates.Add(X509CertificateLoader.LoadCertificate(der.Span));
            }

            certResult = _validator.Validate(request.EkCertificate.Span, ek, intermediates);
        }
        catch (CryptographicException e)
        {
            certResult = new([$"intermediate certificate does not parse: {e.Message}"], string.Empty);
        }
        finally
        {
            intermediates.ForEach(c => c.Dispose());
        }

        failures.AddRange(certResult.Failures.Select(f => new EnrollmentFailure(EnrollmentFailureCode.EkCertificateInvalid, f)));
        if (failures.Count > 0 || ek is null || ak is null)
        {
            return new EnrollmentBeginResult(null, failures);
        }

        byte[] akName = ak.ComputeName();
        AkBinding? existing = await _store.GetBindingAsync(akName, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.BuilderKeyId != request.BuilderKeyId)
        {
            return new EnrollmentBeginResult(null, [new(EnrollmentFailureCode.AkBoundElsewhere, $"AK {Convert.ToHexStringLower(akName)} is bound to builder key {existing.BuilderKeyId}")]);
        }

        byte[] secret = RandomNumberGenerator.GetBytes(CredentialSize);
        MadeCredential made = CredentialMaker.Make(ek, akName, secret);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        DateTimeOffset expires = _time.GetUtcNow() + _options.ChallengeLifetime;
        var pending = new PendingEnrollment(id, ak.ToSized(), akName, ek.ComputeName(), certResult.Sha256Fingerprint,
            request.BuilderKeyId, SHA256.HashData(secret), expires);
        CryptographicOperations.ZeroMemory(secret);
        await _store.SavePendingAsync(pending, cancellationToken).ConfigureAwait(false);
        return new EnrollmentBeginResult(new EnrollmentChallenge(id, made.CredentialBlob, made.Secret, expires), []);
    }

    /// <summary>
    /// Completes an enrollment with the credential the agent recovered via TPM2_ActivateCredential. A pending
    /// enrollment is consumed by its first answer, right or wrong, so the secret cannot be guessed repeatedly.
    /// </summary>
    public async ValueTask<EnrollmentCompleteResult> CompleteAsync(string enrollmentId, ReadOnlyMemory<byte> activatedSecret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrollmentId);
        PendingEnrollment? pending = await _store.TakePendingAsync(enrollmentId, cancellationToken).ConfigureAwait(false);
        if (pending is null)
        {
            return new EnrollmentCompleteResult(null, [new(EnrollmentFailureCode.UnknownEnrollment, $"no pending enrollment {enrollmentId}")]);
        }

        var failures = new List<EnrollmentFailure>();
        DateTimeOffset now = _time.GetUtcNow();
        if (now > pending.ExpiresAt)
        {
            failures.Add(new(EnrollmentFailureCode.Expired, $"the challenge expired at {pending.ExpiresAt:O}"));
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(activatedSecret.Span, hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, pending.SecretSha256.Span))
        {
            failures.Add(new(EnrollmentFailureCode.SecretMismatch, "the returned secret is not the credential"));
        }

        if (failures.Count > 0)
        {
            return new EnrollmentCompleteResult(null, failures);
        }

        var binding = new AkBinding(pending.AkName, pending.AkPublic, pending.EkName, pending.EkCertificateSha256, pending.BuilderKeyId, now);
        await _store.SaveBindingAsync(binding, cancellationToken).ConfigureAwait(false);
        return new EnrollmentCompleteResult(binding, []);
    }

    private static TpmPublic? ParsePublic(ReadOnlyMemory<byte> sized, string which, List<EnrollmentFailure> failures)
    {
        try
        {
            return TpmPublic.ParseSized(sized.Span);
        }
        catch (TpmFormatException e)
        {
            failures.Add(new(EnrollmentFailureCode.MalformedRequest, $"{which} public area: {e.Message}"));
            return null;
        }
    }
}
