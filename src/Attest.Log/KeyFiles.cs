using System.Text;

namespace Attest.Log;

/// <summary>Reads and creates the small secret files the log keeps (keys, tokens): created owner-only (0600), never logged.</summary>
public static class KeyFiles
{
    /// <summary>Reads the trimmed text of <paramref name="path"/>, or creates it with <paramref name="create"/>'s text (mode 0600).</summary>
    /// <returns>The text and whether the file was created now.</returns>
    public static (string Text, bool Created) ReadOrCreate(string path, Func<string> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (File.Exists(path))
        {
            return (File.ReadAllText(path, Encoding.UTF8).Trim(), false);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var text = create();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text + "\n"));
            stream.Flush(flushToDisk: true);
        }

        return (text, true);
    }
}
