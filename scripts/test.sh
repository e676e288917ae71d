#!/usr/bin/env bash
# Installs what is missing, builds everything with the `ci` preset (-Werror) and runs every
# test (ctest: unit, crash, integration, end-to-end), then builds the portable code for
# Cortex-M4F with its no-heap/no-exceptions link check. This is exactly what CI runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
jobs=${EDGE_JOBS:-$(nproc)}
cmake --preset ci
cmake --build --preset ci --parallel "$jobs"
ctest --preset ci --parallel "$jobs"
EDGE_JOBS=$jobs scripts/build-cortex-m4.sh
echo "test.sh: all tests passed and the Cortex-M4F build is clean"
