using Attest.Verifier.Logs;

namespace Attest.Verifier.Reports;

/// <summary>Feeds a <see cref="ReportBuilder"/> from a log's static tiles: verified checkpoint, then every entry bundle verified against it.</summary>
public static class ReportReader
{
    /// <summary>Reads every entry of the log's current verified checkpoint into <paramref name="builder"/>.</summary>
    /// <param name="log">The log.</param>
    /// <param name="builder">The report builder.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The size of the checkpoint read.</returns>
    /// <exception cref="LogIntegrityException">The checkpoint does not verify.</exception>
    /// <exception cref="Attest.Transparency.Tiles.TileVerificationException">A tile or bundle does not match the checkpoint.</exception>
    public static async Task<long> ReadAsync(TiledLog log, ReportBuilder builder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(builder);
        var verified = await log.GetVerifiedCheckpointAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var (_, entries) in TiledLog.ReadEntriesAsync(verified.Tiles, 0, cancellationToken).ConfigureAwait(false))
        {
            builder.AddBatch(entries);
        }

        var size = verified.Tiles.TreeSize;
        builder.AddLog(log.Log.Origin, size);
        return size;
    }
}
