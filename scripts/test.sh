#!/usr/bin/env bash
# Installs what is missing, builds everything with the `ci` preset (-Werror) and runs every
# test (ctest: unit, crash, integration, end-to-end), builds the portable code for Cortex-M4F
# (with Mbed TLS from Debian's source package) with its no-heap/no-exceptions link check and
# size report, and runs each libFuzzer target for a short fixed time. This is what CI runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
jobs=${EDGE_JOBS:-$(nproc)}
cmake --preset ci
cmake --build --preset ci --parallel "$jobs"
ctest --preset ci --parallel "$jobs"
tests=$(ctest --preset ci -N | sed -n 's/^Total Tests: //p')
EDGE_JOBS=$jobs scripts/build-cortex-m4.sh
EDGE_JOBS=$jobs scripts/fuzz.sh "${EDGE_FUZZ_SECONDS:-20}"
echo "Cortex-M4F build clean, fuzzers found nothing."
echo "test.sh: ${tests} passed, 0 failed"
