using System.Buffers;
using System.Security.Cryptography;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>
/// Verifies a TPM2_Quote against an enrolled AK, the expected qualifying data and the supplied PCR values,
/// collecting every failure rather than stopping at the first (TPM 2.0 Part 3 §18.4; the checks follow
/// go-attestation's and Keylime's verifiers). Stateless and thread-safe; the replay and rollback checks across
/// quotes are <see cref="QuoteCounterTracker"/>'s.
/// </summary>
public static class QuoteVerifier
{
    // SEC 2 §2.4-2.6: the group orders n; a valid ECDSA r and s lie in [1, n-1].
    private static readonly byte[] P256Order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    private static readonly byte[] P384Order = Convert.FromHexString(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973");
    private static readonly byte[] P521Order = Convert.FromHexString(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409");

    /// <summary>Verifies a quote.</summary>
    /// <param name="attest">The TPMS_ATTEST bytes exactly as signed.</param>
    /// <param name="signature">The TPMT_SIGNATURE bytes.</param>
    /// <param name="key">The enrolled AK.</param>
    /// <param name="expectedExtraData">The qualifying data the quote must carry (SHA-256 of the statement's DSSE PAE).</param>
    /// <param name="pcrs">The PCR values the quote is claimed to cover.</param>
    /// <param name="policy">Required PCRs and clock safety; <see cref="QuotePolicy.Default"/> when null.</param>
    public static QuoteVerdict Verify(
        ReadOnlySpan<byte> attest, ReadOnlySpan<byte> signature, AttestationKey key,
        ReadOnlySpan<byte> expectedExtraData, PcrValueSet pcrs, QuotePolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(pcrs);
        policy ??= QuotePolicy.Default;
        var failures = new List<QuoteFailure>();

        TpmAttest? parsed = null;
        try
        {
            parsed = TpmAttest.Parse(attest);
        }
        catch (TpmFormatException e)
        {
            failures.Add(new(QuoteFailureCode.MalformedAttest, e.Message));
        }

        TpmSignature? sig = null;
        try
        {
            sig = TpmSignature.Parse(signature);
        }
        catch (TpmFormatException e)
        {
            failures.Add(new(QuoteFailureCode.MalformedSignature, e.Message));
        }

        if (sig is not null)
        {
            CheckSignature(attest, sig, key, failures);
        }

        if (parsed is null)
        {
            return new QuoteVerdict(failures, null, sig, null);
        }

        if (!CryptographicOperations.FixedTimeEquals(parsed.ExtraData.Span, expectedExtraData))
        {
            failures.Add(new(QuoteFailureCode.ExtraDataMismatch,
                $"extraData {Convert.ToHexStringLower(parsed.ExtraData.Span)} is not the expected {Convert.ToHexStringLower(expectedExtraData)}"));
        }

        if (!key.MatchesQualifiedSigner(parsed.QualifiedSigner.Span))
        {
            failures.Add(new(QuoteFailureCode.QualifiedSignerMismatch,
                $"qualifiedSigner {Convert.ToHexStringLower(parsed.QualifiedSigner.Span)} is not a qualified name of AK {Convert.ToHexStringLower(key.Name.Span)}"));
        }

        if (policy.RequireSafeClock && !parsed.ClockInfo.Safe)
        {
            failures.Add(new(QuoteFailureCode.ClockNotSafe, "clockInfo.safe is 0"));
        }

        foreach ((TpmAlgorithm bank, int index) in policy.RequiredPcrs.Enumerate())
        {
            if (!parsed.PcrSelect.Contains(bank, index))
            {
                failures.Add(new(QuoteFailureCode.RequiredPcrNotQuoted, $"PCR {index} of bank {BankLabel(bank)} is required but not quoted"));
            }
        }

        PcrValueSet quoted = CheckPcrDigest(parsed, pcrs, failures);
        return new QuoteVerdict(failures, parsed, sig, quoted);
    }

    private static void CheckSignature(ReadOnlySpan<byte> attest, TpmSignature sig, AttestationKey key, List<QuoteFailure> failures)
    {
        bool rsaKey = key.Public.Type == TpmAlgorithm.Rsa;
        if (sig.HashAlg != TpmAlgorithm.Sha256)
        {
            failures.Add(new(QuoteFailureCode.UnsupportedSignatureScheme, $"signature hash 0x{(ushort)sig.HashAlg:X4} is not SHA-256"));
            return;
        }

        if (sig.SigAlg != (rsaKey ? TpmAlgorithm.RsaSsa : TpmAlgorithm.EcDsa))
        {
            failures.Add(new(QuoteFailureCode.UnsupportedSignatureScheme,
                $"signature algorithm 0x{(ushort)sig.SigAlg:X4} is not {(rsaKey ? "RSASSA" : "ECDSA")}, the scheme of the AK's key type 0x{(ushort)key.Public.Type:X4}"));
            return;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(attest, hash);
        if (rsaKey)
        {
            // RFC 8017 §8.2.2: the signature is exactly k octets.
            if (sig.RsaSignature.Length != key.Public.RsaModulus.Length)
            {
                failures.Add(new(QuoteFailureCode.SignatureInvalid,
                    $"RSA signature of {sig.RsaSignature.Length} bytes for a {key.Public.RsaModulus.Length}-byte modulus"));
            }
            else if (!key.VerifyRsaSsa(hash, sig.RsaSignature.Span))
            {
                failures.Add(new(QuoteFailureCode.SignatureInvalid, "RSASSA-PKCS1-v1_5 signature does not verify with the AK"));
            }

            return;
        }

        int size = key.EcdsaFieldSize;
        byte[] order = size switch { 32 => P256Order, 48 => P384Order, _ => P521Order };
        if (size == 0 || !InRange(sig.SignatureR.Span, order, size) || !InRange(sig.SignatureS.Span, order, size))
        {
            failures.Add(new(QuoteFailureCode.SignatureInvalid, "ECDSA r or s is zero, too long or not below the group order"));
            return;
        }

        Span<byte> rs = stackalloc byte[2 * size];
        rs.Clear();
        sig.SignatureR.Span.CopyTo(rs[(size - sig.SignatureR.Length)..size]);
        sig.SignatureS.Span.CopyTo(rs[(2 * size - sig.SignatureS.Length)..]);
        if (!key.VerifyEcdsa(hash, rs))
        {
            failures.Add(new(QuoteFailureCode.SignatureInvalid, "ECDSA signature does not verify with the AK"));
        }
    }

    private static bool InRange(ReadOnlySpan<byte> value, byte[] order, int size)
    {
        ReadOnlySpan<byte> v = value.TrimStart((byte)0);
        if (v.IsEmpty || v.Length > size)
        {
            return false;
        }

        if (v.Length < order.Length)
        {
            return true;
        }

        return v.SequenceCompareTo(order) < 0;
    }

    private static PcrValueSet CheckPcrDigest(TpmAttest parsed, PcrValueSet pcrs, List<QuoteFailure> failures)
    {
        int total = 0;
        bool complete = true;
        var quoted = new List<PcrValue>(parsed.PcrSelect.Count);
        foreach ((TpmAlgorithm bank, int index) in parsed.PcrSelect.Enumerate())
        {
            if (pcrs.TryGet(bank, index, out ReadOnlyMemory<byte> value))
            {
                quoted.Add(new PcrValue(bank, index, value));
                total += value.Length;
            }
            else
            {
                complete = false;
                failures.Add(new(QuoteFailureCode.PcrValueMissing, $"PCR {index} of bank {BankLabel(bank)} is quoted but has no value"));
            }
        }

        foreach (PcrValue v in pcrs.All)
        {
            if (!parsed.PcrSelect.Contains(v.Hash, v.Index))
            {
                failures.Add(new(QuoteFailureCode.PcrValueNotQuoted, $"PCR {v.Index} of bank {BankLabel(v.Hash)} is supplied but not quoted"));
            }
        }

        if (complete)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
            try
            {
                int at = 0;
                foreach (PcrValue v in quoted)
                {
                    v.Digest.Span.CopyTo(buffer.AsSpan(at));
                    at += v.Digest.Length;
                }

                Span<byte> digest = stackalloc byte[32];
                SHA256.HashData(buffer.AsSpan(0, at), digest);
                if (!digest.SequenceEqual(parsed.PcrDigest.Span))
                {
                    failures.Add(new(QuoteFailureCode.PcrDigestMismatch,
                        $"pcrDigest {Convert.ToHexStringLower(parsed.PcrDigest.Span)} is not SHA-256 of the supplied values {Convert.ToHexStringLower(digest)}"));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return new PcrValueSet(quoted);
    }

    internal static string BankLabel(TpmAlgorithm hashAlg) => TpmHash.BankName(hashAlg) ?? $"0x{(ushort)hashAlg:X4}";
}
