using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Agent.Core.Internal;

namespace Attest.Agent.Core.Spool;

/// <summary>
/// The agent's durable spool: <c>outbox/</c> holds signed documents not yet accepted by every log,
/// <c>delivered/</c> small receipts of accepted ones, <c>dead/</c> documents a log refused for good with the
/// reason, and two state files. Every file appears atomically (see <see cref="PosixFile.WriteAtomically"/>), so
/// readers never see a partial document; temporary files left by a killed writer are ignored and removed by
/// <see cref="CleanTemporaryFiles"/>.
/// </summary>
public sealed class Outbox
{
    /// <summary>Largest document accepted into the spool (the log's entry limit is 65,535 bytes).</summary>
    public const int MaxDocumentBytes = 1 << 20;

    private const UnixFileMode DocumentMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private readonly TimeProvider _time;

    /// <summary>Creates an outbox over a spool directory (nothing is touched until used).</summary>
    /// <param name="spoolDirectory">The spool directory.</param>
    /// <param name="time">The clock used to name documents; the system clock by default.</param>
    public Outbox(string spoolDirectory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(spoolDirectory);
        SpoolDirectory = Path.GetFullPath(spoolDirectory);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The spool directory.</summary>
    public string SpoolDirectory { get; }

    /// <summary>Documents waiting for delivery.</summary>
    public string PendingDirectory => Path.Combine(SpoolDirectory, "outbox");

    /// <summary>Receipts of delivered documents.</summary>
    public string DeliveredDirectory => Path.Combine(SpoolDirectory, "delivered");

    /// <summary>Documents refused by a log for good, each with a <c>.reason.json</c>.</summary>
    public string DeadLetterDirectory => Path.Combine(SpoolDirectory, "dead");

    /// <summary>Creates the spool's directories if they do not exist.</summary>
    /// <exception cref="SpoolException">They cannot be created.</exception>
    public void EnsureCreated()
    {
        try
        {
            const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
            foreach (var directory in new[] { SpoolDirectory, PendingDirectory, DeliveredDirectory, DeadLetterDirectory })
            {
                if (!Directory.Exists(directory))
                {
                    Directory.CreateDirectory(directory, mode);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpoolException($"Cannot create spool directory '{SpoolDirectory}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes a document into the outbox atomically and durably. On failure nothing is left in the outbox.
    /// </summary>
    /// <param name="document">The document bytes (canonical JSON).</param>
    /// <returns>The spooled document.</returns>
    /// <exception cref="SpoolException">The write failed (for example the disk is full).</exception>
    public SpooledDocument Enqueue(ReadOnlySpan<byte> document)
    {
        if (document.IsEmpty || document.Length > MaxDocumentBytes)
        {
            throw new SpoolException(
                $"A spooled document must be 1 to {MaxDocumentBytes} bytes; this one is {document.Length}.");
        }

        EnsureCreated();
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{_time.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(SHA256.HashData(document))}.json");
        try
        {
            PosixFile.WriteAtomically(PendingDirectory, name, document, DocumentMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpoolException($"Cannot write attestation to the outbox '{PendingDirectory}': {e.Message}", e);
        }

        return new SpooledDocument(name, Path.Combine(PendingDirectory, name));
    }

    /// <summary>Lists the outbox in the order documents were written; temporary files are not listed.</summary>
    /// <returns>The pending documents.</returns>
    public IReadOnlyList<SpooledDocument> ListPending()
    {
        if (!Directory.Exists(PendingDirectory))
        {
            return [];
        }

        var result = new List<SpooledDocument>();
        foreach (var path in Directory.EnumerateFiles(PendingDirectory, "*.json"))
        {
            var name = Path.GetFileName(path);
            if (!name.StartsWith(PosixFile.TemporaryPrefix, StringComparison.Ordinal))
            {
                result.Add(new SpooledDocument(name, path));
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>Counts documents waiting in the outbox.</summary>
    /// <returns>The count.</returns>
    public int CountPending() => ListPending().Count;

    /// <summary>Counts dead letters.</summary>
    /// <returns>The count.</returns>
    public int CountDeadLetters() => Directory.Exists(DeadLetterDirectory)
        ? Directory.EnumerateFiles(DeadLetterDirectory, "*.json").Count(p => !p.EndsWith(".reason.json", StringComparison.Ordinal))
        : 0;

    /// <summary>Reads a pending document.</summary>
    /// <param name="document">The document.</param>
    /// <returns>Its bytes.</returns>
    /// <exception cref="SpoolException">It cannot be read or is larger than <see cref="MaxDocumentBytes"/>.</exception>
    public static byte[] Read(SpooledDocument document)
    {
        try
        {
            var length = new FileInfo(document.FullPath).Length;
            if (length > MaxDocumentBytes)
            {
                throw new SpoolException(
                    $"Spooled document '{document.FullPath}' is {length} bytes; the limit is {MaxDocumentBytes}.");
            }

            return File.ReadAllBytes(document.FullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpoolException($"Cannot read spooled document '{document.FullPath}': {e.Message}", e);
        }
    }

    /// <summary>Whether a receipt from <paramref name="logKey"/> exists for <paramref name="document"/>.</summary>
    /// <param name="document">The document.</param>
    /// <param name="logKey">The log's key (<see cref="LogKey"/>).</param>
    /// <returns><see langword="true"/> if that log has accepted the document.</returns>
    public bool HasReceipt(SpooledDocument document, string logKey) => File.Exists(ReceiptPath(document, logKey));

    /// <summary>Records durably that a log accepted a document.</summary>
    /// <param name="document">The document.</param>
    /// <param name="receipt">The log's answer.</param>
    public void WriteReceipt(SpooledDocument document, DeliveryReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        EnsureCreated();
        PosixFile.WriteAtomically(DeliveredDirectory, Path.GetFileName(ReceiptPath(document, LogKey(receipt.Log))),
            JsonSerializer.SerializeToUtf8Bytes(receipt, SpoolJsonContext.Default.DeliveryReceipt), DocumentMode);
    }

    /// <summary>Reads every receipt in <c>delivered/</c> (unreadable ones are skipped).</summary>
    /// <returns>The receipts.</returns>
    public IReadOnlyList<DeliveryReceipt> ReadReceipts()
    {
        if (!Directory.Exists(DeliveredDirectory))
        {
            return [];
        }

        var receipts = new List<DeliveryReceipt>();
        foreach (var path in Directory.EnumerateFiles(DeliveredDirectory, "*.receipt.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(path), SpoolJsonContext.Default.DeliveryReceipt) is { } receipt)
                {
                    receipts.Add(receipt);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                // A receipt is informational; the log is the record.
            }
        }

        return receipts;
    }

    /// <summary>Removes a document every log has accepted from the outbox.</summary>
    /// <param name="document">The document.</param>
    public static void Complete(SpooledDocument document) => PosixFile.DeleteDurably(document.FullPath);

    /// <summary>Moves a document a log refused for good to <c>dead/</c>, next to the reason.</summary>
    /// <param name="document">The document.</param>
    /// <param name="reason">Why it was refused.</param>
    public void DeadLetter(SpooledDocument document, DeadLetterReason reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        EnsureCreated();
        // The reason first: a crash between the two steps leaves the document pending (retried) with a stale
        // reason file, never a dead letter without its reason.
        PosixFile.WriteAtomically(DeadLetterDirectory, document.Stem + ".reason.json",
            JsonSerializer.SerializeToUtf8Bytes(reason, SpoolJsonContext.Default.DeadLetterReason), DocumentMode);
        PosixFile.MoveDurably(document.FullPath, Path.Combine(DeadLetterDirectory, document.Name));
    }

    /// <summary>
    /// Removes temporary files left by writers that were killed mid-write: those whose process is gone, and any
    /// older than <paramref name="maxAge"/>.
    /// </summary>
    /// <param name="maxAge">Age after which a temporary file is removed even if its process id is in use.</param>
    /// <returns>The number of files removed.</returns>
    public int CleanTemporaryFiles(TimeSpan maxAge)
    {
        var removed = 0;
        foreach (var directory in new[] { PendingDirectory, DeliveredDirectory, DeadLetterDirectory, SpoolDirectory })
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var path in Directory.EnumerateFiles(directory, PosixFile.TemporaryPrefix + "*"))
            {
                if (IsAbandoned(path, maxAge))
                {
                    PosixFile.TryDelete(path);
                    removed += File.Exists(path) ? 0 : 1;
                }
            }
        }

        return removed;
    }

    /// <summary>A short stable key naming a log in receipt file names.</summary>
    /// <param name="log">The log's base URL.</param>
    /// <returns>16 hex characters.</returns>
    public static string LogKey(Uri log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(log.AbsoluteUri)))[..16];
    }

    private string ReceiptPath(SpooledDocument document, string logKey) =>
        Path.Combine(DeliveredDirectory, $"{document.Stem}.{logKey}.receipt.json");

    private bool IsAbandoned(string path, TimeSpan maxAge)
    {
        var name = Path.GetFileName(path).AsSpan(PosixFile.TemporaryPrefix.Length);
        var dash = name.IndexOf('-');
        var writerAlive = dash > 0
            && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}"));
        if (!writerAlive)
        {
            return true;
        }

        try
        {
            return _time.GetUtcNow() - File.GetLastWriteTimeUtc(path) > maxAge;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
