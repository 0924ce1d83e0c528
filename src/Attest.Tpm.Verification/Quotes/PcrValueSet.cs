using Attest.Tpm.Verification.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>One PCR value: bank, index and digest.</summary>
/// <param name="HashAlg">The bank's hash algorithm.</param>
/// <param name="Index">The PCR index (0..31).</param>
/// <param name="Digest">The value; its length is the bank's digest size.</param>
public readonly record struct PcrEntry(ushort HashAlg, int Index, ReadOnlyMemory<byte> Digest);

/// <summary>
/// A set of PCR values keyed by (bank, index), as the agent read them and a quote vouches for. Immutable;
/// every digest has its bank's size and every index is in 0..31.
/// </summary>
public sealed class PcrValueSet
{
    /// <summary>The most values a set may hold (4 banks of 32 PCRs).</summary>
    public const int MaxValues = 128;

    private readonly Dictionary<(ushort, int), byte[]> _values;

    /// <summary>Creates the set.</summary>
    /// <exception cref="ArgumentException">A duplicate, an index outside 0..31, an unknown bank or a wrong digest size.</exception>
    public PcrValueSet(IEnumerable<PcrEntry> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = [];
        foreach (PcrEntry v in values)
        {
            if (v.Index is < 0 or > 31)
            {
                throw new ArgumentException($"PCR index {v.Index} is outside 0..31.", nameof(values));
            }

            int size = TpmHashAlgorithms.DigestSize(v.HashAlg);
            if (size == 0 || v.Digest.Length != size)
            {
                throw new ArgumentException($"PCR {v.Index} of bank 0x{v.HashAlg:X4} has {v.Digest.Length} bytes, expected {size}.", nameof(values));
            }

            if (!_values.TryAdd((v.HashAlg, v.Index), v.Digest.ToArray()))
            {
                throw new ArgumentException($"PCR {v.Index} of bank 0x{v.HashAlg:X4} is given twice.", nameof(values));
            }

            if (_values.Count > MaxValues)
            {
                throw new ArgumentException($"More than {MaxValues} PCR values.", nameof(values));
            }
        }
    }

    /// <summary>The number of values.</summary>
    public int Count => _values.Count;

    /// <summary>The values ordered by bank then index.</summary>
    public IEnumerable<PcrEntry> All =>
        _values.OrderBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).Select(p => new PcrEntry(p.Key.Item1, p.Key.Item2, p.Value));

    /// <summary>Looks up one value.</summary>
    public bool TryGet(ushort hashAlg, int index, out ReadOnlyMemory<byte> digest)
    {
        if (_values.TryGetValue((hashAlg, index), out byte[]? d))
        {
            digest = d;
            return true;
        }

        digest = default;
        return false;
    }

    /// <summary>Creates a set from the concatenated values of consecutive PCRs of one bank (as tpm2_pcrread -o writes).</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of the digest size.</exception>
    public static PcrValueSet FromConcatenated(ushort hashAlg, int firstIndex, ReadOnlySpan<byte> values)
    {
        int size = TpmHashAlgorithms.DigestSize(hashAlg);
        if (size == 0 || values.Length % size != 0)
        {
            throw new ArgumentException("The values are not whole digests of the bank.", nameof(values));
        }

        var list = new List<PcrEntry>(values.Length / size);
        for (int i = 0; i < values.Length / size; i++)
        {
            list.Add(new PcrEntry(hashAlg, firstIndex + i, values.Slice(i * size, size).ToArray()));
        }

        return new PcrValueSet(list);
    }
}
