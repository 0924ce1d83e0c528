using System.Runtime.InteropServices;

namespace Attest.Agent.Core.Internal;

/// <summary>
/// The few calls of the system's SQLite library (the one Nix itself links) needed to read Nix's store database
/// read-only. Loading fails cleanly (<see cref="DllNotFoundException"/>/<see cref="EntryPointNotFoundException"/>)
/// where the library is not on the loader's path, e.g. on NixOS; callers then fall back to the Nix CLI.
/// </summary>
internal static partial class Sqlite
{
    private const string Library = "libsqlite3.so.0";

    // https://sqlite.org/c3ref/c_open_autoproxy.html
    public const int OpenReadOnly = 0x00000001;
    public const int OpenUri = 0x00000040;
    public const int OpenNoMutex = 0x00008000;

    // https://sqlite.org/rescode.html
    public const int Ok = 0;
    public const int Row = 100;
    public const int Done = 101;

    // https://sqlite.org/c3ref/c_blob.html
    public const int Null = 5;

    [LibraryImport(Library, EntryPoint = "sqlite3_open_v2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string filename, out IntPtr db, int flags, IntPtr vfs);

    [LibraryImport(Library, EntryPoint = "sqlite3_close_v2")]
    public static partial int Close(IntPtr db);

    [LibraryImport(Library, EntryPoint = "sqlite3_busy_timeout")]
    public static partial int BusyTimeout(IntPtr db, int milliseconds);

    [LibraryImport(Library, EntryPoint = "sqlite3_errmsg")]
    public static partial IntPtr ErrorMessage(IntPtr db);

    [LibraryImport(Library, EntryPoint = "sqlite3_prepare_v2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Prepare(IntPtr db, string sql, int length, out IntPtr statement, IntPtr tail);

    [LibraryImport(Library, EntryPoint = "sqlite3_finalize")]
    public static partial int Finalize(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    public static partial int Reset(IntPtr statement);

    // SQLITE_TRANSIENT (-1): SQLite copies the text, so the marshalled buffer may be freed after the call.
    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BindText(IntPtr statement, int index, string value, int length, IntPtr destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    public static partial int BindInt64(IntPtr statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    public static partial int ColumnType(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    public static partial long ColumnInt64(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_text")]
    public static partial IntPtr ColumnText(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    public static partial int ColumnBytes(IntPtr statement, int column);

    /// <summary>The SQLITE_TRANSIENT destructor value: SQLite makes its own copy of bound text.</summary>
    public static IntPtr Transient => new(-1);

    /// <summary>The connection's last error message.</summary>
    public static string LastError(IntPtr db) => Marshal.PtrToStringUTF8(ErrorMessage(db)) ?? "unknown SQLite error";

    /// <summary>A text column, or null for SQL NULL; at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="InvalidDataException">The value is longer than <paramref name="maxBytes"/>.</exception>
    public static string? ColumnString(IntPtr statement, int column, int maxBytes)
    {
        if (ColumnType(statement, column) == Null)
        {
            return null;
        }

        // sqlite3_column_text first, then sqlite3_column_bytes: https://sqlite.org/c3ref/column_blob.html
        var text = ColumnText(statement, column);
        var length = ColumnBytes(statement, column);
        if (length > maxBytes)
        {
            throw new InvalidDataException($"column {column} holds {length} bytes; the limit is {maxBytes}");
        }

        return text == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(text, length);
    }
}
