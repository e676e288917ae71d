#!/usr/bin/env bash
# Builds the libFuzzer targets (`fuzz` preset: clang, ASan + UBSan) and runs each for a fixed
# time, seeded with the plain tests' inputs. A crash, leak or sanitizer report fails the run and
# leaves the reproducer in build/fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30; CI uses 20)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-30}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "${EDGE_JOBS:-2}"

mkdir -p build/fuzz/artifacts
run() {  # NAME BINARY SEED_DIR
  local name=$1 bin=$2 seeds=$3
  local corpus=build/fuzz/corpus/${name}
  if [[ ! -x "${bin}" ]]; then
    echo "fuzz: ${bin} was not built" >&2
    return 1
  fi
  mkdir -p "${corpus}"
  echo "fuzz: ${name} for ${seconds}s (seeds: ${seeds})"
  local log=build/fuzz/${name}.log rc=0
  "${bin}" -max_total_time="${seconds}" -print_final_stats=1 \
    -artifact_prefix="build/fuzz/artifacts/${name}-" "${corpus}" "${seeds}" >"${log}" 2>&1 || rc=$?
  # Only the summary lines; the whole log stays in build/fuzz/<name>.log.
  grep -E "^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix)" "${log}" || true
  if [[ ${rc} -ne 0 ]]; then
    echo "fuzz: ${name} FAILED (exit ${rc}); reproducer in build/fuzz/artifacts/, log ${log}" >&2
    tail -n 40 "${log}" >&2
  fi
  return "${rc}"
}
run image build/fuzz/lib/image/image_fuzz tests/fixtures/image
run smp build/fuzz/lib/smp/smp_fuzz tests/fixtures/smp
run runtime build/fuzz/lib/runtime/runtime_fuzz tests/fixtures/efm
echo "fuzz: all targets ran ${seconds}s without a finding"
