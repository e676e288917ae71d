// Flash size of the node's whole signed-image check: lib/image's streaming verifier (header and
// TLV parsing, SHA-256, KEYHASH match, ECDSA-P256 via Mbed TLS) as the loader links it. Built by
// the cortex-m4 preset and measured by scripts/build-cortex-m4.sh; not meant to run.
#include <cstddef>
#include <cstdint>

#include "edge/crypto/ecdsa_p256.h"
#include "edge/image/image.h"
#include "mbedtls/memory_buffer_alloc.h"

namespace {
alignas(8) unsigned char mbedtls_heap[EDGE_MBEDTLS_HEAP_BYTES];
}  // namespace

extern "C" {
// Stand-ins for the slot and the key the loader compiles in; volatile so nothing folds away.
volatile uint8_t edge_slot[4096];
volatile uint8_t edge_key_spki[edge::crypto::kP256SpkiBytes];
volatile int edge_verify_result;
}

int main() {
  mbedtls_memory_buffer_alloc_init(mbedtls_heap, sizeof mbedtls_heap);
  uint8_t spki[edge::crypto::kP256SpkiBytes];
  for (size_t i = 0; i < sizeof spki; ++i) spki[i] = edge_key_spki[i];
  edge::crypto::P256PublicKey key;
  if (!edge::crypto::ParseP256Spki(spki, sizeof spki, &key).ok()) return 2;
  edge::image::ImageVerifier verifier;
  uint8_t chunk[256];
  for (size_t off = 0; off < sizeof edge_slot; off += sizeof chunk) {
    for (size_t i = 0; i < sizeof chunk; ++i) chunk[i] = edge_slot[off + i];
    if (!verifier.Update(chunk, sizeof chunk).ok()) break;
  }
  edge::Result<edge::image::VerifiedImage> r = verifier.Finish(&key, 1);
  edge_verify_result = r.ok() ? static_cast<int>(r->security_counter) : -1;
  return r.ok() ? 0 : 1;
}
