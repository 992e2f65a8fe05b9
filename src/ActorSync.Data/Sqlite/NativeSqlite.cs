using System.Runtime.InteropServices;

namespace ActorSync.Data.Sqlite;

/// <summary>
/// The few SQLite calls on the apply hot path, bound straight to the e_sqlite3 library that Microsoft.Data.Sqlite
/// already loaded, on raw statement pointers. SQLitePCL's wrappers add an interface call and SafeHandle
/// marshalling to every bind, and an apply makes one bind per value. The bind and column calls are short, never block
/// and never call back into .NET, so they skip the GC transition (measured: most of a verification read's cost);
/// sqlite3_step keeps it, since it runs SQL and may call our functions.
/// </summary>
internal static unsafe partial class NativeSqlite
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.</summary>
    private static readonly nint Transient = -1;

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_bind_double(nint statement, int index, double value);

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_bind_null(nint statement, int index);

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_bind_zeroblob(nint statement, int index, int size);

    [LibraryImport(Library), SuppressGCTransition] private static partial int sqlite3_bind_text(nint statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Library), SuppressGCTransition] private static partial int sqlite3_bind_blob(nint statement, int index, byte* blob, int length, nint destructor);

    [LibraryImport(Library)] internal static partial int sqlite3_step(nint statement);

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_column_type(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition] internal static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition] internal static partial double sqlite3_column_double(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition] private static partial byte* sqlite3_column_text(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition] private static partial byte* sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_column_bytes(nint statement, int column);

    internal const int Integer = 1, Float = 2, Text = 3, Blob = 4, Null = 5;

    /// <summary>A text column's UTF-8 bytes, valid until the next step (the text call must come before the length call).</summary>
    internal static ReadOnlySpan<byte> ColumnText(nint statement, int column)
    {
        var text = sqlite3_column_text(statement, column);
        return new ReadOnlySpan<byte>(text, sqlite3_column_bytes(statement, column));
    }

    internal static ReadOnlySpan<byte> ColumnBlob(nint statement, int column)
    {
        var blob = sqlite3_column_blob(statement, column);
        int length = sqlite3_column_bytes(statement, column);
        return length == 0 ? [] : new ReadOnlySpan<byte>(blob, length);
    }

    [LibraryImport(Library), SuppressGCTransition] internal static partial int sqlite3_reset(nint statement);

    /// <summary>Binds UTF-8 text; '' stays '' (a pointer to a zero-length buffer, never a null pointer).</summary>
    internal static int BindText(nint statement, int index, ReadOnlySpan<byte> utf8)
    {
        byte empty = 0;
        fixed (byte* text = utf8)
            return sqlite3_bind_text(statement, index, utf8.IsEmpty ? &empty : text, utf8.Length, Transient);
    }

    internal static int BindBlob(nint statement, int index, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return sqlite3_bind_zeroblob(statement, index, 0);
        fixed (byte* blob = bytes)
            return sqlite3_bind_blob(statement, index, blob, bytes.Length, Transient);
    }
}
