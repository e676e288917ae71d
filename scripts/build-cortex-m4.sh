#!/usr/bin/env bash
# Builds the portable code (lib/, firmware core) for Cortex-M4F with arm-none-eabi (the
# `cortex-m4` preset: -fno-exceptions -fno-rtti, -Werror, plus the portable_check link check),
# then prints the code size of every portable static library, the flash size of the
# signed-image verify path (Mbed TLS ECDSA P-256 + SHA-256, lib/crypto/size_report) and the flash
# size of the model runtime (interpreter + f32 kernels, lib/runtime/size_report).
#
# Mbed TLS for Cortex-M is built from Debian's source package: scripts/fetch-mbedtls-source.sh
# fetches it into build/third_party/ the first time (needs root then: adds a deb-src entry, apt-get
# update; CI runs as root), afterwards it only prints the path.
#
# Usage: scripts/build-cortex-m4.sh        (EDGE_JOBS=<n> to change build parallelism; default 2;
#                                           EDGE_MBEDTLS_SOURCE_DIR=<dir> to use another Mbed TLS
#                                           2.28 tree instead of fetching)
# If qemu-arm (Debian package qemu-user) is installed, also runs the heap probe (the ARM build
# verifies a signature, and the static heap one verify needs) and the runtime probe (the ARM
# build runs the example models of tests/fixtures/efm: arena bytes, self-test, state round trip,
# stack high-water mark).
# Exits non-zero if fetching, configuring, building, the no-heap/no-exceptions check or a probe
# fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${EDGE_MBEDTLS_SOURCE_DIR:-}" ]]; then
  mbedtls_src=${EDGE_MBEDTLS_SOURCE_DIR}
else
  mbedtls_src=$(scripts/fetch-mbedtls-source.sh)
fi
cmake --preset cortex-m4 -DEDGE_MBEDTLS_SOURCE_DIR="${mbedtls_src}"
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

report_dir=build/cortex-m4/size_report
report=${report_dir}/edge_verify_size_report.elf
baseline=${report_dir}/edge_verify_size_baseline.elf
if [[ ! -f "${report}" || ! -f "${baseline}" ]]; then
  echo "build-cortex-m4: ${report} or ${baseline} missing (Mbed TLS not configured?)" >&2
  exit 1
fi
echo
echo "== Signed-image verify path (lib/crypto/size_report, linked with --gc-sections) =="
arm-none-eabi-size "${report}" "${baseline}"
# Berkeley format, line 2: text data bss dec hex filename. Flash = text + data (.data's initial
# values live in flash); the baseline (empty main: newlib-nano startup, exit) is subtracted.
read -r text data _ < <(arm-none-eabi-size "${report}" | sed -n 2p)
read -r base_text base_data _ < <(arm-none-eabi-size "${baseline}" | sed -n 2p)
flash=$((text + data))
base=$((base_text + base_data))
echo "ECDSA-P256 verify + SHA-256 (Mbed TLS, Cortex-M4F): $((flash - base)) bytes flash" \
  "(ELF ${flash} = text ${text} + data ${data}, minus ${base} of C runtime an empty main() links)"

image_report=${report_dir}/edge_image_verify_size_report.elf
if [[ -f "${image_report}" ]]; then
  read -r itext idata _ < <(arm-none-eabi-size "${image_report}" | sed -n 2p)
  echo "Full image check (lib/image verifier + the above, Cortex-M4F): $((itext + idata - base))" \
    "bytes flash"
fi

runtime_report=${report_dir}/edge_runtime_size_report.elf
if [[ ! -f "${runtime_report}" ]]; then
  echo "build-cortex-m4: ${runtime_report} missing (lib/runtime/size_report not built?)" >&2
  exit 1
fi
read -r rtext rdata _ < <(arm-none-eabi-size "${runtime_report}" | sed -n 2p)
echo
echo "== Model runtime (lib/runtime/size_report, linked with --gc-sections) =="
echo "lib/runtime (interpreter + f32 kernels), Cortex-M4F: $((rtext + rdata - base)) bytes flash" \
  "(ELF $((rtext + rdata)) = text ${rtext} + data ${rdata}, minus the same ${base}; includes the" \
  "libm functions the kernels call)"

if command -v qemu-arm >/dev/null; then
  echo
  echo "== Probes (qemu-arm) =="
  qemu-arm "${report_dir}/edge_verify_heap_probe.elf"
  qemu-arm "${report_dir}/edge_runtime_probe.elf"
else
  echo "(qemu-arm not installed: heap and runtime probes skipped; apt-get install qemu-user to" \
    "run them)"
fi
