/* Flash size of the MCU verify path: a bare-metal program that does what the firmware does at
 * boot (hand Mbed TLS a static heap buffer) and then one signed-image verify. Linked with
 * --gc-sections, so the ELF holds exactly the code this path reaches (plus newlib's startup, see
 * size_baseline.c). Built and measured by scripts/build-cortex-m4.sh; not meant to run. */
#include "mbedtls/memory_buffer_alloc.h"
#include "verify_path.h"
#include "verify_vectors.h"

static unsigned char mbedtls_heap[EDGE_MBEDTLS_HEAP_BYTES] __attribute__((aligned(8)));

volatile int edge_verify_result; /* keeps the result (and so the whole path) alive */

int main(void) {
  mbedtls_memory_buffer_alloc_init(mbedtls_heap, sizeof mbedtls_heap);
  edge_verify_result = edge_verify_path(kEdgeVerifyMessage, sizeof kEdgeVerifyMessage,
                                        kEdgeVerifyPublicKey, sizeof kEdgeVerifyPublicKey,
                                        kEdgeVerifySignature, sizeof kEdgeVerifySignature);
  return edge_verify_result == 0 ? 0 : 1;
}
