/* Mbed TLS 2.28 configuration for the Cortex-M4F build (edge_mbedcrypto_m4,
 * cmake/EdgeMbedtlsCortexM.cmake): ECDSA P-256 signature *verify* + SHA-256, nothing else.
 *
 * Selected with -DMBEDTLS_CONFIG_FILE="mbedtls_config_cortex_m.h"; it replaces
 * include/mbedtls/config.h completely, so every option not defined here is off (no TLS, X.509,
 * PK, MD, ciphers, RNG/entropy, file system, sockets, threading, time, self tests, error strings).
 * The host build does not use this file: it links Debian's libmbedcrypto with its own config.
 *
 * Memory: no heap after init. Mbed TLS allocates bignum limbs with mbedtls_calloc(), which here is
 * the platform layer's function pointer (MBEDTLS_PLATFORM_MEMORY). With
 * MBEDTLS_PLATFORM_NO_STD_FUNCTIONS that pointer starts as a stub returning NULL (no reference to
 * libc calloc/free at all), and the firmware points it at a static buffer once, at boot:
 *
 *     static unsigned char mbedtls_heap[EDGE_MBEDTLS_HEAP_BYTES] __attribute__((aligned(8)));
 *     mbedtls_memory_buffer_alloc_init(mbedtls_heap, sizeof mbedtls_heap);
 *
 * EDGE_MBEDTLS_HEAP_BYTES (below) is enough for a P-256 verify; measured with this exact
 * configuration by lib/crypto/size_report (see its CMakeLists.txt).
 *
 * Keep this file C (it is compiled by C and C++ translation units) and self-contained.
 */
#ifndef EDGE_MBEDTLS_CONFIG_CORTEX_M_H
#define EDGE_MBEDTLS_CONFIG_CORTEX_M_H

/* Static heap buffer for mbedtls_memory_buffer_alloc_init() that one ECDSA P-256 verify
 * (group load, public key read + check, mbedtls_ecdsa_read_signature) fits in, with headroom.
 * The need depends a little on the key and signature values: smallest working buffer on
 * Cortex-M4F with this config 2,816..3,084 bytes over 200 random key/signature pairs, 2,916 for
 * the size report's vector (lib/crypto/size_report/heap_probe.c, run under qemu-arm). Allocations
 * are freed when the verify returns, so the buffer is reused by the next one. */
#define EDGE_MBEDTLS_HEAP_BYTES 4096

/* --- System support ------------------------------------------------------------------------ */
#define MBEDTLS_HAVE_ASM /* bn_mul.h: UMAAL multiply-accumulate on Cortex-M4: smaller, faster */
/* bignum.c then divides 64 by 32 bits itself instead of linking libgcc's __aeabi_uldivmod:
 * 568 bytes less flash, no measurable cost (division is rare on the verify path). */
#define MBEDTLS_NO_UDBL_DIVISION
/* Not defined: MBEDTLS_HAVE_TIME, MBEDTLS_HAVE_TIME_DATE, MBEDTLS_FS_IO, MBEDTLS_NET_C,
 * MBEDTLS_TIMING_C, MBEDTLS_THREADING_C, MBEDTLS_ENTROPY_C, MBEDTLS_SELF_TEST. */
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* --- Platform layer: memory only, nothing from libc's heap or stdio ------------------------- */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* memory_buffer_alloc.c calls mbedtls_exit(1) when it detects heap corruption (a double free, a
 * free of a pointer it does not own). Default: libc exit(). Here: trap (UDF -> HardFault), which
 * the firmware's fault handler turns into a reset, and no dependency on exit()/atexit. */
#define MBEDTLS_PLATFORM_EXIT_MACRO(status) __builtin_trap()
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 4

/* --- Hash ----------------------------------------------------------------------------------- */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* rolled-up compression loop: 1.4 KB less flash, a bit slower */

/* --- Bignum / elliptic curves --------------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_MAX_SIZE 32 /* bytes: P-256 scalars and coordinates (RSA/DHM buffers only) */

#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
/* Fast P-256 modular reduction: costs 816 bytes of flash; without it a verify runs ~4.5x longer
 * (under qemu-arm) and needs ~70 bytes more heap. */
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_ECP_WINDOW_SIZE 2       /* smaller precomputed tables (heap), slower mul */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0 /* no cached multiples of G (would need RAM/heap) */
/* Verify works on public data only: no blinding RNG needed (ECP requires this or a DRBG). */
#define MBEDTLS_ECP_NO_INTERNAL_RNG

#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C /* DER signature parsing (mbedtls_ecdsa_read_signature) */
#define MBEDTLS_ASN1_WRITE_C /* required by MBEDTLS_ECDSA_C (signing); dropped by --gc-sections */

#include "mbedtls/check_config.h"

#endif /* EDGE_MBEDTLS_CONFIG_CORTEX_M_H */
