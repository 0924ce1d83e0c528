using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Enrollment;

/// <summary>The outcome of checking an EK certificate.</summary>
/// <param name="Failures">Every problem found (empty when the certificate is acceptable).</param>
/// <param name="Sha256Fingerprint">SHA-256 of the certificate's DER encoding, lowercase hex (empty if it did not parse).</param>
public sealed record EkCertificateResult(IReadOnlyList<string> Failures, string Sha256Fingerprint)
{
    /// <summary>Whether the certificate chains to a configured root and certifies the EK.</summary>
    public bool IsValid => Failures.Count == 0;
}

/// <summary>
/// Checks an EK certificate (TCG EK Credential Profile 2.x) against configured roots: the chain with
/// <see cref="X509ChainTrustMode.CustomRootTrust"/>, the tcg-kp-EKCertificate extended key usage when present,
/// and that the certified key is the EK's public key. TCG EK certificates may carry a critical Subject Alternative
/// Name holding only TPM manufacturer attributes, and a Subject Directory Attributes extension; these are the
/// only critical extensions tolerated beyond the ones X.509 chain building understands.
/// </summary>
public sealed class EkCertificateValidator
{
    /// <summary>tcg-kp-EKCertificate (EK Credential Profile §3.2.16).</summary>
    public const string EkCertificateEku = "2.23.133.8.1";

    /// <summary>The largest EK certificate accepted (NV indices hold a few KiB at most).</summary>
    public const int MaxCertificateSize = 8192;

    // Key usage, SAN, basic constraints, certificate policies, EKU, subject directory attributes, name constraints.
    private static readonly string[] KnownCriticalExtensions = ["2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.32", "2.5.29.37", "2.5.29.9", "2.5.29.30"];

    private readonly X509Certificate2Collection _roots;
    private readonly X509Certificate2Collection _intermediates;
    private readonly TimeProvider _time;

    /// <summary>Creates a validator trusting exactly <paramref name="roots"/> (e.g. TPM vendor CAs, the swtpm_localca root in tests).</summary>
    /// <param name="roots">Trust anchors.</param>
    /// <param name="intermediates">Untrusted intermediates available for chain building.</param>
    /// <param name="time">Clock for the validity check; <see cref="TimeProvider.System"/> when null.</param>
    public EkCertificateValidator(IEnumerable<X509Certificate2> roots, IEnumerable<X509Certificate2>? intermediates = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        _roots = [.. roots];
        if (_roots.Count == 0)
        {
            throw new ArgumentException("At least one root is required.", nameof(roots));
        }

        _intermediates = [.. intermediates ?? []];
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Validates <paramref name="certificateDer"/> and that it certifies <paramref name="ekPublic"/>.</summary>
    /// <param name="certificateDer">The EK certificate (DER, as read from NV 0x01C00002 / 0x01C0000A).</param>
    /// <param name="ekPublic">The EK public area the TPM reported, or null to check the chain only.</param>
    /// <param name="extraIntermediates">Intermediates supplied with this request (untrusted).</param>
    public EkCertificateResult Validate(ReadOnlySpan<byte> certificateDer, TpmPublic? ekPublic, IEnumerable<X509Certificate2>? extraIntermediates = null)
    {
        var failures = new List<string>();
        if (certificateDer.Length > MaxCertificateSize)
        {
            return new([$"EK certificate of {certificateDer.Length} bytes exceeds {MaxCertificateSize}"], string.Empty);
        }

        string fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificateDer));
        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadCertificate(certificateDer);
        }
        catch (CryptographicException e)
        {
            return new([$"EK certificate does not parse: {e.Message}"], fingerprint);
        }

        using (cert)
        {
            CheckChain(cert, extraIntermediates, failures);
            CheckExtensions(cert, failures);
            if (ekPublic is not null)
            {
                CheckKey(cert, ekPublic, failures);
            }
        }

        return new(failures, fingerprint);
    }

    private void CheckChain(X509Certificate2 cert, IEnumerable<X509Certificate2>? extra, List<string> failures)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        if (extra is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(extra.ToArray());
        }

        // EK CAs publish CRLs inconsistently and the registrar may be offline; revocation is the operator's root list.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(cert))
        {
            return;
        }

        foreach (X509ChainElement element in chain.ChainElements)
        {
            foreach (X509ChainStatus status in element.ChainElementStatus)
            {
                // TCG EK certificates mark the SAN (TPM manufacturer attributes) critical; CheckExtensions decides on those.
                if (status.Status == X509ChainStatusFlags.HasNotSupportedCriticalExtension && element.Certificate.RawDataMemory.Span.SequenceEqual(cert.RawDataMemory.Span))
                {
                    continue;
                }

                if (status.Status != X509ChainStatusFlags.NoError)
                {
                    failures.Add($"EK certificate chain: {element.Certificate.Subject}: {status.Status} ({status.StatusInformation.Trim()})");
                }
            }
        }

        if (failures.Count == 0 && chain.ChainStatus.Any(s => s.Status is not (X509ChainStatusFlags.NoError or X509ChainStatusFlags.HasNotSupportedCriticalExtension)))
        {
            failures.AddRange(chain.ChainStatus.Select(s => $"EK certificate chain: {s.Status} ({s.StatusInformation.Trim()})"));
        }

        if (failures.Count == 0 && !ChainEndsAtRoot(chain))
        {
            failures.Add("EK certificate chain does not end at a configured root");
        }
    }

    private bool ChainEndsAtRoot(X509Chain chain)
    {
        if (chain.ChainElements.Count == 0)
        {
            return false;
        }

        X509Certificate2 top = chain.ChainElements[^1].Certificate;
        return _roots.Any(r => r.RawDataMemory.Span.SequenceEqual(top.RawDataMemory.Span));
    }

    private static void CheckExtensions(X509Certificate2 cert, List<string> failures)
    {
        foreach (X509Extension ext in cert.Extensions)
        {
            if (ext.Critical && !KnownCriticalExtensions.Contains(ext.Oid?.Value, StringComparer.Ordinal))
            {
                failures.Add($"EK certificate has an unknown critical extension {ext.Oid?.Value}");
            }

            if (ext is X509EnhancedKeyUsageExtension eku && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == EkCertificateEku))
            {
                failures.Add("EK certificate's extended key usage does not include tcg-kp-EKCertificate (2.23.133.8.1)");
            }

            if (ext is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                failures.Add("EK certificate is a CA certificate");
            }
        }
    }

    private static void CheckKey(X509Certificate2 cert, TpmPublic ek, List<string> failures)
    {
        using RSA? rsa = cert.GetRSAPublicKey();
        using ECDsa? ecdsa = rsa is null ? cert.GetECDsaPublicKey() : null;
        AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)rsa ?? ecdsa;
        if (key is null || !ek.PublicKeyEquals(key))
        {
            failures.Add("EK certificate does not certify the EK public key");
        }
    }
}
