using System.Runtime.Versioning;

// The end-to-end tests drive the Linux-only agent (Nix, swtpm, POSIX file modes); every test here needs Linux anyway.
[assembly: SupportedOSPlatform("linux")]
