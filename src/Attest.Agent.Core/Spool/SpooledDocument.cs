namespace Attest.Agent.Core.Spool;

/// <summary>A document waiting in the outbox.</summary>
/// <param name="Name">File name in the outbox: <c>&lt;UTC time&gt;-&lt;sha256 hex&gt;.json</c>.</param>
/// <param name="FullPath">Absolute path of the file.</param>
public readonly record struct SpooledDocument(string Name, string FullPath)
{
    /// <summary>The name without the <c>.json</c> extension, used to name receipts and dead-letter reasons.</summary>
    public string Stem => Path.GetFileNameWithoutExtension(Name);
}
