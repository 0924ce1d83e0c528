using Attest.Benchmarks;
using BenchmarkDotNet.Running;

// `nar-hash PATH`: one-shot NAR hashing for bench/scripts/nar-compare.sh (timed next to Nix's own tools).
if (NarHashCommand.TryRun(args, out var exitCode))
{
    return exitCode;
}

// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
