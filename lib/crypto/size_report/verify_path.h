/* The signed-image verify path on the MCU, in Mbed TLS calls: SHA-256 over the image, then ECDSA
 * P-256 verify of a DER signature against an uncompressed public key. Shared by the flash size
 * report (verify_size_report.c) and the heap probe (heap_probe.c). Needs mbedtls_calloc to work,
 * i.e. mbedtls_memory_buffer_alloc_init() on a static buffer first. */
#ifndef EDGE_CRYPTO_SIZE_REPORT_VERIFY_PATH_H
#define EDGE_CRYPTO_SIZE_REPORT_VERIFY_PATH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 if `signature` is a valid ECDSA-P256-SHA256 signature of `message` under `public_key`
 * (65 bytes, 0x04 || X || Y); otherwise the first Mbed TLS error (negative). */
int edge_verify_path(const unsigned char* message, size_t message_size,
                     const unsigned char* public_key, size_t public_key_size,
                     const unsigned char* signature, size_t signature_size);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_CRYPTO_SIZE_REPORT_VERIFY_PATH_H */
