#!/usr/bin/env bash
# Installs the Debian packages edgefleet needs (Debian 12 "bookworm"), only those missing.
# Runs apt-get as root, or through sudo. Idempotent; quiet when everything is present.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # host dependencies
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libspdlog-dev libmbedtls-dev libsqlite3-dev libyaml-cpp-dev libcli11-dev
  # model compiler and format (ONNX importer, .efm FlatBuffers)
  libonnx-dev libflatbuffers-dev flatbuffers-compiler
  # tests (openssl: independent checks of keys and signatures; clang + its runtime: libFuzzer;
  # libonnx-testdata: the ONNX backend conformance suite, tests/conformance)
  libgtest-dev libgmock-dev python3 sqlite3 bsdutils openssl clang libclang-rt-14-dev
  libonnx-testdata
  # portable code for Cortex-M4F (dpkg-dev: `apt-get source mbedtls`; qemu-user: runs the ARM
  # heap probe)
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-dev dpkg-dev qemu-user
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
