using System.Runtime.InteropServices;

namespace Attest.Nix.Internal;

/// <summary>The few Linux libc calls the NAR walker needs (x86-64 and arm64 share these constants).</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const int ORdOnly = 0;
    public const int ONonBlock = 0x800;
    public const int ODirectory = 0x10000;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;

    public const uint StatxType = 0x1;
    public const uint StatxMode = 0x2;
    public const uint StatxSize = 0x200;

    public const int SIfMt = 0xF000;
    public const int SIfSock = 0xC000;
    public const int SIfLnk = 0xA000;
    public const int SIfReg = 0x8000;
    public const int SIfBlk = 0x6000;
    public const int SIfDir = 0x4000;
    public const int SIfChr = 0x2000;
    public const int SIfIfo = 0x1000;
    public const int SIxUsr = 0x40;

    public const byte DtUnknown = 0;
    public const byte DtDir = 4;
    public const byte DtReg = 8;
    public const byte DtLnk = 10;

    public const int EIntr = 4;
    public const int ENoEnt = 2;
    public const int EAcces = 13;
    public const int EPerm = 1;

    /// <summary>Whether the current platform is one these constants are right for.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirFd, byte* path, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int StatX(int dirFd, byte* path, int flags, uint mask, StatXBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadLinkAt(int dirFd, byte* path, byte* buffer, nuint size);

    /// <summary>struct statx (linux/stat.h): fixed layout on every architecture, 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatXBuffer
    {
        [FieldOffset(0)]
        public uint Mask;

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(40)]
        public ulong Size;
    }
}
