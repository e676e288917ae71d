#!/usr/bin/env bash
# Model CLI end-to-end test: the real edgectl compiles, inspects, runs and signs the example
# models (examples/models, see its README.md and manifest.json) and its outputs are compared with
# torch's reference .npy files (numpy via /usr/bin/python3). No server is needed.
# Usage: model_cli_e2e.sh EDGECTL EXAMPLES_DIR
set -u
EDGECTL=$1
EX=$(cd "$2" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d /tmp/edge_model_cli_e2e.XXXXXX)
pass=0
fail=0

cleanup() { rm -rf "$work"; }
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; [ $# -gt 1 ] && echo "$2" | sed 's/^/       /'; }
# check NAME CONDITION-COMMAND...
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "rc=$(rc) stdout: $(head -c 600 "$work/out") stderr: $(head -c 600 "$work/err")"; fi; }
ctl() { "$EDGECTL" "$@" >"$work/out" 2>"$work/err"; echo $? >"$work/rc"; }
rc() { cat "$work/rc"; }
# Failures: exit code, exactly one line on stderr that matches.
one_line_error() {  # NAME EXPECTED-RC PATTERN
  local n=$1 want=$2 pat=$3
  if [ "$(rc)" = "$want" ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -qE "$pat" "$work/err"; then
    ok "$n"
  else
    bad "$n" "rc=$(rc) (want $want), pattern /$pat/, stderr: $(cat "$work/err")"
  fi
}
out_has() { grep -qE -- "$1" "$work/out"; }

# Manifest facts for the shell, one model per line: NAME STEPS STATE_PAIRS(in=out,...) INPUTS.
"$PY" - "$EX/manifest.json" >"$work/models" <<'EOF' || { echo "FAIL - cannot read the manifest"; exit 1; }
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["models"]:
    pairs = ",".join(f"{s['input']}={s['output']}" for s in e["state"]) or "-"
    ins = ",".join(i["name"] for i in e["inputs"])
    print(e["name"], e["steps"], pairs, ins)
EOF
check "the manifest lists the 7 examples" test "$(wc -l <"$work/models")" = 7

# compare.py OUT_DIR MODEL: every file edgectl wrote for MODEL equals the reference within atol;
# every non-state graph output of every step must have been written; state outputs are compared
# when written. Prints the max error.
cat >"$work/compare.py" <<'EOF'
import json, os, sys
import numpy as np
out_dir, name, ex = sys.argv[1], sys.argv[2], sys.argv[3]
m = next(e for e in json.load(open(os.path.join(ex, "manifest.json")))["models"] if e["name"] == name)
worst, compared, problems = 0.0, 0, []
safe = lambda n: "".join("_" if c in "/\\: " else c for c in n)
for k in range(m["steps"]):
    for o in m["outputs"]:
        path = os.path.join(out_dir, f"{safe(o['name'])}_{k}.npy")
        if not os.path.exists(path):
            if not o["is_state"]:
                problems.append(f"missing {os.path.basename(path)}")
            continue
        got = np.load(path)
        want = np.load(os.path.join(ex, o["files"].replace("{step}", str(k))))
        if got.dtype != np.float32 or got.shape != want.shape:
            problems.append(f"{os.path.basename(path)}: {got.dtype} {got.shape}, want {want.shape}")
            continue
        err = float(np.abs(got.astype(np.float64) - want).max()) if want.size else 0.0
        compared += 1
        if not err <= m["atol"]:
            problems.append(f"step {k} {o['name']}: max abs error {err:.3g} > {m['atol']}")
        worst = max(worst, err)
if name == "tcn":
    ys = [np.load(os.path.join(out_dir, f"y_{k}.npy")) for k in range(m["steps"])]
    whole = np.load(os.path.join(ex, m["whole_signal"]["output_y"]))
    err = float(np.abs(np.concatenate(ys, axis=2) - whole).max())
    if not err <= m["atol"]:
        problems.append(f"tcn frames vs whole signal: {err:.3g}")
print(f"{name}: {compared} files, max abs error {worst:.3g}")
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
# same.py DIR_A DIR_B: the same .npy files with values within 1e-5.
cat >"$work/same.py" <<'EOF'
import os, sys
import numpy as np
a, b = sys.argv[1], sys.argv[2]
fa, fb = sorted(os.listdir(a)), sorted(os.listdir(b))
if fa != fb or not fa:
    sys.exit(f"different files: {fa} vs {fb}")
for f in fa:
    x, y = np.load(os.path.join(a, f)), np.load(os.path.join(b, f))
    if x.shape != y.shape or not np.abs(x.astype(np.float64) - y).max(initial=0) <= 1e-5:
        sys.exit(f"{f} differs")
EOF

# --- compile, inspect (text and JSON), run: every example. ---
while read -r name steps pairs ins; do
  efm="$work/$name.efm"
  ctl compile "$EX/$name.onnx" -o "$efm"
  check "compile $name exits 0" test "$(rc)" = 0
  check "compile $name reports ops and arena" \
    bash -c "grep -qE '^  ops: +[0-9]+' '$work/out' && grep -qE '^  arena: +[0-9]+ bytes' '$work/out'"
  if [ "$pairs" != - ]; then
    for p in ${pairs//,/ }; do
      check "compile $name finds state ${p%%=*} -> ${p#*=}" out_has "^  state: +${p%%=*} -> ${p#*=} "
    done
  else
    check "compile $name reports no state" bash -c "! grep -q 'state:' '$work/out'"
  fi
  check "$name.efm written" test -s "$efm"

  ctl inspect "$efm"
  check "inspect $name exits 0" test "$(rc)" = 0
  check "inspect $name shows the format version, ops and arena" \
    bash -c "grep -qE '^model: .*\(efm v1\)' '$work/out' && grep -qE '^ops: +[0-9]+' '$work/out' && grep -qE '^arena: +[0-9]+ bytes planned' '$work/out'"
  check "inspect $name: the model is named after the .onnx file (compile's --name default)" \
    out_has "^model: +$name "
  for i in ${ins//,/ }; do check "inspect $name lists input $i" out_has "^input: +$i f32 "; done
  if [ "$pairs" != - ]; then
    for p in ${pairs//,/ }; do check "inspect $name lists state ${p%%=*}" out_has "^state: +${p%%=*} -> ${p#*=} "; done
  fi

  ctl --json inspect "$efm"
  check "--json inspect $name is valid JSON" "$PY" -m json.tool "$work/out" /dev/null
  check "--json inspect $name has the model's inputs and state pairs" "$PY" -c "
import json, sys
j = json.load(open('$work/out'))
want_in = '$ins'.split(',')
want_state = [] if '$pairs' == '-' else [tuple(p.split('=')) for p in '$pairs'.split(',')]
got_state = [(s['input']['name'], s['output']) for s in j['state']]
sys.exit(0 if [t['name'] for t in j['inputs']] == want_in
         and got_state == want_state and j['ops'] > 0 and j['required_arena_bytes'] > 0 else 1)"

  # Run all steps; stateful models get their initial state from <state_in>_init.npy.
  args=()
  for i in ${ins//,/ }; do args+=(--input "$i=$EX/$name/input_${i}_{step}.npy"); done
  if [ "$pairs" != - ]; then
    for p in ${pairs//,/ }; do args+=(--input "${p%%=*}=$EX/$name/${p%%=*}_init.npy"); done
  fi
  ctl run "$efm" "${args[@]}" --steps "$steps" --out-dir "$work/run_$name"
  check "run $name ($steps steps) exits 0" test "$(rc)" = 0
  check "run $name matches torch within 1e-5" "$PY" "$work/compare.py" "$work/run_$name" "$name" "$EX"
  "$PY" "$work/compare.py" "$work/run_$name" "$name" "$EX" 2>/dev/null | head -1 | sed 's/^/       /'
  ctl run "$efm" "${args[@]}" --steps "$steps" --out-dir "$work/ref_$name" --reference
  check "run --reference $name exits 0" test "$(rc)" = 0
  check "run --reference $name writes the same outputs" "$PY" "$work/same.py" "$work/run_$name" "$work/ref_$name"
done <"$work/models"

ctl inspect "$work/iir1.efm" --json
check "inspect with --json after the subcommand prints valid JSON" "$PY" -m json.tool "$work/out" /dev/null
ctl --json compile "$EX/tcn.onnx" -o "$work/tcn2.efm"
check "--json compile is valid JSON with the ops, arena and state pairs" "$PY" -c "
import json, sys; j = json.load(open('$work/out'))
sys.exit(0 if j['ops'] > 0 and j['arena_bytes'] > 0 and [s['input'] for s in j['state']] == ['h1_state_in', 'h2_state_in'] else 1)"

# iir1 as in the README: explicit --state, embedded self-test, {step} inputs, initial state.
ctl compile "$EX/iir1.onnx" -o "$work/iir1_st.efm" --state state_in=state_out \
  --selftest "$EX/iir1/input_x_0.npy" --expect "y=$EX/iir1/output_y_0.npy"
check "compile iir1 with --state and a self-test vector" test "$(rc)" = 0
check "compile says the self-test is embedded" out_has "self-test vector embedded"
ctl inspect "$work/iir1_st.efm"
check "inspect shows the self-test" out_has "^self-test: +yes"
ctl run "$work/iir1_st.efm" --input "x=$EX/iir1/input_x_{step}.npy" \
  --input "state_in=$EX/iir1/state_in_init.npy" --steps 4 --out-dir "$work/iir1_run"
check "run iir1 4 steps exits 0" test "$(rc)" = 0
check "run iir1 wrote y_0..3 and state_out_0..3" bash -c \
  "cd '$work/iir1_run' && ls y_0.npy y_1.npy y_2.npy y_3.npy state_out_0.npy state_out_3.npy >/dev/null"
check "run iir1: y and state_out match torch at every step" \
  "$PY" "$work/compare.py" "$work/iir1_run" iir1 "$EX"
ctl run "$work/iir1_st.efm" --input "x=$EX/iir1/input_x_{step}.npy" --steps 4 --out-dir "$work/iir1_ref" --reference
check "run --reference iir1 gives the same outputs" "$PY" "$work/same.py" "$work/iir1_run" "$work/iir1_ref"
ctl --json run "$work/iir1_st.efm" --input "x=$EX/iir1/input_x_{step}.npy" --steps 2 --out-dir "$work/iir1_json"
check "--json run is valid JSON listing the files" "$PY" -c "
import json, sys; j = json.load(open('$work/out')); sys.exit(0 if j['steps'] == 2 and len(j['files']) == 4 else 1)"
# A non-zero initial state changes the outputs.
"$PY" -c "import numpy as np; np.save('$work/one.npy', np.ones((1, 1), np.float32))"
ctl run "$work/iir1_st.efm" --input "x=$EX/iir1/input_x_{step}.npy" --input "state_in=$work/one.npy" --out-dir "$work/iir1_one"
check "an initial state given with --input is used" "$PY" -c "
import numpy as np, sys
x = np.load('$EX/iir1/input_x_0.npy'); y = np.load('$work/iir1_one/y_0.npy')
sys.exit(0 if abs(float(y[0, 0]) - (0.1 * float(x[0, 0]) + 0.9)) <= 1e-6 else 1)"

# --- failures: exit 1 and one line on stderr that names the problem. ---
ctl run "$work/iir1.efm" --input "state_in=$EX/iir1/state_in_init.npy"
one_line_error "run without the graph input's --input" 1 "INVALID_ARGUMENT.*missing --input x="
ctl run "$work/iir1.efm"
one_line_error "run with no --input at all names the missing input" 1 "INVALID_ARGUMENT.*missing --input x="
# A transposed input has the right element count but the wrong shape.
/usr/bin/python3 -c "import numpy as np; np.save('$work/x23.npy', np.zeros((2, 3), np.float32))"
ctl compile "$EX/mlp.onnx" -o "$work/mlp_shape.efm" >/dev/null
ctl run "$work/mlp_shape.efm" --input "x=$work/x23.npy"
one_line_error "run with a (2, 3) .npy for a [1, 784] input" 1 "INVALID_ARGUMENT.*input x"
# compile's default output replaces the extension of the file name only.
mkdir -p "$work/dir.d" && cp "$EX/iir1.onnx" "$work/dir.d/noext"
ctl compile "$work/dir.d/noext" >/dev/null
check "compile without -o and without an extension writes MODEL.efm next to it" test -f "$work/dir.d/noext.efm"
ctl --json compile "$EX/iir1.onnx" -o "$work/we\"ird.efm"
check "compile --json escapes file names (valid JSON)" /usr/bin/python3 -m json.tool "$work/out"

ctl run "$work/iir1.efm" --input "x=$EX/mlp/input_x_0.npy"
one_line_error "run with an input of the wrong shape" 1 "INVALID_ARGUMENT.*input x.*\[1, 1\].*\[1, 784\]"
ctl run "$work/iir1.efm" --input "x=$EX/iir1/input_x_0.npy" --input "nosuch=$EX/iir1/input_x_0.npy"
one_line_error "run with an unknown input name" 1 "INVALID_ARGUMENT.*nosuch.*no input or state"
ctl run "$work/iir1.efm" --input "x=$work/does-not-exist_{step}.npy" --steps 2
one_line_error "run with a missing input file" 1 "NOT_FOUND.*does-not-exist_0.npy"
ctl run "$work/iir1.efm" --input "x=$EX/iir1/input_x_{step}.npy" --steps 5
one_line_error "run past the last {step} file names it" 1 "NOT_FOUND.*input_x_4.npy"
ctl run "$work/iir1.efm" --input "state_in=$EX/mlp/input_x_0.npy" --input "x=$EX/iir1/input_x_0.npy"
one_line_error "run with an initial state of the wrong shape" 1 "INVALID_ARGUMENT.*state_in"

size=$(stat -c %s "$work/cnn.efm")
head -c $((size / 2)) "$work/cnn.efm" >"$work/truncated.efm"
ctl inspect "$work/truncated.efm"
one_line_error "inspect of a truncated .efm" 1 "INVALID_ARGUMENT.*truncated.efm"
ctl run "$work/truncated.efm" --input "x=$EX/cnn/input_x_0.npy"
one_line_error "run of a truncated .efm" 1 "INVALID_ARGUMENT.*truncated.efm"
# Corrupt: the root table offset points outside the file (the "EFM0" identifier is intact).
cp "$work/cnn.efm" "$work/corrupt.efm"
printf '\xf0\xff\xff\x7f' | dd of="$work/corrupt.efm" bs=1 seek=0 conv=notrunc status=none
ctl inspect "$work/corrupt.efm"
one_line_error "inspect of a corrupt .efm" 1 "INVALID_ARGUMENT.*corrupt.efm"
ctl run "$work/corrupt.efm" --input "x=$EX/cnn/input_x_0.npy"
one_line_error "run of a corrupt .efm" 1 "INVALID_ARGUMENT.*corrupt.efm"
head -c 3000 /dev/urandom >"$work/random.efm"
ctl run "$work/random.efm" --input "x=$EX/cnn/input_x_0.npy"
one_line_error "run of random bytes" 1 "INVALID_ARGUMENT.*random.efm"

# Ops the compiler does not support (Det behind a supported Relu; NonZero), opset 13.
"$PY" - "$work/unsupported.onnx" "$work/nonzero.onnx" <<'EOF'
import sys
import onnx
from onnx import TensorProto, helper
g = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["r"], name="first_relu"),
     helper.make_node("Det", ["r"], ["y"], name="my_det")],
    "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
# NonZero: data-dependent output shape.
g = helper.make_graph(
    [helper.make_node("NonZero", ["x"], ["y"], name="find_nonzero")],
    "nonzero",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.INT64, [1, None])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[2])
EOF
ctl compile "$work/unsupported.onnx" -o "$work/unsupported.efm"
one_line_error "compile of an unsupported op names node, op type and opset" 1 \
  "UNIMPLEMENTED.*my_det.*Det.*opset 13"
check "nothing written for an unsupported model" test ! -e "$work/unsupported.efm"
ctl compile "$work/nonzero.onnx" -o "$work/nonzero.efm"
one_line_error "compile of a NonZero model names node, op type and opset" 1 \
  "UNIMPLEMENTED.*find_nonzero.*NonZero.*opset 13"
printf 'not an onnx model' >"$work/garbage.onnx"
ctl compile "$work/garbage.onnx" -o "$work/garbage.efm"
one_line_error "compile of a file that is not ONNX" 1 "INVALID_ARGUMENT.*garbage.onnx"

ctl compile "$EX/iir1.onnx" -o "$work/x.efm" --state state_in
one_line_error "--state without '='" 1 "INVALID_ARGUMENT.*--state state_in.*INPUT=OUTPUT"
ctl compile "$EX/iir1.onnx" -o "$work/x.efm" --state =state_out
one_line_error "--state with an empty input" 1 "INVALID_ARGUMENT.*--state"
ctl compile "$EX/iir1.onnx" -o "$work/x.efm" --state nosuch=state_out
one_line_error "--state naming a tensor the model lacks" 1 "nosuch"
ctl compile "$EX/iir1.onnx" -o "$work/x.efm" --selftest "$EX/iir1/input_x_0.npy"
one_line_error "--selftest without --expect" 1 "INVALID_ARGUMENT.*--expect"
ctl compile "$EX/iir1.onnx" -o "$work/x.efm" --selftest "$EX/iir1/input_x_0.npy" \
  --expect "y=$EX/iir1/output_y_1.npy"
one_line_error "a self-test vector that does not pass is refused" 1 "FAILED_PRECONDITION.*self-test"
check "no .efm written for bad compile arguments" test ! -e "$work/x.efm"

# --- sign an .efm: the model TLVs come from the payload; inspect shows them and the model. ---
ctl keygen -o "$work/fleet.pem"
check "keygen exits 0" test "$(rc)" = 0
"$EDGECTL" pubkey "$work/fleet.pem" >"$work/fleet.pub"
ctl sign "$work/iir1_st.efm" -k "$work/fleet.pem" --version 1.2.3 --name iir1 -o "$work/iir1.bin"
check "sign of an .efm exits 0" test "$(rc)" = 0
"$EDGECTL" --json inspect "$work/iir1_st.efm" >"$work/iir1_st.json"
arena=$("$PY" -c "import json; print(json.load(open('$work/iir1_st.json'))['required_arena_bytes'])")
ctl inspect "$work/iir1.bin" -k "$work/fleet.pub"
check "inspect of the signed image exits 0" test "$(rc)" = 0
check "inspect shows the model name TLV" out_has "model name +iir1"
check "inspect shows the efm version TLV" out_has "efm version +1$"
check "inspect shows the arena bytes TLV ($arena, what the model needs)" out_has "arena bytes +$arena$"
check "inspect shows a 32-byte op set TLV" out_has "op set +[0-9a-f]{64}$"
check "inspect describes the embedded model" \
  bash -c "grep -q 'payload: .efm model' '$work/out' && grep -qE '^model: .*\(efm v1\)' '$work/out' && grep -qE '^state: +state_in -> state_out' '$work/out' && grep -qE '^self-test: +yes' '$work/out'"
check "inspect verifies the signature" out_has "signature: VERIFIED"
ctl verify "$work/iir1.bin" -k "$work/fleet.pub"
check "verify accepts it" out_has "verified: iir1@1.2.3"
ctl sign "$work/truncated.efm" -k "$work/fleet.pem" --version 1.0.0 -o "$work/bad.bin"
one_line_error "sign refuses a truncated .efm" 1 "INVALID_ARGUMENT.*truncated.efm"
check "nothing signed for a truncated .efm" test ! -e "$work/bad.bin"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
