using System.Diagnostics.CodeAnalysis;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Verification.Structures;

/// <summary>One TPMS_PCR_SELECTION: a bank and the PCRs selected in it (bit n = PCR n, Part 2 §10.6.2).</summary>
/// <param name="HashAlg">The bank's hash algorithm.</param>
/// <param name="Mask">The selected PCRs as a bit mask over indices 0..31.</param>
public readonly record struct PcrBankMask(ushort HashAlg, uint Mask)
{
    /// <summary>The selected PCR indices in ascending order.</summary>
    public IEnumerable<int> Indices()
    {
        for (int i = 0; i < 32; i++)
        {
            if ((Mask & (1u << i)) != 0)
            {
                yield return i;
            }
        }
    }

    /// <summary>Whether PCR <paramref name="index"/> is selected.</summary>
    public bool Contains(int index) => index is >= 0 and < 32 && (Mask & (1u << index)) != 0;
}

/// <summary>
/// A TPML_PCR_SELECTION (TPM 2.0 Part 2 §10.9.7). Quote digests cover the PCRs in the order of this list and,
/// within a bank, from the lowest index (Part 3 §18.4 TPM2_Quote, Part 1 §17.5).
/// </summary>
public sealed class PcrSelectionList
{
    /// <summary>The most banks in one list (HASH_COUNT; no TPM implements more than a handful).</summary>
    public const int MaxBanks = 16;

    /// <summary>The largest sizeofSelect accepted: 4 octets, i.e. PCRs 0..31 (PCR_SELECT_MAX on PC Client TPMs is 3).</summary>
    public const int MaxSelectBytes = 4;

    private readonly PcrBankMask[] _banks;

    /// <summary>Creates a selection; banks must be distinct hash algorithms.</summary>
    /// <exception cref="ArgumentException">Duplicate or too many banks.</exception>
    public PcrSelectionList(IEnumerable<PcrBankMask> banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        _banks = [.. banks];
        if (_banks.Length > MaxBanks || _banks.Select(b => b.HashAlg).Distinct().Count() != _banks.Length)
        {
            throw new ArgumentException("A PCR selection holds at most 16 distinct banks.", nameof(banks));
        }
    }

    /// <summary>The banks in list order.</summary>
    public IReadOnlyList<PcrBankMask> Banks => _banks;

    /// <summary>Every selected (bank, index) in digest order.</summary>
    public IEnumerable<(ushort HashAlg, int Index)> Enumerate()
    {
        foreach (PcrBankMask bank in _banks)
        {
            foreach (int index in bank.Indices())
            {
                yield return (bank.HashAlg, index);
            }
        }
    }

    /// <summary>The number of selected PCRs over all banks.</summary>
    public int Count => _banks.Sum(b => System.Numerics.BitOperations.PopCount(b.Mask));

    /// <summary>Whether PCR <paramref name="index"/> of bank <paramref name="hashAlg"/> is selected.</summary>
    public bool Contains(ushort hashAlg, int index) => _banks.Any(b => b.HashAlg == hashAlg && b.Contains(index));

    /// <summary>Parses a TPML_PCR_SELECTION at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">Malformed: bad count, unknown bank, duplicate bank, bad sizeofSelect.</exception>
    public static PcrSelectionList Parse(ReadOnlySpan<byte> source, out int bytesConsumed)
    {
        var reader = new TpmReader(source);
        PcrSelectionList result = Read(ref reader, 0);
        bytesConsumed = reader.Position;
        return result;
    }

    /// <summary>Tries to parse a TPML_PCR_SELECTION; consumes nothing on failure.</summary>
    public static bool TryParse(ReadOnlySpan<byte> source, [NotNullWhen(true)] out PcrSelectionList? result, out int bytesConsumed)
    {
        try
        {
            result = Parse(source, out bytesConsumed);
            return true;
        }
        catch (TpmFormatException)
        {
            result = null;
            bytesConsumed = 0;
            return false;
        }
    }

    /// <summary>Writes the TPML_PCR_SELECTION encoding (sizeofSelect 3, or 4 when a PCR above 23 is selected).</summary>
    public void WriteTo(TpmWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.UInt32((uint)_banks.Length);
        foreach (PcrBankMask bank in _banks)
        {
            int size = bank.Mask > 0x00FF_FFFF ? 4 : 3;
            writer.UInt16(bank.HashAlg).Byte((byte)size);
            for (int i = 0; i < size; i++)
            {
                writer.Byte(unchecked((byte)(bank.Mask >> (8 * i))));
            }
        }
    }

    /// <summary>The TPML_PCR_SELECTION encoding.</summary>
    public byte[] ToBytes()
    {
        var writer = new TpmWriter(4 + (_banks.Length * 7));
        WriteTo(writer);
        return writer.ToArray();
    }

    internal static PcrSelectionList Read(ref TpmReader reader, int baseOffset)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32("TPML_PCR_SELECTION.count");
        if (count > MaxBanks)
        {
            TpmPublic.Fail("TPML_PCR_SELECTION.count", baseOffset + at, $"{count} banks exceed the maximum {MaxBanks}");
        }

        var banks = new PcrBankMask[count];
        for (int i = 0; i < banks.Length; i++)
        {
            at = reader.Position;
            ushort hash = reader.ReadUInt16("TPMS_PCR_SELECTION.hash");
            if (TpmHashAlgorithms.DigestSize(hash) == 0)
            {
                TpmPublic.Fail("TPMS_PCR_SELECTION.hash", baseOffset + at, $"0x{hash:X4} is not a hash algorithm");
            }

            for (int j = 0; j < i; j++)
            {
                if (banks[j].HashAlg == hash)
                {
                    TpmPublic.Fail("TPMS_PCR_SELECTION.hash", baseOffset + at, $"bank 0x{hash:X4} is selected twice");
                }
            }

            at = reader.Position;
            byte size = reader.ReadByte("TPMS_PCR_SELECTION.sizeofSelect");
            if (size is 0 or > MaxSelectBytes)
            {
                TpmPublic.Fail("TPMS_PCR_SELECTION.sizeofSelect", baseOffset + at, $"{size} is not in 1..{MaxSelectBytes}");
            }

            ReadOnlySpan<byte> bits = reader.ReadBytes(size, "TPMS_PCR_SELECTION.pcrSelect");
            uint mask = 0;
            for (int k = 0; k < bits.Length; k++)
            {
                mask |= (uint)bits[k] << (8 * k);
            }

            banks[i] = new PcrBankMask(hash, mask);
        }

        return new PcrSelectionList(banks);
    }
}
