using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Tiles;

/// <summary>
/// c2sp.org/tlog-tiles entry bundles: up to 256 entries, each preceded by its length as a big-endian 16-bit integer,
/// so an entry is at most 65,535 bytes. Reading follows the System.Formats.Asn1 shape: static methods over spans
/// that report <c>bytesConsumed</c>, with <c>Try*</c> twins; a failed read consumes nothing.
/// </summary>
public static class EntryBundle
{
    /// <summary>The largest entry a bundle can carry.</summary>
    public const int MaxEntryLength = ushort.MaxValue;

    /// <summary>The most entries in one bundle.</summary>
    public const int MaxEntries = TilePath.FullWidth;

    /// <summary>The largest possible bundle: 256 entries of 65,535 bytes with their 2-byte lengths.</summary>
    public const int MaxBundleLength = MaxEntries * (2 + MaxEntryLength);

    /// <summary>Reads one length-prefixed entry from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The remaining bundle bytes.</param>
    /// <param name="bytesConsumed">The length prefix plus the entry.</param>
    /// <returns>The entry, a slice of <paramref name="source"/>.</returns>
    /// <exception cref="InvalidDataException">The length prefix is truncated or exceeds the remaining bytes.</exception>
    public static ReadOnlySpan<byte> ReadEntry(ReadOnlySpan<byte> source, out int bytesConsumed)
    {
        if (!TryReadEntry(source, out var entry, out bytesConsumed, out var error))
        {
            ThrowHelper.ThrowInvalidData(error);
        }

        return entry;
    }

    /// <summary>Reads one length-prefixed entry; on failure consumes nothing.</summary>
    /// <param name="source">The remaining bundle bytes.</param>
    /// <param name="entry">The entry, a slice of <paramref name="source"/>.</param>
    /// <param name="bytesConsumed">The length prefix plus the entry, or 0 on failure.</param>
    /// <returns><see langword="true"/> when a whole entry was present.</returns>
    public static bool TryReadEntry(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> entry, out int bytesConsumed) =>
        TryReadEntry(source, out entry, out bytesConsumed, out _);

    /// <summary>
    /// Parses a whole bundle that must hold exactly <paramref name="expectedCount"/> entries and nothing after them
    /// (the count is the bundle's width, known from its path).
    /// </summary>
    /// <param name="bundle">The bundle bytes.</param>
    /// <param name="expectedCount">1 to 256.</param>
    /// <exception cref="InvalidDataException">The bundle is malformed; the message names the entry and offset.</exception>
    public static byte[][] Parse(ReadOnlySpan<byte> bundle, int expectedCount)
    {
        if (!TryParse(bundle, expectedCount, out var entries, out var error))
        {
            ThrowHelper.ThrowInvalidData(error);
        }

        return entries;
    }

    /// <summary>Parses a whole bundle of exactly <paramref name="expectedCount"/> entries.</summary>
    /// <param name="bundle">The bundle bytes.</param>
    /// <param name="expectedCount">1 to 256.</param>
    /// <param name="entries">The entries, or an empty array on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse(ReadOnlySpan<byte> bundle, int expectedCount, out byte[][] entries) =>
        TryParse(bundle, expectedCount, out entries, out _);

    /// <summary>Parses a whole bundle of exactly <paramref name="expectedCount"/> entries.</summary>
    /// <param name="bundle">The bundle bytes.</param>
    /// <param name="expectedCount">1 to 256.</param>
    /// <param name="entries">The entries, or an empty array on failure.</param>
    /// <param name="error">What was wrong, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse(ReadOnlySpan<byte> bundle, int expectedCount, out byte[][] entries, [NotNullWhen(false)] out string? error)
    {
        entries = [];
        if (expectedCount is < 1 or > MaxEntries)
        {
            error = $"a bundle holds 1..{MaxEntries} entries, {expectedCount} requested";
            return false;
        }

        if (bundle.Length > MaxBundleLength)
        {
            error = $"bundle of {bundle.Length} bytes exceeds the maximum {MaxBundleLength}";
            return false;
        }

        // The count comes from the caller (at most 256), never from the bytes.
        var result = new byte[expectedCount][];
        var offset = 0;
        for (var i = 0; i < expectedCount; i++)
        {
            if (!TryReadEntry(bundle[offset..], out var entry, out var consumed, out var entryError))
            {
                error = $"entry {i} at offset {offset}: {entryError}";
                return false;
            }

            result[i] = entry.ToArray();
            offset += consumed;
        }

        if (offset != bundle.Length)
        {
            error = $"{bundle.Length - offset} bytes remain after the {expectedCount} expected entries";
            return false;
        }

        entries = result;
        error = null;
        return true;
    }

    /// <summary>Encodes entries as a bundle.</summary>
    /// <param name="entries">1 to 256 entries of at most 65,535 bytes each.</param>
    /// <exception cref="ArgumentException">Too many or too few entries, or an entry is too long.</exception>
    public static byte[] Encode(IReadOnlyList<ReadOnlyMemory<byte>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count is 0 or > MaxEntries)
        {
            ThrowHelper.ThrowArgument(nameof(entries), $"A bundle holds 1..{MaxEntries} entries, got {entries.Count}.");
        }

        var length = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            CheckEntryLength(entries[i].Length, i);
            length += 2 + entries[i].Length;
        }

        var bundle = new byte[length];
        var offset = 0;
        foreach (var entry in entries)
        {
            offset += WriteEntry(entry.Span, bundle.AsSpan(offset));
        }

        return bundle;
    }

    /// <summary>Writes one length-prefixed entry.</summary>
    /// <param name="entry">At most 65,535 bytes.</param>
    /// <param name="destination">At least <c>2 + entry.Length</c> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteEntry(ReadOnlySpan<byte> entry, Span<byte> destination)
    {
        CheckEntryLength(entry.Length, 0);
        if (destination.Length < 2 + entry.Length)
        {
            ThrowHelper.ThrowArgument(nameof(destination), $"Writing an entry of {entry.Length} bytes needs {2 + entry.Length} bytes, got {destination.Length}.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)entry.Length);
        entry.CopyTo(destination[2..]);
        return 2 + entry.Length;
    }

    private static void CheckEntryLength(int length, int index)
    {
        if (length > MaxEntryLength)
        {
            ThrowHelper.ThrowArgument("entries", $"Entry {index} is {length} bytes; a bundle entry is at most {MaxEntryLength}.");
        }
    }

    private static bool TryReadEntry(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> entry, out int bytesConsumed, [NotNullWhen(false)] out string? error)
    {
        entry = default;
        bytesConsumed = 0;
        if (source.Length < 2)
        {
            error = $"a 2-byte length is needed, {source.Length} bytes remain";
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(source);
        if (length > source.Length - 2)
        {
            error = $"entry length {length} exceeds the {source.Length - 2} bytes remaining";
            return false;
        }

        entry = source.Slice(2, length);
        bytesConsumed = 2 + length;
        error = null;
        return true;
    }
}
