using System.Globalization;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm;

/// <summary>The PCRs selected in one hash bank (TPMS_PCR_SELECTION, TPM 2.0 Part 2 §10.6.2), in ascending order.</summary>
public sealed class PcrBankSelection
{
    /// <summary>Largest PCR index accepted (a sizeofSelect of 8 covers 64 PCRs; PC TPMs have 24).</summary>
    public const int MaxPcrIndex = 63;

    private readonly int[] _pcrs;

    /// <summary>Creates a bank selection; <paramref name="pcrs"/> are sorted and must be distinct.</summary>
    /// <exception cref="ArgumentException">A PCR index is out of range or repeated.</exception>
    public PcrBankSelection(TpmAlgorithm hash, IEnumerable<int> pcrs)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        int[] sorted = [.. pcrs.Order()];
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i] is < 0 or > MaxPcrIndex)
            {
                throw new ArgumentException($"PCR index {sorted[i]} is outside 0..{MaxPcrIndex}.", nameof(pcrs));
            }

            if (i > 0 && sorted[i] == sorted[i - 1])
            {
                throw new ArgumentException($"PCR {sorted[i]} is selected twice.", nameof(pcrs));
            }
        }

        Hash = hash;
        _pcrs = sorted;
    }

    /// <summary>The bank's hash algorithm.</summary>
    public TpmAlgorithm Hash { get; }

    /// <summary>The selected PCR indices, ascending (the order the TPM digests them in a quote).</summary>
    public IReadOnlyList<int> Pcrs => _pcrs;

    /// <summary>sizeofSelect: at least 3 (PC Client PTP requires 24 PCRs' worth), more if a higher PCR is selected.</summary>
    internal int SizeOfSelect => Math.Max(3, _pcrs.Length == 0 ? 0 : (_pcrs[^1] / 8) + 1);
}

/// <summary>
/// A TPML_PCR_SELECTION (TPM 2.0 Part 2 §10.9.7): banks in order, each with ascending PCR indices. This order is
/// the order of the PCR values a quote's pcrDigest covers.
/// </summary>
public sealed class PcrSelection : IEquatable<PcrSelection>
{
    /// <summary>Most banks in one selection (HASH_COUNT on any real TPM is far below this).</summary>
    public const int MaxBanks = 16;

    /// <summary>Largest sizeofSelect accepted when parsing.</summary>
    public const int MaxSizeOfSelect = 8;

    private readonly PcrBankSelection[] _banks;

    /// <summary>Creates a selection of <paramref name="banks"/> in the given order.</summary>
    public PcrSelection(IEnumerable<PcrBankSelection> banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        _banks = [.. banks];
        if (_banks.Length > MaxBanks)
        {
            throw new ArgumentException($"At most {MaxBanks} banks.", nameof(banks));
        }
    }

    /// <summary>The default selection for a build machine: sha256 PCRs 0-7 (firmware, boot loader, Secure Boot) and 11 (unified kernel image / OS).</summary>
    public static PcrSelection Default { get; } = Sha256(0, 1, 2, 3, 4, 5, 6, 7, 11);

    /// <summary>The empty selection.</summary>
    public static PcrSelection Empty { get; } = new([]);

    /// <summary>The banks in order.</summary>
    public IReadOnlyList<PcrBankSelection> Banks => _banks;

    /// <summary>Number of PCR values the selection covers.</summary>
    public int Count => _banks.Sum(b => b.Pcrs.Count);

    /// <summary>A selection of <paramref name="pcrs"/> in the sha256 bank.</summary>
    public static PcrSelection Sha256(params int[] pcrs) => new([new PcrBankSelection(TpmAlgorithm.Sha256, pcrs)]);

    /// <summary>Parses a selection like <c>sha256:0,1,2,3,4,5,6,7,11</c> or <c>sha256:0-7,11+sha1:0</c> (tpm2-tools style).</summary>
    /// <exception cref="FormatException">The text is not a selection.</exception>
    public static PcrSelection Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var banks = new List<PcrBankSelection>();
        foreach (string bankText in text.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = bankText.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"PCR bank '{bankText}' is not <hash>:<pcrs>.");
            }

            TpmAlgorithm hash = bankText[..colon].ToUpperInvariant() switch
            {
                "SHA1" => TpmAlgorithm.Sha1,
                "SHA256" => TpmAlgorithm.Sha256,
                "SHA384" => TpmAlgorithm.Sha384,
                "SHA512" => TpmAlgorithm.Sha512,
                _ => throw new FormatException($"Unknown PCR bank '{bankText[..colon]}'."),
            };
            var pcrs = new List<int>();
            foreach (string item in bankText[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int dash = item.IndexOf('-', StringComparison.Ordinal);
                int first = ParseIndex(dash < 0 ? item : item[..dash]);
                int last = dash < 0 ? first : ParseIndex(item[(dash + 1)..]);
                if (last < first)
                {
                    throw new FormatException($"PCR range '{item}' is descending.");
                }

                for (int i = first; i <= last; i++)
                {
                    pcrs.Add(i);
                }
            }

            try
            {
                banks.Add(new PcrBankSelection(hash, pcrs));
            }
            catch (ArgumentException ex)
            {
                throw new FormatException(ex.Message, ex);
            }
        }

        return new PcrSelection(banks);

        static int ParseIndex(string s) =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= PcrBankSelection.MaxPcrIndex
                ? v
                : throw new FormatException($"'{s}' is not a PCR index 0..{PcrBankSelection.MaxPcrIndex}.");
    }

    /// <summary>Every (bank, PCR) pair in selection order.</summary>
    public IEnumerable<(TpmAlgorithm Hash, int Pcr)> Enumerate()
    {
        foreach (PcrBankSelection bank in _banks)
        {
            foreach (int pcr in bank.Pcrs)
            {
                yield return (bank.Hash, pcr);
            }
        }
    }

    /// <summary>The marshalled TPML_PCR_SELECTION.</summary>
    public byte[] ToBytes()
    {
        var w = new TpmWriter(32);
        WriteTo(w);
        return w.ToArray();
    }

    internal void WriteTo(TpmWriter w)
    {
        w.UInt32((uint)_banks.Length);
        Span<byte> bitmap = stackalloc byte[MaxSizeOfSelect];
        foreach (PcrBankSelection bank in _banks)
        {
            int size = bank.SizeOfSelect;
            bitmap.Clear();
            foreach (int pcr in bank.Pcrs)
            {
                bitmap[pcr / 8] |= (byte)(1 << (pcr % 8));
            }

            w.UInt16((ushort)bank.Hash);
            w.Byte((byte)size);
            w.Bytes(bitmap[..size]);
        }
    }

    /// <summary>Reads a TPML_PCR_SELECTION, checking the count and every sizeofSelect against caps and the bytes that remain.</summary>
    internal static PcrSelection Read(ref TpmReader r)
    {
        int countAt = r.Position;
        uint count = r.ReadUInt32("TPML_PCR_SELECTION.count");
        if (count > MaxBanks)
        {
            throw new TpmFormatException($"TPML_PCR_SELECTION.count at offset {countAt}: {count} banks exceeds {MaxBanks}.", "TPML_PCR_SELECTION.count", countAt);
        }

        var banks = new PcrBankSelection[count];
        for (int i = 0; i < banks.Length; i++)
        {
            var hash = (TpmAlgorithm)r.ReadUInt16("TPMS_PCR_SELECTION.hash");
            int sizeAt = r.Position;
            byte size = r.ReadByte("TPMS_PCR_SELECTION.sizeofSelect");
            if (size > MaxSizeOfSelect)
            {
                throw new TpmFormatException($"TPMS_PCR_SELECTION.sizeofSelect at offset {sizeAt}: {size} exceeds {MaxSizeOfSelect}.", "TPMS_PCR_SELECTION.sizeofSelect", sizeAt);
            }

            ReadOnlySpan<byte> bitmap = r.ReadBytes(size, "TPMS_PCR_SELECTION.pcrSelect");
            var pcrs = new List<int>();
            for (int bit = 0; bit < size * 8; bit++)
            {
                if ((bitmap[bit / 8] & (1 << (bit % 8))) != 0)
                {
                    pcrs.Add(bit);
                }
            }

            banks[i] = new PcrBankSelection(hash, pcrs);
        }

        return new PcrSelection(banks);
    }

    /// <inheritdoc/>
    public bool Equals(PcrSelection? other) =>
        other is not null && _banks.Length == other._banks.Length
        && _banks.Zip(other._banks).All(p => p.First.Hash == p.Second.Hash && p.First.Pcrs.SequenceEqual(p.Second.Pcrs));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PcrSelection);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach ((TpmAlgorithm alg, int pcr) in Enumerate())
        {
            hash.Add(alg);
            hash.Add(pcr);
        }

        return hash.ToHashCode();
    }

    /// <summary>The tpm2-tools style text, e.g. <c>sha256:0,1,2,11</c>.</summary>
    public override string ToString() =>
        string.Join('+', _banks.Select(b => $"{b.Hash.ToString().ToLowerInvariant()}:{string.Join(',', b.Pcrs)}"));
}

/// <summary>One PCR value: its bank, index and digest.</summary>
public readonly record struct PcrValue(TpmAlgorithm Hash, int Index, ReadOnlyMemory<byte> Digest);
