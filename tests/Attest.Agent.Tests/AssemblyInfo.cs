using System.Runtime.Versioning;

// The agent under test is Linux-only (Nix, POSIX file semantics); so are its tests.
[assembly: SupportedOSPlatform("linux")]
