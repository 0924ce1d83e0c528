namespace Attest.Provenance.Json;

/// <summary>
/// Limits applied while canonicalizing untrusted JSON. Every limit is checked before the corresponding memory is
/// used, so a hostile input costs at most <see cref="MaxInputBytes"/> plus <see cref="MaxOutputBytes"/> of work.
/// </summary>
public sealed record JsonCanonicalizationOptions
{
    /// <summary>The entry limit of the transparency log (C2SP tlog-tiles entry bundles use 16-bit lengths).</summary>
    public const int LogEntryLimit = 65_535;

    /// <summary>Gets options with the log's limits: 65,535 bytes in and out, depth 32, 4,096 elements.</summary>
    public static JsonCanonicalizationOptions Default { get; } = new();

    /// <summary>Gets the largest accepted input, in bytes.</summary>
    public int MaxInputBytes { get; init; } = LogEntryLimit;

    /// <summary>Gets the largest canonical output, in bytes (number re-formatting can make output longer).</summary>
    public int MaxOutputBytes { get; init; } = LogEntryLimit;

    /// <summary>Gets the deepest accepted nesting of objects and arrays (the top-level value is depth 1).</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Gets the most members one object, or items one array, may hold.</summary>
    public int MaxContainerElements { get; init; } = 4_096;

    /// <summary>Gets the most values (scalars and containers, at any depth) the whole document may hold.</summary>
    public int MaxTotalValues { get; init; } = 32_768;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxInputBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutputBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDepth, 256);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxContainerElements);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTotalValues);
    }
}
