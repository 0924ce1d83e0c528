#!/usr/bin/env bash
# NAR hashing side by side, in one run, on the same trees with a warm page cache:
#   nix hash path (Nix's in-process hasher), nix-store --dump | sha256sum, and ours (Attest.Benchmarks nar-hash).
# Trees: one 1 GiB file and a copy of the .NET SDK folder. Prints GB/s (NAR bytes / wall seconds) per run and
# checks that all three agree on the hash.
#
# usage: bench/scripts/nar-compare.sh [work-dir] [runs]
set -euo pipefail

work=${1:-/tmp/attest-nar-compare}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
nixcmd=(nix --extra-experimental-features nix-command)

mkdir -p "$work"
if [[ ! -f "$work/large.bin" ]]; then
  head -c 1073741824 /dev/urandom > "$work/large.bin.tmp" && mv "$work/large.bin.tmp" "$work/large.bin"
fi
sdk_src=$(ls -d /usr/share/dotnet/sdk/*/ | sort | tail -n 1)
if [[ ! -d "$work/sdk" ]]; then
  cp -a "$sdk_src" "$work/sdk.tmp" && mv "$work/sdk.tmp" "$work/sdk"
fi

dotnet build -c Release "$repo/bench/Attest.Benchmarks" -v quiet -nologo > /dev/null
ours="$repo/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks"

now() { date +%s.%N; }
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.3f", b / s / 1e9 }'; }

echo "# NAR hashing: ours vs Nix"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nix --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| tree | tool | run | seconds | GB/s |\n|---|---|---|---|---|\n'

for target in large.bin sdk; do
  path="$work/$target"
  tar -cf - -C "$work" "$target" > /dev/null   # warm the page cache
  read -r our_hash nar_size _ _ < <("$ours" nar-hash "$path")
  nix_b32=$("${nixcmd[@]}" hash path --type sha256 --base32 "$path")
  dump_hex=$(nix-store --dump "$path" | sha256sum | cut -d' ' -f1)
  our_hex=$("${nixcmd[@]}" hash to-base16 "$our_hash")
  if [[ "sha256:$nix_b32" != "$our_hash" || "$dump_hex" != "$our_hex" ]]; then
    echo "MISMATCH on $target: ours $our_hash, nix hash path $nix_b32, nix-store --dump $dump_hex" >&2
    exit 1
  fi

  for run in $(seq 1 "$runs"); do
    t0=$(now); "${nixcmd[@]}" hash path --type sha256 "$path" > /dev/null; t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "| $target | nix hash path | $run | $s | $(gbps "$nar_size" "$s") |"

    t0=$(now); nix-store --dump "$path" | sha256sum > /dev/null; t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "| $target | nix-store --dump \\| sha256sum | $run | $s | $(gbps "$nar_size" "$s") |"

    t0=$(now); read -r _ _ inproc _ < <("$ours" nar-hash "$path"); t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "| $target | ours (process, incl. .NET start) | $run | $s | $(gbps "$nar_size" "$s") |"
    echo "| $target | ours (in-process hashing) | $run | $inproc | $(gbps "$nar_size" "$inproc") |"
  done
  echo "| $target | NAR size $nar_size bytes, hash $our_hash | | | |"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
