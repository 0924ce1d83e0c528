using System.Runtime.Versioning;

// The agent drives Nix and relies on POSIX file semantics (rename, fsync of directories, file modes).
[assembly: SupportedOSPlatform("linux")]
