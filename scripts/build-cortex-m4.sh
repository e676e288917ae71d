#!/usr/bin/env bash
# Builds the portable code (lib/, firmware core) for Cortex-M4F with arm-none-eabi (the
# `cortex-m4` preset: -fno-exceptions -fno-rtti, -Werror, plus the portable_check link check),
# then prints the code size of every portable static library.
#
# Usage: scripts/build-cortex-m4.sh        (EDGE_JOBS=<n> to change build parallelism; default 2)
# Exits non-zero if configuring, building or the no-heap/no-exceptions check fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake --preset cortex-m4
cmake --build --preset cortex-m4 --parallel "${EDGE_JOBS:-2}"

list_file=build/cortex-m4/edge_portable_libs.txt
if [[ ! -s "${list_file}" ]]; then
  echo "build-cortex-m4: ${list_file} missing or empty (no portable libraries?)" >&2
  exit 1
fi
mapfile -t libs < <(grep -v '^[[:space:]]*$' "${list_file}")
if [[ ${#libs[@]} -eq 0 ]]; then
  echo "build-cortex-m4: no portable libraries listed in ${list_file}" >&2
  exit 1
fi

echo
echo "== Portable library sizes (arm-none-eabi, MinSizeRel; before --gc-sections) =="
arm-none-eabi-size -t "${libs[@]}"
