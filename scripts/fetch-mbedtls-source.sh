#!/usr/bin/env bash
# Fetches the Mbed TLS source package from Debian 12 "bookworm" main (`apt-get source mbedtls`)
# into build/third_party/mbedtls-src/ (gitignored; never commit it) for the Cortex-M4F build
# (cmake/EdgeMbedtlsCortexM.cmake). Prints the absolute path of the extracted source tree on
# stdout (everything else goes to stderr), e.g.
#   /work/main/build/third_party/mbedtls-src/mbedtls-2.28.3
#
# Idempotent: once the tree is there it only prints the path (no root, no network). Otherwise it
#   1. adds a deb-src entry for bookworm main if none is configured
#      (/etc/apt/sources.list.d/edgefleet-debian-src.sources, deb822, same mirror as the deb entry),
#   2. runs `apt-get update` if the bookworm main Sources index is not downloaded yet,
#   3. installs dpkg-dev if dpkg-source (needed to unpack the package) is missing,
#   4. runs `apt-get source mbedtls/bookworm` (downloads .dsc + tarballs, checks them against the
#      signed archive index, unpacks it and applies Debian's patches, if any).
# Steps 1-3 change the system and need root (CI runs as root); as another user the script stops
# with a message saying what to run. Step 4 alone works as any user.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

suite=bookworm
component=main
dest="${PWD}/build/third_party/mbedtls-src"
marker="${dest}/.edge-source-dir"  # name of the extracted tree, written last
src_list=/etc/apt/sources.list.d/edgefleet-debian-src.sources

log() { echo "fetch-mbedtls-source: $*" >&2; }
die() { log "error: $*"; exit 1; }

print_if_done() {
  if [[ -s "${marker}" ]]; then
    local dir
    dir="${dest}/$(cat "${marker}")"
    if [[ -f "${dir}/include/mbedtls/version.h" && -f "${dir}/library/ecdsa.c" ]]; then
      echo "${dir}"
      exit 0
    fi
  fi
}

print_if_done

mkdir -p "${dest}"
exec 9>"${dest}/.lock"
flock 9  # another run (parallel CI job, second terminal) may be fetching right now
print_if_done

need_root() {
  if [[ "$(id -u)" -ne 0 ]]; then
    die "$1 needs root. Run 'sudo scripts/fetch-mbedtls-source.sh' once (or run as root), then rerun."
  fi
}

# Index targets of apt's sources for suite/component: "<target-of>|<Filename>|<Repo-URI>". With
# --no-release-info apt lists every configured target; without it only those already downloaded
# (Filename then carries the compression suffix, e.g. .lz4).
index_targets() {
  # shellcheck disable=SC2016  # $(...) here is apt's --format syntax, not the shell's
  apt-get indextargets "$@" --format '$(TARGET_OF)|$(RELEASE)|$(COMPONENT)|$(FILENAME)|$(REPO_URI)' |
    awk -F'|' -v s="${suite}" -v c="${component}" '$2 == s && $3 == c { print $1 "|" $4 "|" $5 }'
}
deb_src_configured() { index_targets --no-release-info | grep -q '^deb-src|'; }
sources_index_downloaded() {
  local f
  f=$(index_targets | awk -F'|' '$1 == "deb-src" { print $2; exit }')
  [[ -n "${f}" && -e "${f}" ]]
}

export DEBIAN_FRONTEND=noninteractive

# 1. deb-src entry.
if ! deb_src_configured; then
  need_root "Adding a deb-src entry for Debian ${suite} ${component} (${src_list})"
  # Use the mirror the machine already uses for `deb ... bookworm main`.
  uri=$(index_targets --no-release-info | awk -F'|' '$1 == "deb" { print $3; exit }')
  uri=${uri:-http://deb.debian.org/debian/}
  log "adding deb-src entry ${uri} ${suite} ${component} in ${src_list}"
  {
    echo "# Added by edgefleet scripts/fetch-mbedtls-source.sh: Debian source packages for"
    echo "# 'apt-get source mbedtls' (Cortex-M4F Mbed TLS build). Safe to delete."
    echo "Types: deb-src"
    echo "URIs: ${uri}"
    echo "Suites: ${suite}"
    echo "Components: ${component}"
    if [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
      echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    fi
  } >"${src_list}.tmp"
  mv "${src_list}.tmp" "${src_list}"
  if ! deb_src_configured; then
    rm -f "${src_list}"
    die "apt does not see the deb-src entry written to ${src_list}; removed it again"
  fi
fi

# 2. Sources index downloaded?
if ! sources_index_downloaded; then
  need_root "apt-get update (to download the ${suite} ${component} Sources index)"
  log "apt-get update"
  if ! apt-get update -q >&2; then
    die "apt-get update failed (network? mirror? see above). If it complains about ${src_list}, delete that file."
  fi
  sources_index_downloaded || die "apt-get update did not fetch the ${suite} ${component} Sources index"
fi

# 3. dpkg-source (dpkg-dev) unpacks the source package.
if ! command -v dpkg-source >/dev/null; then
  need_root "Installing dpkg-dev (dpkg-source unpacks the source package)"
  log "installing dpkg-dev"
  apt-get install -y -q --no-install-recommends dpkg-dev >&2
fi

# 4. Download and unpack into a staging directory, then move the tree into place.
staging="${dest}/.staging"
rm -rf "${staging}"
mkdir -p "${staging}"
log "apt-get source mbedtls/${suite} into ${dest}"
# As root apt warns "Download is performed unsandboxed as root ..." (its _apt user cannot write
# here): harmless; the files are still checked against the signed Sources index.
(cd "${staging}" && apt-get source -q "mbedtls/${suite}") >&2 ||
  die "apt-get source mbedtls/${suite} failed (see above)"

shopt -s nullglob
trees=("${staging}"/mbedtls-*/)
shopt -u nullglob
[[ ${#trees[@]} -eq 1 ]] || die "expected one mbedtls-* directory in ${staging}, found ${#trees[@]}"
name=$(basename "${trees[0]}")
[[ -f "${staging}/${name}/include/mbedtls/version.h" ]] ||
  die "${name} does not look like an Mbed TLS source tree (no include/mbedtls/version.h)"

rm -rf "${dest:?}/${name}"
mv "${staging}/${name}" "${dest}/${name}"
mv "${staging}"/mbedtls_* "${dest}/"  # .dsc, .orig.tar.*, .debian.tar.* (kept for reference)
rm -rf "${staging}"
echo "${name}" >"${marker}"
log "Mbed TLS source: ${dest}/${name}"
echo "${dest}/${name}"
