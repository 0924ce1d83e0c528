using System.Diagnostics;
using System.Globalization;
using Attest.Nix.Nar;

namespace Attest.Benchmarks;

/// <summary>
/// <c>nar-hash [--repeat N] PATH</c>: hashes PATH like <c>nix hash path</c> and prints, per run,
/// <c>sha256:&lt;nix32&gt; &lt;narSize&gt; &lt;seconds&gt; &lt;GB/s&gt;</c>; used by bench/scripts/nar-compare.sh to time
/// ours next to Nix's own tools in one run.
/// </summary>
internal static class NarHashCommand
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || args[0] != "nar-hash")
        {
            return false;
        }

        var repeat = 1;
        string? path = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--repeat" && i + 1 < args.Length)
            {
                repeat = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                path = args[i];
            }
        }

        if (path is null || repeat < 1)
        {
            Console.Error.WriteLine("usage: nar-hash [--repeat N] PATH");
            exitCode = 2;
            return true;
        }

        for (var run = 0; run < repeat; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            var result = NarHasher.HashPath(path);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Hash} {result.Size} {seconds:F4} {result.Size / seconds / 1e9:F3}"));
        }

        return true;
    }
}
