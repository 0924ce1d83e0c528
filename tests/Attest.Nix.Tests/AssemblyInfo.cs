using System.Runtime.Versioning;

// The cross-checks run the real Nix, which (like the NAR walker under test) is Linux-only here.
[assembly: SupportedOSPlatform("linux")]
