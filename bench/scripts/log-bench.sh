#!/usr/bin/env bash
# The log server's benchmark, end to end: Release builds, a fresh log in a temp folder, realistic signed attestations
# from 64 builder keys, then
#   1. a 10 s closed-loop warm-up (JIT tiering; not reported),
#   2. the closed loop: sustained acknowledged (durable) entries/s over DURATION seconds, CONNECTIONS connections
#      (256 by default: each waits for its entry to be durable, so fewer connections leave the cores idle between batches),
#   3. the open loop at RATE entries/s for 30 s: acknowledgement latency from each request's scheduled time,
#   4. with FILL=N: a second log filled with N synthetic entries through the engine, then inclusion-proof latency
#      (client-side and server-side from /metrics) at that size.
# Server CPU per entry (utime+stime from /proc over each run) and the load generator's own CPU per request are
# printed beside each result: they are the figures that survive a busy machine.
#
# usage: [DURATION=60] [RATE=5000] [CONNECTIONS=256] [FILL=10000000] bench/scripts/log-bench.sh [work-dir]
set -euo pipefail

work=${1:-/tmp/attest-log-bench}
duration=${DURATION:-60}
rate=${RATE:-5000}
connections=${CONNECTIONS:-256}
fill=${FILL:-0}
repo=$(cd "$(dirname "$0")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

rm -rf "$work/log" "$work/proofs"
mkdir -p "$work/log" "$work/proofs"
echo "== building (Release) into $work/bin"
dotnet build -c Release "$repo/log-server" -o "$work/bin/server" -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
dotnet build -c Release "$repo/bench/Attest.LoadGen" -o "$work/bin/loadgen" -v quiet -nologo >> "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
server_dll="$work/bin/server/attest-log.dll"
loadgen() { dotnet "$work/bin/loadgen/attest-loadgen.dll" "$@"; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/"
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
server_pid=
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" || true
  fi
  server_pid=
}
trap stop_server EXIT

start_server() { # data-dir
  (cd "$1" && exec dotnet "$server_dll" --urls "${url%/}" --admin-token "$token" --data-dir "$1/data" > "$1/server.log" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sf "${url}health" > /dev/null && return 0; sleep 0.2; done
  echo "the server did not start:" >&2; cat "$1/server.log" >&2; exit 1
}

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"; }

# run LABEL loadgen-args...: one load-generator run with the server's CPU time and the load average around it.
run() {
  local label=$1; shift
  local before after load_before load_after out created
  before=$(cpu_seconds); load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  out=$(loadgen run --url "$url" --docs "$work/log/docs.bin" "$@")
  after=$(cpu_seconds); load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  created=$(sed -n 's/.*created=\([0-9]*\).*/\1/p' <<< "$out")
  if [[ "$label" != warm-up ]]; then
    echo "== $label"
    echo "$out"
    awk -v a="$before" -v b="$after" -v n="$created" 'BEGIN { if (n > 0) printf "server CPU: %.2f s for %d new entries = %.0f us per entry\n", b - a, n, (b - a) / n * 1e6 }'
    echo "load average before: $load_before; after: $load_after"
  fi
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_server "$work/log"
closed_docs=$(( duration * 12000 ))
open_docs=$(( rate * 30 ))
warm_docs=100000
echo "== generating $(( warm_docs + closed_docs + open_docs )) signed attestations from 64 builder keys"
loadgen generate --url "$url" --admin-token "$token" --out "$work/log/docs.bin" --count $(( warm_docs + closed_docs + open_docs )) --builders 64
# The document file is a few GB: write it out now, so its writeback does not compete with the log's fsyncs below.
sync "$work/log/docs.bin"
run warm-up --count "$warm_docs" --duration 10 --concurrency "$connections"
run "closed loop, $connections connections, ${duration} s" --skip "$warm_docs" --count "$closed_docs" --duration "$duration" --concurrency "$connections"
run "open loop at ${rate}/s, 30 s" --skip $(( warm_docs + closed_docs )) --duration 30 --rate "$rate"
echo "== server metrics"
curl -sf "${url}metrics" | grep -E '^attest_log_(tree_size|batch_entries_(sum|count)|batch_write_seconds_(sum|count)|integration_seconds_(sum|count)|rejections_total)' || true
stop_server

if (( fill > 0 )); then
  echo "== filling a second log with $fill synthetic entries through the engine"
  start_server "$work/proofs"; stop_server   # creates the keys
  /usr/bin/time -f "fill: %e s wall, %U s user, %S s system" \
    dotnet "$work/bin/loadgen/attest-loadgen.dll" fill --data-dir "$work/proofs/data" --entries "$fill" | tail -n 1
  start_server "$work/proofs"
  loadgen proofs --url "$url" --count 2000 --concurrency 1 > /dev/null   # warm-up
  before=$(cpu_seconds)
  echo "== inclusion proofs at $fill entries, 1 client"
  loadgen proofs --url "$url" --count 20000 --concurrency 1
  after=$(cpu_seconds)
  awk -v a="$before" -v b="$after" 'BEGIN { printf "server CPU: %.0f us per proof\n", (b - a) / 20000 * 1e6 }'
  echo "== inclusion proofs at $fill entries, 4 clients"
  loadgen proofs --url "$url" --count 20000 --concurrency 4
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  stop_server
fi
