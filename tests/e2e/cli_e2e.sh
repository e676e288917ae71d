#!/usr/bin/env bash
# CLI end-to-end test: real edged (port 0, temp data dir) + real edgectl.
# Usage: cli_e2e.sh EDGED EDGECTL
set -u
EDGED=$1
EDGECTL=$2
work=$(mktemp -d /tmp/edge_cli_e2e.XXXXXX)
pass=0
fail=0
edged_pid=

cleanup() {
  [ -n "$edged_pid" ] && kill "$edged_pid" 2>/dev/null && wait "$edged_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/       /'; }
# check NAME CONDITION-COMMAND...
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$EDGED" --listen 127.0.0.1:0 --data-dir "$work/data" --allow-unsigned >"$work/edged.log" 2>&1 &
edged_pid=$!
for _ in $(seq 1 500); do [ -s "$work/data/edged.addr" ] && break; sleep 0.01; done
addr=$(cat "$work/data/edged.addr" 2>/dev/null)
[ -n "$addr" ] || { bad "edged started" "$(cat "$work/edged.log")"; exit 1; }
ok "edged started on $addr"
export EDGE_SERVER=$addr
ctl() { "$EDGECTL" "$@" >"$work/out" 2>"$work/err"; echo $? >"$work/rc"; }
rc() { cat "$work/rc"; }

head -c 2500000 /dev/urandom >"$work/model.efm"
sha=$(sha256sum "$work/model.efm" | cut -d' ' -f1)

ctl upload "$work/model.efm"
check "upload exits 0" test "$(rc)" = 0
check "upload names the model after the file" grep -q "uploaded model@1  id $sha" "$work/out"

ctl upload "$work/model.efm" --json
check "re-upload is idempotent (same id, same version)" \
  /usr/bin/python3 -c "import json,sys; m=json.load(open('$work/out')); sys.exit(0 if m['id']=='$sha' and m['version']=='1' else 1)"

head -c 1000 /dev/urandom >"$work/v.efm"
ctl upload "$work/v.efm" --name versioned --version 2.5
check "upload --name --version" grep -q "uploaded versioned@2.5" "$work/out"
ctl rm versioned@2.5

ctl --json ls
check "ls --json lists the model" \
  /usr/bin/python3 -c "import json,sys; r=json.load(open('$work/out')); sys.exit(0 if [m['name'] for m in r['models']]==['model'] else 1)"
ctl ls
check "ls prints a table" grep -qE "^${sha:0:12} +model +1 " "$work/out"

ctl show model@1
check "show by name@version" grep -q "id:        $sha" "$work/out"
ctl show "${sha:0:10}" --json
check "show --json by id prefix" /usr/bin/python3 -c "import json,sys; sys.exit(0 if json.load(open('$work/out'))['name']=='model' else 1)"

ctl download model -o "$work/back.efm"
check "download exits 0" test "$(rc)" = 0
check "downloaded bytes are identical" cmp -s "$work/model.efm" "$work/back.efm"
check "no .part file left" test ! -e "$work/back.efm.part"

# Progress bar when stdout is a terminal (script(1) gives edgectl a pty).
if command -v script >/dev/null && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
  head -c 3000000 /dev/urandom >"$work/big.bin"
  script -qec "$EDGECTL upload $work/big.bin --name big" /dev/null </dev/null >"$work/tty" 2>&1
  check "upload shows a progress bar with a rate on a terminal" grep -qE "100%.*MiB/s" "$work/tty"
  ctl upload "$work/big.bin" --name big
  check "no progress bar when stdout is not a terminal" bash -c "! grep -q 'MiB/s' '$work/out'"
fi

# Failures: non-zero exit, exactly one line on stderr that names the problem.
one_line_error() {  # NAME EXPECTED-RC PATTERN
  local n=$1 want=$2 pat=$3
  if [ "$(rc)" = "$want" ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -qE "$pat" "$work/err"; then
    ok "$n"
  else
    bad "$n" "rc=$(rc) stderr: $(cat "$work/err")"
  fi
}
ctl upload "$work/model.efm" --name "bad name"
one_line_error "bad name is INVALID_ARGUMENT naming header.name" 1 "INVALID_ARGUMENT.*header.name"
ctl upload "$work/model.efm" --name other
one_line_error "same content under another name is ALREADY_EXISTS" 1 "ALREADY_EXISTS.*model@1"
ctl show nosuchmodel
one_line_error "unknown model is NOT_FOUND" 1 "NOT_FOUND.*nosuchmodel"
ctl rm nosuchmodel
one_line_error "rm of an unknown model is NOT_FOUND" 1 "NOT_FOUND"
ctl download nosuchmodel -o "$work/x"
one_line_error "download of an unknown model is NOT_FOUND" 1 "NOT_FOUND"
check "failed download leaves no file" test ! -e "$work/x" -a ! -e "$work/x.part"
ctl --server 127.0.0.1:1 ls
one_line_error "unreachable server says how to fix it" 1 "cannot reach edged at 127.0.0.1:1"
ctl upload "$work/does-not-exist"
check "missing file is a usage error (exit 2)" test "$(rc)" = 2
ctl
check "no subcommand is a usage error (exit 2)" test "$(rc)" = 2
ctl --help
check "--help lists the subcommands" grep -q "download" "$work/out"

# Corrupt blob on disk: download refuses with DATA_LOSS and writes nothing.
printf 'X' | dd of="$work/data/blobs/sha256/$sha" bs=1 seek=1000 conv=notrunc status=none
ctl download model -o "$work/corrupt.efm"
one_line_error "corrupt blob is DATA_LOSS" 1 "DATA_LOSS.*corrupt"
check "nothing written for a corrupt blob" test ! -e "$work/corrupt.efm"

ctl rm model
check "rm exits 0" test "$(rc)" = 0
ctl show model
check "model is gone after rm" test "$(rc)" = 1
check "its blob is gone" test ! -e "$work/data/blobs/sha256/$sha"

kill -TERM "$edged_pid"
wait "$edged_pid"
code=$?
edged_pid=
check "edged exits 0 on SIGTERM" test "$code" = 0
check "edged removed edged.addr" test ! -e "$work/data/edged.addr"


# --- Signed images: keys, sign, verify, inspect, and a gateway that trusts only its keys. ---
ctl keygen -o "$work/fleet.pem"
check "keygen exits 0" test "$(rc)" = 0
check "keygen writes mode 0600" test "$(stat -c %a "$work/fleet.pem")" = 600
check "keygen writes PKCS#8 PEM" grep -q "BEGIN PRIVATE KEY" "$work/fleet.pem"
ctl keygen -o "$work/fleet.pem"
one_line_error "keygen refuses to overwrite" 1 "ALREADY_EXISTS.*refusing to overwrite"
"$EDGECTL" pubkey "$work/fleet.pem" >"$work/fleet.pub"
ctl pubkey "$work/fleet.pem" --format hash
check "pubkey --format hash equals openssl's DER SHA-256" \
  test "$(cat "$work/out")" = "$(openssl pkey -in "$work/fleet.pem" -pubout -outform DER | sha256sum | cut -d' ' -f1)"
ctl pubkey "$work/fleet.pub" --format c
check "pubkey --format c prints a 91-byte array" grep -q "edge_trusted_pubkey_len = 91" "$work/out"
"$EDGECTL" keygen -o "$work/rogue.pem" >/dev/null

head -c 4000 /dev/urandom >"$work/lowpass.efm"
ctl sign "$work/lowpass.efm" -k "$work/fleet.pem" --version 1.4.0 -o "$work/lowpass-1.4.bin"
check "sign exits 0" test "$(rc)" = 0
ctl sign "$work/lowpass.efm" -k "$work/fleet.pem" --version 1.0.0 -o "$work/lowpass-1.0.bin"
ctl sign "$work/lowpass.efm" -k "$work/rogue.pem" --version 2.0.0 -o "$work/rogue.bin"
ctl sign "$work/lowpass.efm" -k "$work/fleet.pem" --version 1.0.0 --name "bad name" -o "$work/x.bin"
one_line_error "sign refuses a model name the gateway would refuse" 1 "INVALID_ARGUMENT.*--name"
ctl verify "$work/lowpass-1.4.bin" -k "$work/fleet.pub"
check "verify accepts the fleet key" grep -q "verified: lowpass@1.4.0" "$work/out"
ctl verify "$work/rogue.bin" -k "$work/fleet.pub"
one_line_error "verify refuses another key" 1 "PERMISSION_DENIED.*not trusted"
ctl inspect "$work/lowpass-1.4.bin" -k "$work/fleet.pub"
check "inspect shows header, TLVs and the verdict" \
  bash -c "grep -q 'version          1.4.0' '$work/out' && grep -q 'SEC_CNT' '$work/out' && grep -q 'signature: VERIFIED' '$work/out'"

"$EDGED" --listen 127.0.0.1:0 --data-dir "$work/strict" --trusted-key "$work/fleet.pub" >"$work/strict.log" 2>&1 &
edged_pid=$!
for _ in $(seq 1 500); do [ -s "$work/strict/edged.addr" ] && break; sleep 0.01; done
[ -s "$work/strict/edged.addr" ] || { bad "trusting edged started" "$(cat "$work/strict.log")"; exit 1; }
export EDGE_SERVER=$(cat "$work/strict/edged.addr")

ctl upload "$work/model.efm"
one_line_error "a trusting gateway refuses unsigned models" 1 "PERMISSION_DENIED.*unsigned model refused"
ctl upload "$work/rogue.bin"
one_line_error "a trusting gateway refuses other keys" 1 "PERMISSION_DENIED.*not trusted"
cp "$work/lowpass-1.4.bin" "$work/tampered.bin"
printf 'Z' | dd of="$work/tampered.bin" bs=1 seek=700 conv=notrunc status=none
ctl upload "$work/tampered.bin"
one_line_error "a tampered image is refused" 1 "PERMISSION_DENIED.*SHA-256"
head -c 3000 "$work/lowpass-1.4.bin" >"$work/truncated.bin"
ctl upload "$work/truncated.bin"
one_line_error "a truncated image is refused as malformed" 1 "INVALID_ARGUMENT.*truncated"
ctl upload "$work/lowpass-1.4.bin"
check "a signed image uploads under its signed name and version" grep -q "uploaded lowpass@1.4.0" "$work/out"
ctl upload "$work/lowpass-1.0.bin"
one_line_error "a lower security counter is refused (downgrade)" 1 "PERMISSION_DENIED.*downgrade"
ctl --json show lowpass
check "show --json reports the verified signature" /usr/bin/python3 -c "
import json,sys; m=json.load(open('$work/out')); s=m['signature']
sys.exit(0 if s['status']=='VERIFIED' and s['security_counter']==(1<<24)+(4<<16) and s['key_hash']=='$(cat "$work/out" >/dev/null; "$EDGECTL" pubkey "$work/fleet.pem" --format hash)' else 1)"
ctl ls
check "ls shows signature status and security counter" grep -qE "lowpass .*verified +17039360" "$work/out"
check "nothing was left in tmp/ by the refusals" test -z "$(ls -A "$work/strict/tmp")"
kill -TERM "$edged_pid"
wait "$edged_pid"
code=$?
edged_pid=
check "the trusting edged exits 0 on SIGTERM" test "$code" = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
