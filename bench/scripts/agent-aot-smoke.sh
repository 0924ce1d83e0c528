#!/usr/bin/env bash
# End-to-end check of the Native AOT agent: a real Nix build runs the post-build-hook script that
# `attest-agent init --hook` writes, pointing at the AOT-published binary; the attestation must land in the spool,
# its DSSE signature must verify under the builder's public key (checked with OpenSSL, independently of the agent's
# own code), and every subject's SHA-256 must be the NAR hash Nix computes (`nix-store --dump | sha256sum`).
#
# usage: bench/scripts/agent-aot-smoke.sh [-a AGENT_BINARY] [-w WORK_DIR]
#   Without -a the agent is published first (Native AOT, several minutes on a loaded 2-core machine; the reason
#   this is a script and not part of tests/Attest.Agent.Tests, whose tests stay under a minute each):
#     dotnet publish agent -c Release -r linux-x64 -p:PublishAot=true -o WORK_DIR/publish
#   Needs root, Debian's nix-bin (a default store where sandbox=false builds work, as the agent tests use),
#   gcc or clang for the AOT link, openssl and python3; with swtpm installed a second build is quoted by a fresh
#   software TPM. Exit status 0 and "PASS" on success.
set -euo pipefail

agent=
work=/tmp/attest-aot-smoke
while getopts "a:w:" opt; do
  case $opt in
    a) agent=$OPTARG ;;
    w) work=$OPTARG ;;
    *) echo "usage: $0 [-a AGENT_BINARY] [-w WORK_DIR]" >&2; exit 2 ;;
  esac
done
repo=$(cd "$(dirname "$0")/../.." && pwd)

rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ -z $agent ]]; then
  echo "publishing the agent as Native AOT into $work/publish"
  dotnet publish "$repo/agent" -c Release -r linux-x64 -p:PublishAot=true -o "$work/publish" > "$work/publish.log" 2>&1 \
    || { tail -30 "$work/publish.log" >&2; fail "AOT publish failed (log: $work/publish.log)"; }
  agent=$work/publish/attest-agent
fi
[[ -x $agent ]] || fail "$agent is not an executable"
# A Native AOT binary carries no IL: there must be no attest-agent.dll for it to fall back on.
[[ ! -e $(dirname "$agent")/attest-agent.dll ]] || fail "$(dirname "$agent") holds attest-agent.dll: not a Native AOT publish"

"$agent" init --config "$work/agent.json" --name aot-smoke --key "$work/builder.key" --spool "$work/spool" \
  --hook "$work/post-build-hook" > "$work/init.out" 2> "$work/init.err" || { cat "$work/init.err" >&2; fail "init failed"; }
public_key=$(grep -E '^aot-smoke\+' "$work/init.out" | head -1)
[[ -n $public_key ]] || fail "init printed no public key"
grep -qF "$agent" "$work/post-build-hook" || fail "the hook script does not start $agent"

salt=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
nix-build "$repo/bench/scripts/two-outputs.nix" --argstr name attest-aot-smoke --argstr salt "$salt" --no-out-link --option substituters '' --option sandbox false \
  --option post-build-hook "$work/post-build-hook" > "$work/build.out" 2> "$work/build.err" \
  || { cat "$work/build.err" >&2; fail "nix-build failed"; }
grep -q 'attested' "$work/build.err" || { cat "$work/build.err" >&2; fail "the hook did not report an attestation"; }

shopt -s nullglob
documents=("$work"/spool/outbox/*.json)
[[ ${#documents[@]} -eq 1 ]] || fail "expected one spooled document, found ${#documents[@]}"

# Verify the DSSE envelope (PAE per the DSSE protocol) with OpenSSL's Ed25519 and list the subjects.
python3 - "${documents[0]}" "$public_key" "$work" <<'EOF' > "$work/subjects"
import base64, json, sys
document, public_key, work = sys.argv[1:4]
envelope = json.load(open(document, "rb"))["dsse"]
payload = base64.b64decode(envelope["payload"])
payload_type = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)
name, keyid, key = public_key.split("+", 2)
signatures = [s for s in envelope["signatures"] if s.get("keyid") == keyid]
if len(signatures) != 1:
    sys.exit(f"no signature by key id {keyid}")
open(f"{work}/pae", "wb").write(pae)
open(f"{work}/sig", "wb").write(base64.b64decode(signatures[0]["sig"]))
# RFC 8410 SubjectPublicKeyInfo for an Ed25519 key: fixed 12-byte prefix, then the 32-byte key.
spki = bytes.fromhex("302a300506032b6570032100") + base64.b64decode(key)
open(f"{work}/key.pem", "w").write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n")
statement = json.loads(payload)
for subject in statement["subject"]:
    print(subject["name"], subject["digest"]["sha256"])
EOF
openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in "$work/pae" -sigfile "$work/sig" > /dev/null \
  || fail "the DSSE signature does not verify under $public_key"

outputs=$(nix-store --query --outputs "$(nix-instantiate "$repo/bench/scripts/two-outputs.nix" --argstr name attest-aot-smoke --argstr salt "$salt" 2> /dev/null)" | sort)
[[ $(cut -d' ' -f1 "$work/subjects" | sort) == "$outputs" ]] || fail "subjects are not the derivation's outputs: $(cat "$work/subjects")"
while read -r path sha256; do
  expected=$(nix-store --dump "$path" | sha256sum | cut -d' ' -f1)
  [[ $sha256 == "$expected" ]] || fail "$path: attested $sha256, Nix's NAR hashes to $expected"
done < "$work/subjects"

"$agent" status --config "$work/agent.json" --json > "$work/status.json"
grep -q '"outbox":1' "$work/status.json" || fail "status does not report the spooled document: $(cat "$work/status.json")"

summary="$agent attested $(wc -l < "$work/subjects") outputs of a real build; signature and NAR hashes verified"

# With swtpm installed: the same hook with a TPM configured (tpm.required and failBuildOnError, so a failed quote
# fails the run) must add a TPM2_Quote bound to this very statement: the quote's extraData is SHA-256 of the DSSE
# PAE (docs/tpm-evidence.md), read here from the TPMS_ATTEST bytes (TPM 2.0 Part 2 §10.12.12).
if command -v swtpm > /dev/null; then
  mkdir -p "$work/swtpm"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  swtpm socket --tpm2 --server type=tcp,port="$port",bindaddr=127.0.0.1 --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
    --tpmstate dir="$work/swtpm" --flags not-need-init,startup-clear > "$work/swtpm.log" 2>&1 &
  swtpm_pid=$!
  trap 'kill "$swtpm_pid" 2> /dev/null || true' EXIT
  for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break; sleep 0.1; done
  python3 - "$work/agent.json" "$work/agent-tpm.json" "$port" "$work/spool-tpm" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))
config["tpm"] = {"tcti": f"swtpm:host=127.0.0.1,port={sys.argv[3]}", "required": True, "eventLogPath": "/nonexistent/event-log"}
config["failBuildOnError"] = True
config["spoolDirectory"] = sys.argv[4]
json.dump(config, open(sys.argv[2], "w"), indent=2)
EOF
  printf '#!/bin/sh\nexec %s hook --config %s\n' "$agent" "$work/agent-tpm.json" > "$work/post-build-hook-tpm"
  chmod 0755 "$work/post-build-hook-tpm"
  salt=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  nix-build "$repo/bench/scripts/two-outputs.nix" --argstr name attest-aot-smoke --argstr salt "$salt" --no-out-link --option substituters '' --option sandbox false \
    --option post-build-hook "$work/post-build-hook-tpm" > "$work/build-tpm.out" 2> "$work/build-tpm.err" \
    || { cat "$work/build-tpm.err" >&2; fail "nix-build with the TPM-quoting hook failed"; }
  documents=("$work"/spool-tpm/outbox/*.json)
  [[ ${#documents[@]} -eq 1 ]] || fail "expected one document quoted by the TPM, found ${#documents[@]}"
  python3 - "${documents[0]}" <<'EOF' || fail "the TPM quote is not bound to the statement"
import base64, hashlib, json, struct, sys
document = json.load(open(sys.argv[1], "rb"))
envelope, tpm = document["dsse"], document["tpm"]
payload = base64.b64decode(envelope["payload"])
payload_type = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)
attest = base64.b64decode(tpm["attest"])
magic, kind = struct.unpack_from(">IH", attest, 0)
assert (magic, kind) == (0xFF544347, 0x8018), "not a TPM_ST_ATTEST_QUOTE"
(signer_size,) = struct.unpack_from(">H", attest, 6)
(extra_size,) = struct.unpack_from(">H", attest, 8 + signer_size)
extra = attest[10 + signer_size:10 + signer_size + extra_size]
sys.exit(0 if extra == hashlib.sha256(pae).digest() else 1)
EOF
  summary="$summary; with swtpm: TPM quote bound to the statement"
fi

echo "PASS: $summary"
