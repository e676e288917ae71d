# Mbed TLS for the Cortex-M4F build (EDGE_PORTABLE_ONLY=ON, cortex-m4 preset).
#
# Builds `edge_mbedcrypto_m4`, a static library of the few Mbed TLS 2.28 sources that ECDSA P-256
# verify + SHA-256 need, from Debian's source package (scripts/fetch-mbedtls-source.sh fetches it
# and prints the path; scripts/build-cortex-m4.sh passes it as EDGE_MBEDTLS_SOURCE_DIR), with the
# minimal configuration lib/crypto/mbedtls_config_cortex_m.h. Then defines `edge_mbedcrypto`, the
# INTERFACE target the host build defines over Debian's libmbedcrypto (top-level CMakeLists.txt),
# so portable modules say `PRIVATE_DEPS edge_mbedcrypto` on both.
#
# Mbed TLS is third-party: compiled with the toolchain's flags (-mcpu=cortex-m4 ... from
# arm-none-eabi.cmake) and -Os, without EDGE_WARNINGS/-Werror, and its headers reach our code as
# system headers. It is not in EDGE_PORTABLE_TARGETS (portable_check does not inspect it); with
# MBEDTLS_PLATFORM_NO_STD_FUNCTIONS it references no calloc/free anyway, only the static buffer the
# firmware hands to mbedtls_memory_buffer_alloc_init() at boot.
#
# Also adds lib/crypto/size_report (edge_verify_size_report: flash size of the verify path).
include_guard(GLOBAL)

set(EDGE_MBEDTLS_SOURCE_DIR "" CACHE PATH
    "Mbed TLS 2.28 source tree for the Cortex-M build (printed by scripts/fetch-mbedtls-source.sh)")

if(NOT EDGE_PORTABLE_ONLY)
  return()
endif()
if(NOT EDGE_MBEDTLS_SOURCE_DIR)
  message(WARNING
    "EDGE_MBEDTLS_SOURCE_DIR is not set: no Mbed TLS (edge_mbedcrypto) for Cortex-M, so portable "
    "code using it will not compile. scripts/build-cortex-m4.sh fetches the source and sets it; by "
    "hand: cmake --preset cortex-m4 -DEDGE_MBEDTLS_SOURCE_DIR=$(scripts/fetch-mbedtls-source.sh)")
  return()
endif()

set(_edge_mbedtls_dir "${EDGE_MBEDTLS_SOURCE_DIR}")
set(_edge_mbedtls_version_h "${_edge_mbedtls_dir}/include/mbedtls/version.h")
if(NOT EXISTS "${_edge_mbedtls_version_h}")
  message(FATAL_ERROR "EDGE_MBEDTLS_SOURCE_DIR=${_edge_mbedtls_dir} is not an Mbed TLS source tree "
                      "(no include/mbedtls/version.h)")
endif()
file(STRINGS "${_edge_mbedtls_version_h}" _edge_mbedtls_version_line
     REGEX "^#define MBEDTLS_VERSION_STRING +\"[0-9.]+\"")
string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" EDGE_MBEDTLS_VERSION "${_edge_mbedtls_version_line}")
# The config (MBEDTLS_CONFIG_FILE replacing include/mbedtls/config.h, option names) and the APIs
# the portable code uses (mbedtls_sha256_ret, ...) are Mbed TLS 2.x; 3.x renamed them.
if(NOT EDGE_MBEDTLS_VERSION MATCHES "^2\\.")
  message(FATAL_ERROR "Mbed TLS ${EDGE_MBEDTLS_VERSION} in ${_edge_mbedtls_dir}: the Cortex-M "
                      "config (lib/crypto/mbedtls_config_cortex_m.h) is written for 2.28")
endif()
message(STATUS "Mbed TLS ${EDGE_MBEDTLS_VERSION} for Cortex-M: ${_edge_mbedtls_dir}")

# Only what the verify path links (everything else in the config is off, so other files would
# compile to nothing anyway). asn1write.c: MBEDTLS_ECDSA_C requires MBEDTLS_ASN1_WRITE_C; its
# functions (used by signing) are dropped by --gc-sections. constant_time.c: bignum.c's
# constant-time helpers.
set(EDGE_MBEDTLS_M4_SOURCES
    asn1parse.c
    asn1write.c
    bignum.c
    constant_time.c
    ecdsa.c
    ecp.c
    ecp_curves.c
    memory_buffer_alloc.c
    platform.c
    platform_util.c
    sha256.c)
list(TRANSFORM EDGE_MBEDTLS_M4_SOURCES PREPEND "${_edge_mbedtls_dir}/library/")

# The config header alone in an include directory of its own (lib/crypto holds private headers
# of edge.crypto that should not become system headers for every Mbed TLS user).
set(_edge_mbedtls_config_dir "${CMAKE_BINARY_DIR}/edge_mbedtls_config")
configure_file("${PROJECT_SOURCE_DIR}/lib/crypto/mbedtls_config_cortex_m.h"
               "${_edge_mbedtls_config_dir}/mbedtls_config_cortex_m.h" COPYONLY)

add_library(edge_mbedcrypto_m4 STATIC ${EDGE_MBEDTLS_M4_SOURCES})
target_include_directories(edge_mbedcrypto_m4 SYSTEM
  PUBLIC "${_edge_mbedtls_dir}/include" "${_edge_mbedtls_config_dir}")
target_compile_definitions(edge_mbedcrypto_m4
  PUBLIC "MBEDTLS_CONFIG_FILE=\"mbedtls_config_cortex_m.h\"")
# -Os whatever the build type (after CMAKE_C_FLAGS_<CONFIG>, so it wins): flash is the budget,
# and bn_mul.h's Thumb-2 inline assembly does not compile at -O0.
target_compile_options(edge_mbedcrypto_m4 PRIVATE -Os)
set_target_properties(edge_mbedcrypto_m4 PROPERTIES C_STANDARD 99 C_EXTENSIONS ON)

# Same name and role as the host's INTERFACE target over Debian's libmbedcrypto.
add_library(edge_mbedcrypto INTERFACE)
target_link_libraries(edge_mbedcrypto INTERFACE edge_mbedcrypto_m4)

add_subdirectory("${PROJECT_SOURCE_DIR}/lib/crypto/size_report" "${CMAKE_BINARY_DIR}/size_report")
