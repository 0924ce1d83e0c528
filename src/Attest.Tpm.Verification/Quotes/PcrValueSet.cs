using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>
/// A set of PCR values keyed by (bank, index), as the agent read them and a quote vouches for. Immutable;
/// every digest has its bank's size and every index is in 0..31.
/// </summary>
public sealed class PcrValueSet
{
    /// <summary>The most values a set may hold (4 banks of 32 PCRs).</summary>
    public const int MaxValues = 128;

    private readonly Dictionary<(TpmAlgorithm, int), byte[]> _values;

    /// <summary>Creates the set.</summary>
    /// <exception cref="ArgumentException">A duplicate, an index outside 0..31, an unknown bank or a wrong digest size.</exception>
    public PcrValueSet(IEnumerable<PcrValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = [];
        foreach (PcrValue v in values)
        {
            if (v.Index is < 0 or > 31)
            {
                throw new ArgumentException($"PCR index {v.Index} is outside 0..31.", nameof(values));
            }

            int size = TpmHash.DigestSize(v.Hash);
            if (size == 0 || v.Digest.Length != size)
            {
                throw new ArgumentException($"PCR {v.Index} of bank 0x{(ushort)v.Hash:X4} has {v.Digest.Length} bytes, expected {size}.", nameof(values));
            }

            if (!_values.TryAdd((v.Hash, v.Index), v.Digest.ToArray()))
            {
                throw new ArgumentException($"PCR {v.Index} of bank 0x{(ushort)v.Hash:X4} is given twice.", nameof(values));
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
    public IEnumerable<PcrValue> All =>
        _values.OrderBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).Select(p => new PcrValue(p.Key.Item1, p.Key.Item2, p.Value));

    /// <summary>Looks up one value.</summary>
    public bool TryGet(TpmAlgorithm hashAlg, int index, out ReadOnlyMemory<byte> digest)
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
    public static PcrValueSet FromConcatenated(TpmAlgorithm hashAlg, int firstIndex, ReadOnlySpan<byte> values)
    {
        int size = TpmHash.DigestSize(hashAlg);
        if (size == 0 || values.Length % size != 0)
        {
            throw new ArgumentException("The values are not whole digests of the bank.", nameof(values));
        }

        var list = new List<PcrValue>(values.Length / size);
        for (int i = 0; i < values.Length / size; i++)
        {
            list.Add(new PcrValue(hashAlg, firstIndex + i, values.Slice(i * size, size).ToArray()));
        }

        return new PcrValueSet(list);
    }
}
