#!/usr/bin/env bash
# Attest end to end on one machine: a transparency log, two builders with their own identities and stores, a
# reproducible and a non-reproducible derivation, and the verifier deciding which output to trust (docs/demo.md).
#
# Usage: scripts/demo.sh [--keep] [--quiet]
#   --keep   leave the work directory and the servers running at the end (their pids are printed)
#   --quiet  print only headings, verdicts and the summary
# Needs root on Debian with nix-bin and busybox-static (scripts/test.sh installs them), curl and the .NET SDK.
set -euo pipefail

keep=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --quiet) quiet=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

step=0
heading() { step=$((step + 1)); printf '\n=== %d. %s ===\n' "$step" "$*"; }
say() { [ "$quiet" -eq 1 ] || printf '%s\n' "$*"; }
# Runs a command, showing its output unless --quiet; the output is kept in $work/last.out either way.
show() {
  if [ "$quiet" -eq 1 ]; then "$@" >"$work/last.out" 2>&1; else "$@" 2>&1 | tee "$work/last.out"; return "${PIPESTATUS[0]}"; fi
}
die() { echo "demo.sh: $*" >&2; exit 1; }

for tool in dotnet nix-build nix-store nix curl; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (scripts/test.sh installs the Debian packages)."
done
[ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static): the chroot store's sandbox needs it."
[ "$(id -u)" -eq 0 ] || die "run as root: the builds use the machine's Nix store."

work=$(mktemp -d /tmp/attest-demo.XXXXXX)
pids=()
cleanup() {
  local status=$?
  if [ "$keep" -eq 1 ]; then
    echo
    echo "Kept: work directory $work; servers still running: ${pids[*]:-none} (stop them with kill <pid>)."
    return
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # The chroot store's files are read-only (Nix store semantics); make them writable so they can be removed.
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on 127.0.0.1 (not listened on now; picked at random to avoid two runs racing for the same one).
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then echo "$port"; return; fi
  done
  die "no free port found"
}

# Waits until a URL answers (any HTTP status) or the process behind it died.
wait_http() {
  local url=$1 pid=$2 what=$3
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/$what.log" >&2; die "$what exited during start-up (log above)"; }
    sleep 0.2
  done
  cat "$work/$what.log" >&2
  die "$what did not answer on $url within 60 s"
}

echo "Attest demo; work directory: $work"

heading "Build the hosts (dotnet build -c Release: attest-agent, attest-log, attest-verify)"
# The three host projects and the libraries they reference; the test projects are not needed to run the demo.
# ATTEST_DEMO_NO_BUILD=1 uses what is already built (the test that runs this script sets it: the test run has just
# built everything, and rebuilding would rewrite assemblies the test host has loaded).
build_started=$(date +%s)
if [ "${ATTEST_DEMO_NO_BUILD:-0}" = 1 ]; then
  say "ATTEST_DEMO_NO_BUILD=1: using the existing Release build"
else
  for project in agent log-server verifier; do
    say "building $project/"
    dotnet build "$repo/$project" -c Release --nologo -v quiet >"$work/build-$project.log" 2>&1 \
      || { cat "$work/build-$project.log" >&2; die "dotnet build $project failed"; }
  done
fi
echo "built in $(( $(date +%s) - build_started )) s"
agent_dll="$repo/agent/bin/Release/net10.0/attest-agent.dll"
log_dll="$repo/log-server/bin/Release/net10.0/attest-log.dll"
verify_dll="$repo/verifier/bin/Release/net10.0/attest-verify.dll"
for dll in "$agent_dll" "$log_dll" "$verify_dll"; do [ -f "$dll" ] || die "$dll was not built"; done
agent() { dotnet "$agent_dll" "$@"; }
attest_log() { dotnet "$log_dll" "$@"; }
verify() { dotnet "$verify_dll" "$@"; }
# True when attest-verify has this verb (other verbs land independently).
has_verb() { verify --help 2>/dev/null | grep -Eq "^\s+$1(\s|$)"; }

heading "Create two builder identities (attest-agent init)"
declare -A pubkey
for b in builder-a builder-b; do
  mkdir -p "$work/$b"
  pubkey[$b]=$(agent init --config "$work/$b/agent.json" --name "$b" --key "$work/$b/builder.key" \
    --spool "$work/$b/spool" --log "http://127.0.0.1:0/" --hook "$work/$b/post-build-hook" 2>"$work/$b/init.err") \
    || { cat "$work/$b/init.err" >&2; die "attest-agent init failed for $b"; }
  say "$b public key: ${pubkey[$b]}"
done
say "builder-a (operator alpha) builds in the default Nix store without a sandbox;"
say "builder-b (operator beta) builds in its own chroot store $work/builder-b/store with the sandbox on."

heading "Start the transparency log (attest-log) and register both builders"
log_port=$(free_port)
log_url="http://127.0.0.1:$log_port/"
data="$work/log-data"
show attest_log builders add "${pubkey[builder-a]}" --data-dir "$data" --operator alpha --reason "demo builder a" \
  || die "registering builder-a failed"
show attest_log builders add "${pubkey[builder-b]}" --data-dir "$data" --operator beta --reason "demo builder b" \
  || die "registering builder-b failed"
# Started directly, not through the wrapper function, so that $! is the server itself (cleanup kills it).
dotnet "$log_dll" --urls "http://127.0.0.1:$log_port" --data-dir "$data" >"$work/log.log" 2>&1 &
pids+=("$!")
wait_http "${log_url}checkpoint" "${pids[-1]}" log
origin=$(sed -n 's/^origin: //p' "$work/log.log")
log_key=$(curl -sf "${log_url}v1/log/key")
echo "log: $log_url"
echo "origin: $origin"
echo "verifier key: $log_key"
# Point both agents at the log now that its port is known.
for b in builder-a builder-b; do
  sed -i "s#http://127.0.0.1:0/#$log_url#" "$work/$b/agent.json"
done

heading "Build a reproducible and a non-reproducible derivation with both builders"
# The run's nonce makes both derivations new on every run, so Nix really builds them (and the hook runs).
nonce="$(date +%s)-$RANDOM"
cat >"$work/demo.nix" <<EOF
let
  mk = name: script: builtins.derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    nonce = "$nonce";
  };
in {
  # The same bytes whoever builds it.
  reproducible = mk "attest-demo-reproducible" "echo 'hello from a reproducible build' > \$out";
  # Random bytes: every build differs.
  unreproducible = mk "attest-demo-unreproducible" "echo \$RANDOM\$RANDOM\$\$ > \$out; cat /proc/sys/kernel/random/uuid >> \$out 2>/dev/null || true";
}
EOF
say "derivations: $work/demo.nix"
build_with() {
  local b=$1 attr=$2; shift 2
  nix-build "$work/demo.nix" -A "$attr" --no-out-link --option substituters '' \
    --option post-build-hook "$work/$b/post-build-hook" "$@" 2>"$work/$b-$attr.build.log" \
    || { cat "$work/$b-$attr.build.log" >&2; die "nix-build of $attr by $b failed"; }
}
declare -A out
for attr in reproducible unreproducible; do
  out[$attr]=$(build_with builder-a "$attr" --option sandbox false)
  say "builder-a built $attr: ${out[$attr]}"
  other=$(build_with builder-b "$attr" --store "$work/builder-b/store" --option sandbox true \
    --option sandbox-paths '/bin/sh=/bin/busybox /bin/busybox')
  [ "$other" = "${out[$attr]}" ] || die "the two builders produced different store paths for $attr"
  say "builder-b built $attr: $other (in its chroot store)"
done
if [ "$quiet" -eq 0 ]; then
  echo "NAR hashes as each builder saw them:"
  for attr in reproducible unreproducible; do
    echo "  $attr: builder-a $(agent nar-hash "${out[$attr]}")  builder-b $(agent nar-hash "$work/builder-b/store${out[$attr]}")"
  done
fi
for b in builder-a builder-b; do
  show agent flush --config "$work/$b/agent.json" --wait 60 || die "attest-agent flush failed for $b"
  say "$b: attestations delivered to the log"
done
say "log tree size: $(curl -sf "${log_url}health")"

heading "Verify both outputs with attest-verify path (quorum: 2 builders of 2 operators)"
cat >"$work/policy.json" <<EOF
{
  "version": 1,
  "logs": [ { "origin": "$origin", "key": "$log_key", "url": "$log_url" } ],
  "builders": [
    { "name": "builder-a", "key": "${pubkey[builder-a]}", "operator": "alpha" },
    { "name": "builder-b", "key": "${pubkey[builder-b]}", "operator": "beta" }
  ],
  "quorum": { "minAgreeing": 2, "minOperators": 2, "maxDissenting": 0 }
}
EOF
say "policy: $work/policy.json"
vstate="$work/verifier-state"
vflags=(--policy "$work/policy.json" --state "$vstate")
echo "--- attest-verify path ${out[reproducible]}"
set +e
verify path "${vflags[@]}" "${out[reproducible]}" >"$work/path-reproducible.out" 2>&1
repro_status=$?
verify path "${vflags[@]}" "${out[unreproducible]}" >"$work/path-unreproducible.out" 2>&1
unrepro_status=$?
set -e
cat "$work/path-reproducible.out"
echo "(exit $repro_status)"
echo "--- attest-verify path ${out[unreproducible]}"
cat "$work/path-unreproducible.out"
echo "(exit $unrepro_status)"
[ "$repro_status" -eq 0 ] || die "the reproducible output was not trusted (exit $repro_status)"
[ "$unrepro_status" -eq 1 ] || die "the non-reproducible output was not refused with exit 1 (exit $unrepro_status)"
echo "RESULT: reproducible output TRUSTED: ${out[reproducible]}"
echo "RESULT: non-reproducible output REFUSED: ${out[unreproducible]}"

report_line="(not available in this build)"
heading "Reproducibility report (attest-verify report --html)"
if has_verb report; then
  verify report "${vflags[@]}" --html "$work/report.html" --json "$work/report.json" >"$work/report.out" 2>&1 \
    || { cat "$work/report.out" >&2; die "attest-verify report failed"; }
  [ "$quiet" -eq 1 ] || cat "$work/report.out"
  report_line="HTML report: $work/report.html"
  echo "$report_line"
else
  echo "attest-verify report: (not available in this build)"
fi

monitor_line="monitor: (not available in this build)"
heading "Monitor the log (attest-verify monitor --once)"
if has_verb monitor; then
  set +e
  verify monitor "${vflags[@]}" --once --check-search >"$work/monitor.out" 2>&1
  monitor_status=$?
  set -e
  [ "$quiet" -eq 1 ] || cat "$work/monitor.out"
  [ "$monitor_status" -eq 0 ] || { cat "$work/monitor.out" >&2; die "the monitor reported a problem (exit $monitor_status)"; }
  monitor_line="monitor: the log is consistent and complete (exit 0)"
  echo "$monitor_line"
else
  echo "attest-verify monitor: (not available in this build)"
fi

gate_line="gate: (not available in this build)"
heading "Gate a binary cache (attest-verify gate)"
if has_verb gate; then
  cache="$work/cache"
  nix --extra-experimental-features nix-command copy --to "file://$cache" "${out[reproducible]}" "${out[unreproducible]}" >"$work/copy.log" 2>&1 \
    || { cat "$work/copy.log" >&2; die "nix copy into the cache failed"; }
  say "copied both outputs into the cache file://$cache"
  gate_port=$(free_port)
  gate_url="http://127.0.0.1:$gate_port"
  dotnet "$verify_dll" gate "${vflags[@]}" --upstream "file://$cache" --listen "$gate_url" >"$work/gate.log" 2>&1 &
  pids+=("$!")
  wait_http "$gate_url/nix-cache-info" "${pids[-1]}" gate
  narinfo_status() {
    local hash
    hash=$(basename "$1" | cut -d- -f1)
    curl -s -D "$work/headers" -o "$work/narinfo" -w '%{http_code}' "$gate_url/$hash.narinfo"
  }
  trusted_code=$(narinfo_status "${out[reproducible]}")
  echo "GET $(basename "${out[reproducible]}" | cut -d- -f1).narinfo -> $trusted_code"
  [ "$quiet" -eq 1 ] || sed 's/^/    /' "$work/narinfo"
  refused_code=$(narinfo_status "${out[unreproducible]}")
  reason=$(sed -n 's/^[Xx]-[Aa]ttest-[Rr]eason: *//p' "$work/headers" | tr -d '\r')
  echo "GET $(basename "${out[unreproducible]}" | cut -d- -f1).narinfo -> $refused_code (X-Attest-Reason: $reason)"
  [ "$trusted_code" = 200 ] || die "the gate did not serve the trusted path's narinfo (HTTP $trusted_code)"
  [ "$refused_code" = 404 ] || die "the gate did not refuse the disputed path's narinfo (HTTP $refused_code)"
  gate_line="gate: $gate_url serves the trusted narinfo (200) and refuses the disputed one (404 with X-Attest-Reason)"
else
  echo "attest-verify gate: (not available in this build)"
fi

heading "Summary"
cat <<EOF
- Two builders, run by different operators (alpha, beta) in different stores, built the same two derivations.
  Their agents attested every output (in-toto/SLSA, signed with each builder's key) and delivered the
  attestations to the transparency log at $log_url.
- attest-verify checked the log's signed checkpoint and inclusion proofs and applied the policy (2 agreeing
  builders from 2 operators):
    trusted: ${out[reproducible]} (both builders attested the same NAR hash)
    refused: ${out[unreproducible]} (the builders disagree)
- report: $report_line
- $monitor_line
- $gate_line
Work directory: $work$( [ "$keep" -eq 1 ] || echo " (removed on exit; --keep keeps it)")
EOF
