#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs the Debian packages the tests use when they are
# missing, then runs every test project in the solution and prints one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# Real parts the tests drive: Nix builds, a software TPM and tpm2-tools to cross-check, busybox for the chroot
# store's sandboxed /bin/sh, Chromium for the HTML report; gcc and zlib for the agent's Native AOT link, OpenSSL and
# Python for the AOT smoke test's independent checks.
packages=(nix-bin swtpm swtpm-tools tpm2-tools busybox-static chromium gcc zlib1g-dev openssl python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1
dotnet build Attest.sln -c Release --nologo -v quiet

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Attest.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Add up the per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...").
read -r passed failed skipped < <(awk -F'[:,]' '/ - Failed: *[0-9]+, Passed: *[0-9]+/ {
  for (i = 1; i <= NF; i++) { gsub(/ /, "", $i) }
  for (i = 1; i < NF; i++) {
    if ($i ~ /Failed$/) f += $(i+1); else if ($i == "Passed") p += $(i+1); else if ($i == "Skipped") s += $(i+1)
  }
} END { print p+0, f+0, s+0 }' "$log")
echo "${passed} passed, ${failed} failed, ${skipped} skipped"

# The agent as users install it: a Native AOT publish running a real Nix build's post-build-hook
# (bench/scripts/agent-aot-smoke.sh says what it checks).
smoke_dir=$(mktemp -d)
if bench/scripts/agent-aot-smoke.sh -w "$smoke_dir/work"; then
  rm -rf "$smoke_dir"
else
  echo "agent Native AOT smoke test FAILED (work directory: $smoke_dir)"
  status=1
fi
exit "$status"
