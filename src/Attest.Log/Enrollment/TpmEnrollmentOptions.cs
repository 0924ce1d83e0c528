using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.Log.Enrollment;

/// <summary>The registrar's configuration (section <c>Log:Tpm</c>).</summary>
public sealed class TpmEnrollmentOptions
{
    /// <summary>Most PEM files read from <see cref="EkRootsDirectory"/>.</summary>
    public const int MaxCaFiles = 256;

    /// <summary>
    /// A directory of PEM files with the EK certificate authorities (TPM vendors, cloud vTPM CAs, swtpm_localca):
    /// self-signed certificates are trusted roots, the others intermediates that chains may use. Unset: the
    /// registrar endpoints answer 404 and no AK can be enrolled.
    /// </summary>
    public string? EkRootsDirectory { get; set; }

    /// <summary>How long an enrollment challenge can be answered (default 5 minutes).</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (ChallengeLifetime <= TimeSpan.Zero || ChallengeLifetime > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"Log:Tpm:ChallengeLifetime must be more than 0 and at most 1 hour, not {ChallengeLifetime}.");
        }
    }

    /// <summary>Loads the EK CAs from <see cref="EkRootsDirectory"/>; null when it is unset.</summary>
    /// <exception cref="InvalidOperationException">The directory has no self-signed root, too many files, or a file that is not PEM certificates.</exception>
    /// <exception cref="IOException">The directory cannot be read.</exception>
    public EkCertificateValidator? CreateValidator(TimeProvider? time = null)
    {
        if (string.IsNullOrEmpty(EkRootsDirectory))
        {
            return null;
        }

        var files = Directory.GetFiles(EkRootsDirectory, "*.pem").Order(StringComparer.Ordinal).ToArray();
        if (files.Length > MaxCaFiles)
        {
            throw new InvalidOperationException($"Log:Tpm:EkRootsDirectory {EkRootsDirectory} has {files.Length} PEM files; the limit is {MaxCaFiles}.");
        }

        var roots = new List<X509Certificate2>();
        var intermediates = new List<X509Certificate2>();
        foreach (var file in files)
        {
            var certificates = new X509Certificate2Collection();
            try
            {
                certificates.ImportFromPemFile(file);
            }
            catch (CryptographicException ex)
            {
                throw new InvalidOperationException($"EK CA file {file} is not PEM certificates: {ex.Message}", ex);
            }

            if (certificates.Count == 0)
            {
                throw new InvalidOperationException($"EK CA file {file} holds no certificate.");
            }

            foreach (var certificate in certificates)
            {
                (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? roots : intermediates).Add(certificate);
            }
        }

        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"Log:Tpm:EkRootsDirectory {EkRootsDirectory} has no self-signed root certificate.");
        }

        return new EkCertificateValidator(roots, intermediates, time);
    }
}
