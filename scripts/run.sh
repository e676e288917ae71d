#!/usr/bin/env bash
# The main job: install what is missing, build (release), and start edged on its embedded
# defaults: gRPC on 127.0.0.1:50051, data under ./var, logs to this terminal. Ctrl-C stops it.
# Extra arguments go to edged (e.g. scripts/run.sh --listen 127.0.0.1:0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --parallel "${EDGE_JOBS:-$(nproc)}"

echo
echo "edgectl is at $PWD/build/release/client/edgectl — in another terminal:"
echo "  export PATH=\"$PWD/build/release/client:\$PATH\""
echo "  edgectl upload some-model.efm && edgectl ls"
echo
exec build/release/daemon/edged --data-dir var "$@"
