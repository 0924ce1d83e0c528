#!/usr/bin/env bash
# NAR hashing side by side, in one run, on the same trees with a warm page cache:
#   nix hash path (Nix's in-process hasher), nix-store --dump | sha256sum, and ours (Attest.Benchmarks nar-hash).
# Trees: one 1 GiB file and a copy of the .NET SDK folder. Prints GB/s (NAR bytes / wall seconds) per run and
# checks that all three agree on the hash.
#
# usage: [NICE=-10] bench/scripts/nar-compare.sh [work-dir] [runs]
#   NICE (root only) runs every measured tool at that niceness, so on a machine shared with other work all three
#   get the same, higher share of the CPU.
set -euo pipefail

work=${1:-/tmp/attest-nar-compare}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
nixcmd=(nix --extra-experimental-features nix-command)
prio=()
if [[ -n "${NICE:-}" ]]; then prio=(nice -n "$NICE"); fi

mkdir -p "$work"
if [[ ! -f "$work/large.bin" ]]; then
  head -c 1073741824 /dev/urandom > "$work/large.bin.tmp" && mv "$work/large.bin.tmp" "$work/large.bin"
fi
sdk_src=$(ls -d /usr/share/dotnet/sdk/*/ | sort | tail -n 1)
if [[ ! -d "$work/sdk" ]]; then
  cp -a "$sdk_src" "$work/sdk.tmp" && mv "$work/sdk.tmp" "$work/sdk"
fi

# Build into the work folder so concurrent builds of the benchmark project elsewhere do not interfere; retry
# once if a shared obj/ file is momentarily locked.
build() { dotnet build -c Release "$repo/bench/Attest.Benchmarks" -o "$work/bin" -v quiet -nologo > "$work/build.log" 2>&1; }
if ! build && ! { sleep 10; build; }; then
  cat "$work/build.log" >&2
  exit 1
fi
ours="$work/bin/Attest.Benchmarks"

gbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.3f", b / s / 1e9; else print "-" }'; }

# measure LABEL CMD...: wall, user and system seconds of CMD and its children (bash's time keyword).
measure() {
  local label=$1; shift
  local TIMEFORMAT='%R %U %S' timing
  timing=$( { time "${prio[@]}" "$@" > /dev/null 2>&1; } 2>&1 )
  read -r wall user sys <<< "$timing"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  echo "| $target | $label | $run | $wall | $(gbps "$nar_size" "$wall") | $cpu | $(gbps "$nar_size" "$cpu") |"
}

echo "# NAR hashing: ours vs Nix"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nix --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); niceness of the measured tools: ${NICE:-0}"
echo
echo "Wall GB/s = NAR bytes / wall seconds. CPU = user + system seconds of the tool and its children; under"
echo "contention from other processes CPU seconds (GB per CPU-second) compare the work each tool does."
echo
printf '| tree | tool | run | wall s | GB/s | CPU s | GB/CPU-s |\n|---|---|---|---|---|---|---|\n'

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
    measure "nix hash path" "${nixcmd[@]}" hash path --type sha256 "$path"
    measure "nix-store --dump \\| sha256sum" sh -c 'nix-store --dump "$1" | sha256sum' sh "$path"
    measure "ours (whole process)" "$ours" nar-hash "$path"
    read -r _ _ inproc _ < <("${prio[@]}" "$ours" nar-hash "$path")
    echo "| $target | ours (in-process hashing only) | $run | $inproc | $(gbps "$nar_size" "$inproc") | | |"
  done
  echo "| $target | NAR size $nar_size bytes, hash $our_hash | | | | | |"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
