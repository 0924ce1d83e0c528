using Attest.Benchmarks;
using BenchmarkDotNet.Running;

// `nar-hash PATH`: one-shot NAR hashing for bench/scripts/nar-compare.sh (timed next to Nix's own tools).
if (NarHashCommand.TryRun(args, out var exitCode))
{
    return exitCode;
}

// `report-scale`: the real `attest-verify report` over a generated log of 10^6 attestations (bench/figures/report.md).
if (VerifierReportScale.TryRun(args, out exitCode))
{
    return exitCode;
}

// Run: dotnet run -c Release --project bench/Attest.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
