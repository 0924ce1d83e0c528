using System.Globalization;
using Attest.LoadGen;

// attest-loadgen: a load generator for the log server, run as its own process over loopback.
//   generate --url U --admin-token T --out FILE --count N [--builders K]   register K new builder keys (seeds in FILE.keys), write N signed attestations
//   register --url U --admin-token T --keys FILE.keys                      register an earlier run's builder keys with a fresh log
//   run      --url U --docs FILE --duration S [--concurrency C | --rate R [--connections C]] [--skip N] [--count N]   closed-loop throughput, or open-loop at R/s
//   proofs   --url U --count N [--concurrency C]                            inclusion-proof latency at the current size
//   fill     --data-dir D --origin O --entries N                            append N synthetic entries through the engine (server stopped)
// The generator shares the server's two cores, so it should cost as little as it can. Its work per response is a few
// microseconds, so socket completions run inline on the runtime's epoll threads instead of being handed to thread-pool
// workers (one wake-up and context switch less per request). The runtime reads this once, before the first socket.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: attest-loadgen generate|register|run|proofs|fill [options]; see bench/figures/log.md");
    return 1;
}

var options = Options.Parse(args.AsSpan(1));
return args[0] switch
{
    "generate" => await Generate.RunAsync(options),
    "register" => await Generate.RegisterAsync(options),
    "run" => await Load.RunAsync(options),
    "proofs" => await Proofs.RunAsync(options),
    "fill" => await Fill.RunAsync(options),
    _ => 1,
};

namespace Attest.LoadGen
{
    internal sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(ReadOnlySpan<string> args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"expected an option, got '{args[i]}'");
                }

                values[args[i][2..]] = args[i + 1];
            }

            return new Options(values);
        }

        public string String(string name, string? fallback = null) =>
            values.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is required");

        public long Long(string name, long? fallback = null) =>
            values.TryGetValue(name, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : fallback ?? throw new ArgumentException($"--{name} is required");

        public double Double(string name, double fallback) =>
            values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

        public bool Has(string name) => values.ContainsKey(name);
    }
}
