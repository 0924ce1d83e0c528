using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Structures;

/// <summary>
/// One TPMS_PCR_SELECTION (TPM 2.0 Part 2 §10.6.2): a bank and the PCRs selected in it, bit n of
/// <see cref="Mask"/> being PCR n.
/// </summary>
/// <param name="Hash">The bank's hash algorithm.</param>
/// <param name="Mask">The selected PCRs as a bit mask over indices 0..<see cref="MaxPcrIndex"/>.</param>
public readonly record struct PcrBankSelection(TpmAlgorithm Hash, uint Mask)
{
    /// <summary>The largest PCR index (a sizeofSelect of 4; PC Client TPMs have 24 PCRs).</summary>
    public const int MaxPcrIndex = 31;

    /// <summary>Creates a bank selection of distinct PCR indices.</summary>
    /// <exception cref="ArgumentException">A PCR index is out of range or repeated.</exception>
    public PcrBankSelection(TpmAlgorithm hash, IEnumerable<int> pcrs)
        : this(hash, ToMask(pcrs))
    {
    }

    /// <summary>The number of PCRs selected.</summary>
    public int Count => BitOperations.PopCount(Mask);

    /// <summary>The selected PCR indices, ascending (the order the TPM digests them in a quote).</summary>
    public IReadOnlyList<int> Pcrs
    {
        get
        {
            var pcrs = new List<int>(Count);
            for (uint rest = Mask; rest != 0; rest &= rest - 1)
            {
                pcrs.Add(BitOperations.TrailingZeroCount(rest));
            }

            return pcrs;
        }
    }

    /// <summary>Whether PCR <paramref name="index"/> is selected.</summary>
    public bool Contains(int index) => index is >= 0 and <= MaxPcrIndex && (Mask & (1u << index)) != 0;

    /// <summary>sizeofSelect: 3 (PC Client PTP: 24 PCRs' worth, what TPMs expect), 4 when a PCR above 23 is selected.</summary>
    internal int SizeOfSelect => Mask > 0x00FF_FFFF ? 4 : 3;

    private static uint ToMask(IEnumerable<int> pcrs)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        uint mask = 0;
        foreach (int pcr in pcrs)
        {
            if (pcr is < 0 or > MaxPcrIndex)
            {
                throw new ArgumentException($"PCR index {pcr} is outside 0..{MaxPcrIndex}.", nameof(pcrs));
            }

            if ((mask & (1u << pcr)) != 0)
            {
                throw new ArgumentException($"PCR {pcr} is selected twice.", nameof(pcrs));
            }

            mask |= 1u << pcr;
        }

        return mask;
    }
}

/// <summary>One PCR value: its bank, index and digest.</summary>
/// <param name="Hash">The bank's hash algorithm.</param>
/// <param name="Index">The PCR index.</param>
/// <param name="Digest">The value; a bank's values have its digest size.</param>
public readonly record struct PcrValue(TpmAlgorithm Hash, int Index, ReadOnlyMemory<byte> Digest);

/// <summary>
/// A TPML_PCR_SELECTION (TPM 2.0 Part 2 §10.9.7): distinct banks in order, each with its PCRs. A quote's
/// pcrDigest covers the PCR values in this order and, within a bank, from the lowest index (Part 3 §18.4).
/// </summary>
public sealed class PcrSelection : IEquatable<PcrSelection>
{
    /// <summary>The most banks in one selection (HASH_COUNT on any real TPM is far below this).</summary>
    public const int MaxBanks = 16;

    /// <summary>The largest sizeofSelect accepted: 4 octets, PCRs 0..31 (PCR_SELECT_MAX on PC Client TPMs is 3).</summary>
    public const int MaxSizeOfSelect = 4;

    /// <summary>The largest TPML_PCR_SELECTION accepted: the count and <see cref="MaxBanks"/> banks of the largest sizeofSelect.</summary>
    public const int MaxSize = 4 + (MaxBanks * (2 + 1 + MaxSizeOfSelect));

    private readonly PcrBankSelection[] _banks;

    /// <summary>Creates a selection of <paramref name="banks"/> in the given order.</summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxBanks"/> banks, or a bank given twice.</exception>
    public PcrSelection(IEnumerable<PcrBankSelection> banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        _banks = [.. banks];
        if (_banks.Length > MaxBanks)
        {
            throw new ArgumentException($"A PCR selection holds at most {MaxBanks} banks.", nameof(banks));
        }

        for (int i = 0; i < _banks.Length; i++)
        {
            if (IndexOfBank(_banks.AsSpan(0, i), _banks[i].Hash) >= 0)
            {
                throw new ArgumentException($"Bank 0x{(ushort)_banks[i].Hash:X4} is selected twice.", nameof(banks));
            }
        }
    }

    /// <summary>The default selection for a build machine: sha256 PCRs 0-7 (firmware, boot loader, Secure Boot) and 11 (unified kernel image / OS).</summary>
    public static PcrSelection Default { get; } = Sha256(0, 1, 2, 3, 4, 5, 6, 7, 11);

    /// <summary>The empty selection.</summary>
    public static PcrSelection Empty { get; } = new([]);

    /// <summary>The banks in order.</summary>
    public IReadOnlyList<PcrBankSelection> Banks => _banks;

    /// <summary>The number of PCRs selected over all banks.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (PcrBankSelection bank in _banks)
            {
                count += bank.Count;
            }

            return count;
        }
    }

    /// <summary>A selection of <paramref name="pcrs"/> in the sha256 bank.</summary>
    /// <exception cref="ArgumentException">A PCR index is out of range or repeated.</exception>
    public static PcrSelection Sha256(params int[] pcrs) => new([new PcrBankSelection(TpmAlgorithm.Sha256, pcrs)]);

    /// <summary>Whether PCR <paramref name="index"/> of bank <paramref name="hash"/> is selected.</summary>
    public bool Contains(TpmAlgorithm hash, int index)
    {
        int bank = IndexOfBank(_banks, hash);
        return bank >= 0 && _banks[bank].Contains(index);
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

            if (!TpmHash.TryParseBankName(bankText[..colon].ToLowerInvariant(), out TpmAlgorithm hash))
            {
                throw new FormatException($"Unknown PCR bank '{bankText[..colon]}'.");
            }

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

        try
        {
            return new PcrSelection(banks);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        static int ParseIndex(string s) =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= PcrBankSelection.MaxPcrIndex
                ? v
                : throw new FormatException($"'{s}' is not a PCR index 0..{PcrBankSelection.MaxPcrIndex}.");
    }

    /// <summary>Reads a TPML_PCR_SELECTION at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">A count, bank or sizeofSelect is out of range, a bank repeats, or the bytes run out.</exception>
    public static PcrSelection Read(ReadOnlySpan<byte> source, out int bytesConsumed) => TpmStructure.Read(source, MaxSize, Read, out bytesConsumed);

    /// <summary>Tries <see cref="Read(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out PcrSelection? result, out int bytesConsumed) =>
        TpmStructure.TryRead(source, MaxSize, Read, out result, out bytesConsumed);

    /// <summary>Writes the TPML_PCR_SELECTION encoding.</summary>
    public void WriteTo(TpmWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.UInt32((uint)_banks.Length);
        foreach (PcrBankSelection bank in _banks)
        {
            int size = bank.SizeOfSelect;
            writer.UInt16((ushort)bank.Hash).Byte((byte)size);
            for (int i = 0; i < size; i++)
            {
                writer.Byte(unchecked((byte)(bank.Mask >> (8 * i))));
            }
        }
    }

    /// <summary>The TPML_PCR_SELECTION encoding.</summary>
    public byte[] ToBytes()
    {
        var writer = new TpmWriter(4 + (_banks.Length * (3 + MaxSizeOfSelect)));
        WriteTo(writer);
        return writer.ToArray();
    }

    /// <summary>Reads a TPML_PCR_SELECTION, checking the count and every bank and sizeofSelect against caps and the bytes that remain.</summary>
    internal static PcrSelection Read(ref TpmReader reader)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32("TPML_PCR_SELECTION.count");
        if (count > MaxBanks)
        {
            TpmFormatException.Throw("TPML_PCR_SELECTION.count", at, $"{count} banks exceed the maximum {MaxBanks}");
        }

        var banks = new PcrBankSelection[count];
        for (int i = 0; i < banks.Length; i++)
        {
            at = reader.Position;
            var hash = (TpmAlgorithm)reader.ReadUInt16("TPMS_PCR_SELECTION.hash");
            if (TpmHash.DigestSize(hash) == 0)
            {
                TpmFormatException.Throw("TPMS_PCR_SELECTION.hash", at, $"0x{(ushort)hash:X4} is not a hash algorithm");
            }

            if (IndexOfBank(banks.AsSpan(0, i), hash) >= 0)
            {
                TpmFormatException.Throw("TPMS_PCR_SELECTION.hash", at, $"bank 0x{(ushort)hash:X4} is selected twice");
            }

            at = reader.Position;
            byte size = reader.ReadByte("TPMS_PCR_SELECTION.sizeofSelect");
            if (size is 0 or > MaxSizeOfSelect)
            {
                TpmFormatException.Throw("TPMS_PCR_SELECTION.sizeofSelect", at, $"{size} is not in 1..{MaxSizeOfSelect}");
            }

            ReadOnlySpan<byte> bits = reader.ReadBytes(size, "TPMS_PCR_SELECTION.pcrSelect");
            uint mask = 0;
            for (int k = 0; k < bits.Length; k++)
            {
                mask |= (uint)bits[k] << (8 * k);
            }

            banks[i] = new PcrBankSelection(hash, mask);
        }

        return new PcrSelection(banks);
    }

    /// <inheritdoc/>
    public bool Equals(PcrSelection? other) => other is not null && _banks.AsSpan().SequenceEqual(other._banks);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PcrSelection);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (PcrBankSelection bank in _banks)
        {
            hash.Add(bank);
        }

        return hash.ToHashCode();
    }

    /// <summary>The tpm2-tools style text, e.g. <c>sha256:0,1,2,11</c>.</summary>
    public override string ToString() =>
        string.Join('+', _banks.Select(b => $"{TpmHash.BankName(b.Hash) ?? $"0x{(ushort)b.Hash:X4}"}:{string.Join(',', b.Pcrs)}"));

    private static int IndexOfBank(ReadOnlySpan<PcrBankSelection> banks, TpmAlgorithm hash)
    {
        for (int i = 0; i < banks.Length; i++)
        {
            if (banks[i].Hash == hash)
            {
                return i;
            }
        }

        return -1;
    }
}
