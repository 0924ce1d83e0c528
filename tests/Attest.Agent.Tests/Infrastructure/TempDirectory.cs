namespace Attest.Agent.Tests.Infrastructure;

/// <summary>A fresh directory under /tmp, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "attest-agent-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mount point or busy file: leave it for the OS to clean up with /tmp.
        }
        catch (UnauthorizedAccessException)
        {
            // Tests that make files unreadable restore the mode first; anything left is harmless under /tmp.
        }
    }
}
