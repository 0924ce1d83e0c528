using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Transparency.Internal;

namespace Attest.Transparency.Tiles;

/// <summary>
/// A c2sp.org/tlog-tiles resource: a hash tile <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> or an entry bundle
/// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>, relative to the log's prefix. Tiles have height 8: a hash tile of level
/// L holds up to 256 consecutive level-8·L node hashes; an entry bundle holds up to 256 consecutive entries.
/// </summary>
/// <remarks>
/// The index N is written in 3-digit groups, all but the last prefixed with <c>x</c> (1234067 is
/// <c>x001/x234/067</c>); L is 0 to 5 and W (partial tiles only) is 1 to 255, both without leading zeros.
/// Tree sizes are capped at <see cref="MaxTreeSize"/> so that levels 0 to 5 suffice. Use the factory methods; the
/// default value is not a valid path.
/// </remarks>
public readonly record struct TilePath
{
    /// <summary>The tile height: each tile spans 8 tree levels.</summary>
    public const int Height = 8;

    /// <summary>The number of hashes in a full hash tile, or entries in a full bundle.</summary>
    public const int FullWidth = 1 << Height;

    /// <summary>The highest hash tile level.</summary>
    public const int MaxLevel = 5;

    /// <summary>The largest tree a tiled log can describe: 2^48 − 1 leaves (level-5 tiles hold level-40 hashes).</summary>
    public const long MaxTreeSize = (1L << ((MaxLevel + 1) * Height)) - 1;

    /// <summary>The longest path this type formats or parses, in characters.</summary>
    public const int MaxPathLength = 64;

    private TilePath(int level, long index, int width, bool isEntries)
    {
        Level = level;
        Index = index;
        Width = width;
        IsEntries = isEntries;
    }

    /// <summary>The tile level (0 to 5); 0 for entry bundles.</summary>
    public int Level { get; }

    /// <summary>The tile's index within its level.</summary>
    public long Index { get; }

    /// <summary>The number of hashes (or entries): 256 for a full tile, 1 to 255 for a partial one.</summary>
    public int Width { get; }

    /// <summary>Whether this is an entry bundle rather than a hash tile.</summary>
    public bool IsEntries { get; }

    /// <summary>Whether this is a partial (right-edge) tile.</summary>
    public bool IsPartial => Width < FullWidth;

    /// <summary>The exact byte length of a hash tile of this width (32 bytes per hash); 0 for entry bundles, whose length varies.</summary>
    public int HashTileLength => IsEntries ? 0 : Width * Merkle.MerkleHash.Size;

    /// <summary>Names a hash tile.</summary>
    /// <param name="level">The tile level, 0 to 5.</param>
    /// <param name="index">The tile index within the level.</param>
    /// <param name="width">1 to 256 hashes; 256 (the default) for a full tile.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static TilePath Hash(int level, long index, int width = FullWidth)
    {
        if (level is < 0 or > MaxLevel)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(level), $"Tile level {level} is not in 0..{MaxLevel}.");
        }

        Validate(level, index, width);
        return new TilePath(level, index, width, isEntries: false);
    }

    /// <summary>Names an entry bundle.</summary>
    /// <param name="index">The bundle index (entries <c>256·index</c> onwards).</param>
    /// <param name="width">1 to 256 entries; 256 (the default) for a full bundle.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static TilePath Entries(long index, int width = FullWidth)
    {
        Validate(0, index, width);
        return new TilePath(0, index, width, isEntries: true);
    }

    /// <summary>Formats the path, for example <c>tile/0/x001/x234/067.p/8</c> or <c>tile/entries/000</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(MaxPathLength);
        builder.Append("tile/");
        if (IsEntries)
        {
            builder.Append("entries");
        }
        else
        {
            builder.Append(Level.ToString(CultureInfo.InvariantCulture));
        }

        builder.Append('/');
        var digits = Index.ToString(CultureInfo.InvariantCulture);
        var pad = (3 - (digits.Length % 3)) % 3;
        digits = new string('0', pad) + digits;
        for (var i = 0; i < digits.Length; i += 3)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            if (i + 3 < digits.Length)
            {
                builder.Append('x');
            }

            builder.Append(digits, i, 3);
        }

        if (IsPartial)
        {
            builder.Append(".p/").Append(Width.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Parses a tile path strictly (see the remarks on <see cref="TilePath"/>).</summary>
    /// <param name="path">The path, starting with <c>tile/</c>.</param>
    /// <exception cref="FormatException">The path is not a canonical tile path; the message says what is wrong.</exception>
    public static TilePath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!TryParse(path, out var tile, out var error))
        {
            ThrowHelper.ThrowFormat($"Invalid tile path '{Truncate(path)}': {error}");
        }

        return tile;
    }

    /// <summary>Parses a tile path strictly.</summary>
    /// <param name="path">The candidate path.</param>
    /// <param name="tile">The parsed path, or the default value on failure.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse(ReadOnlySpan<char> path, out TilePath tile) => TryParse(path, out tile, out _);

    private static bool TryParse(ReadOnlySpan<char> path, out TilePath tile, [NotNullWhen(false)] out string? error)
    {
        tile = default;
        if (path.Length > MaxPathLength)
        {
            error = $"longer than {MaxPathLength} characters";
            return false;
        }

        if (!path.StartsWith("tile/", StringComparison.Ordinal))
        {
            error = "does not start with 'tile/'";
            return false;
        }

        var rest = path[5..];
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            error = "missing the index after the level";
            return false;
        }

        var levelText = rest[..slash];
        rest = rest[(slash + 1)..];
        bool isEntries;
        var level = 0;
        if (levelText.SequenceEqual("entries"))
        {
            isEntries = true;
        }
        else if (levelText.Length == 1 && levelText[0] is >= '0' and <= (char)('0' + MaxLevel))
        {
            isEntries = false;
            level = levelText[0] - '0';
        }
        else
        {
            error = $"level must be 'entries' or a digit 0..{MaxLevel} without leading zeros";
            return false;
        }

        // Split off a partial-tile suffix ".p/<W>", which may only follow the last index group.
        var width = FullWidth;
        var dot = rest.IndexOf('.');
        if (dot >= 0)
        {
            var suffix = rest[dot..];
            rest = rest[..dot];
            if (!suffix.StartsWith(".p/", StringComparison.Ordinal))
            {
                error = "a suffix after the index must be '.p/<width>'";
                return false;
            }

            var widthText = suffix[3..];
            if (widthText.Length is 0 or > 3 || widthText[0] == '0' || !IsDigits(widthText))
            {
                error = "partial width must be a decimal number 1..255 without leading zeros";
                return false;
            }

            width = int.Parse(widthText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (width >= FullWidth)
            {
                error = "partial width must be below 256";
                return false;
            }
        }

        // Index groups: "xDDD/" ... "DDD".
        long index = 0;
        var groups = 0;
        while (true)
        {
            var last = !rest.StartsWith('x');
            var group = last ? rest : rest[1..];
            if (group.Length < 3 || !IsDigits(group[..3]))
            {
                error = "index groups must be three digits";
                return false;
            }

            var value = ((group[0] - '0') * 100) + ((group[1] - '0') * 10) + (group[2] - '0');
            if (groups == 0 && value == 0 && !last)
            {
                error = "index has a leading zero group";
                return false;
            }

            // At most 6 groups keep the index below 10^18, inside a long.
            if (++groups > 6)
            {
                error = "index has too many groups";
                return false;
            }

            index = (index * 1000) + value;
            if (last)
            {
                if (group.Length != 3)
                {
                    error = "unexpected characters after the last index group";
                    return false;
                }

                break;
            }

            if (group.Length < 4 || group[3] != '/')
            {
                error = "an 'x' group must be followed by '/'";
                return false;
            }

            rest = group[4..];
        }

        if (!TryValidate(level, index, width, out error))
        {
            return false;
        }

        tile = new TilePath(level, index, width, isEntries);
        return true;
    }

    private static void Validate(int level, long index, int width)
    {
        if (!TryValidate(level, index, width, out var error))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), error);
        }
    }

    private static bool TryValidate(int level, long index, int width, [NotNullWhen(false)] out string? error)
    {
        if (width is < 1 or > FullWidth)
        {
            error = $"width {width} is not in 1..{FullWidth}";
            return false;
        }

        // The tile's first hash is node (8·level, 256·index); it must lie inside a tree of at most MaxTreeSize leaves.
        var maxIndex = MaxTreeSize >> ((level + 1) * Height);
        if (index < 0 || index > maxIndex)
        {
            error = $"index {index} is not in 0..{maxIndex} for level {level}";
            return false;
        }

        error = null;
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string Truncate(string text) => text.Length <= MaxPathLength ? text : string.Concat(text.AsSpan(0, MaxPathLength), "...");
}
