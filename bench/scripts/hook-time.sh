#!/usr/bin/env bash
# Whole-process post-build-hook time, as Nix runs it: the hook executable is started N times with the DRV_PATH,
# OUT_PATHS and NIX_CONFIG that Nix itself passed for an already built derivation (captured from a real build),
# and the wall time of each run (process start, runtime start-up, JIT, configuration, Nix queries, hashing,
# signing, spooling with fsync) is reported as median and p90.
#
# usage: bench/scripts/hook-time.sh [-n RUNS] [-w WORK_DIR] LABEL=AGENT_COMMAND...
#   AGENT_COMMAND is how the agent is started, e.g. '/opt/attest-agent/attest-agent' (the published apphost or
#   the Native AOT binary) or 'dotnet /tmp/old/attest-agent.dll'. Each gets a post-build-hook script exactly as
#   docs/agent.md installs it (exec AGENT_COMMAND hook --config FILE). Several agents are run round-robin in one
#   run, so a comparison sees the same machine load.
#   Example (ReadyToRun vs Native AOT in one run):
#     dotnet publish agent -c Release -o /tmp/agent-r2r
#     dotnet publish agent -c Release -r linux-x64 -p:PublishAot=true -o /tmp/agent-aot
#     bench/scripts/hook-time.sh -n 30 r2r=/tmp/agent-r2r/attest-agent aot=/tmp/agent-aot/attest-agent
# Needs root, Debian's nix-bin and a default store where sandbox=false builds work (as the agent tests do).
# The hook prints its own hashing time ("hashing N ms"); its median is reported next to the wall time, and so is
# the CPU time of each run (user + system, the hook and its children; python3 measures it): on a machine shared
# with other work it is the steadier figure.
set -euo pipefail

runs=20
work=/tmp/attest-hook-time
repo=$(cd "$(dirname "$0")/../.." && pwd)
while getopts "n:w:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    w) work=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS] [-w WORK_DIR] LABEL=AGENT_COMMAND..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [-n RUNS] [-w WORK_DIR] LABEL=AGENT_COMMAND..." >&2
  exit 2
fi

rm -rf "$work"
mkdir -p "$work"

# bench/scripts/two-outputs.nix, built once without the hook timing anything: only the environment Nix gives the hook
# is captured.
cat > "$work/capture-hook" <<EOF
#!/bin/sh
printf '%s' "\$DRV_PATH" > '$work/env.DRV_PATH'
printf '%s' "\$OUT_PATHS" > '$work/env.OUT_PATHS'
printf '%s' "\$NIX_CONFIG" > '$work/env.NIX_CONFIG'
EOF
chmod 0755 "$work/capture-hook"
salt=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
nix-build "$repo/bench/scripts/two-outputs.nix" --argstr name attest-hook-time --argstr salt "$salt" --no-out-link --option substituters '' --option sandbox false \
  --option post-build-hook "$work/capture-hook" > /dev/null
DRV_PATH=$(cat "$work/env.DRV_PATH")
OUT_PATHS=$(cat "$work/env.OUT_PATHS")
NIX_CONFIG=$(cat "$work/env.NIX_CONFIG")
export DRV_PATH OUT_PATHS NIX_CONFIG

labels=()
i=0
for spec in "$@"; do
  label=${spec%%=*}
  command=${spec#*=}
  dir="$work/agent-$i"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # AGENT_COMMAND is a command line by design.
  $command init --config "$dir/agent.json" --name "bench-$i" --key "$dir/builder.key" --spool "$dir/spool" > /dev/null 2>&1
  printf '#!/bin/sh\nexec %s hook --config %s\n' "$command" "$dir/agent.json" > "$dir/post-build-hook"
  chmod 0755 "$dir/post-build-hook"
  # One untimed run: page cache, and any state the agent keeps between runs (as on a builder that has run before).
  "$dir/post-build-hook" 2> "$dir/warm.err" || { cat "$dir/warm.err" >&2; exit 1; }
  if ! grep -q 'attested' "$dir/warm.err"; then
    cat "$dir/warm.err" >&2
    exit 1
  fi
  labels+=("$label")
  : > "$dir/times"
  : > "$dir/hashing"
  : > "$dir/cpu"
  i=$((i + 1))
done

# Each run is started by a small timer that reports the wall time and the CPU time (user + system) of the hook and
# its children in microseconds: GNU time's 10 ms resolution cannot tell a Native AOT hook's CPU time from zero.
# Linux derives the rusage totals from the scheduler's nanosecond runtime, so the sum is exact; the timer's own
# start-up lies outside both figures.
cat > "$work/timed.py" <<'EOF'
import resource, subprocess, sys, time
def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
# A delta: the interpreter's own start-up may already have waited for children of its own.
before = children_cpu()
start = time.perf_counter_ns()
status = subprocess.call(sys.argv[2:])
wall = (time.perf_counter_ns() - start) // 1000
cpu = round((children_cpu() - before) * 1_000_000)
with open(sys.argv[1], "w") as out:
    out.write(f"{wall} {cpu}\n")
sys.exit(status)
EOF
for ((run = 0; run < runs; run++)); do
  for ((j = 0; j < ${#labels[@]}; j++)); do
    dir="$work/agent-$j"
    python3 "$work/timed.py" "$work/run.last" "$dir/post-build-hook" 2> "$dir/last.err"
    cut -d' ' -f1 "$work/run.last" >> "$dir/times"
    cut -d' ' -f2 "$work/run.last" >> "$dir/cpu"
    sed -n 's/.*hashing \([0-9.]*\) ms.*/\1/p' "$dir/last.err" >> "$dir/hashing"
  done
done

# percentile FILE P: nearest-rank percentile of the numbers in FILE.
percentile() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'; }

echo "derivation: $DRV_PATH (OUT_PATHS lists $(wc -w <<< "$OUT_PATHS") paths); $runs runs each; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %10s %10s %10s %12s %12s\n' label 'median ms' 'p90 ms' 'min ms' 'max ms' 'hashing ms' 'CPU ms'
ms() { if [[ $1 == - ]]; then echo -; else awk '{ printf "%.1f", $1 / 1000 }' <<< "$1"; fi; }
for ((j = 0; j < ${#labels[@]}; j++)); do
  dir="$work/agent-$j"
  hashing=$(percentile "$dir/hashing" 50)
  printf '%-16s %10s %10s %10s %10s %12s %12s\n' "${labels[$j]}" "$(ms "$(percentile "$dir/times" 50)")" \
    "$(ms "$(percentile "$dir/times" 90)")" "$(ms "$(percentile "$dir/times" 0)")" "$(ms "$(percentile "$dir/times" 100)")" \
    "${hashing:--}" "$(ms "$(percentile "$dir/cpu" 50)")"
done
