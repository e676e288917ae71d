#!/usr/bin/env bash
# The main job: install what is missing, build (release), and start edged on its embedded
# defaults: gRPC on 127.0.0.1:50051, data under ./var, logs to this terminal. Ctrl-C stops it.
# Extra arguments go to edged (e.g. scripts/run.sh --listen 127.0.0.1:0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --parallel "${EDGE_JOBS:-$(nproc)}"

# A demo signing key, made once: the gateway trusts its public half, so models signed with it
# upload (anything unsigned is refused, as on a real gateway).
mkdir -p var/keys
if [ ! -f var/keys/demo.pem ]; then
  build/release/client/edgectl keygen -o var/keys/demo.pem >/dev/null
fi
build/release/client/edgectl pubkey var/keys/demo.pem >var/keys/demo.pub.pem

echo
echo "edgectl is at $PWD/build/release/client/edgectl — in another terminal:"
echo "  export PATH=\"$PWD/build/release/client:\$PATH\""
echo "  edgectl sign model.efm -k var/keys/demo.pem --version 1.0.0 -o model.bin"
echo "  edgectl upload model.bin && edgectl ls"
echo
exec build/release/daemon/edged --data-dir var --trusted-key var/keys/demo.pub.pem "$@"
