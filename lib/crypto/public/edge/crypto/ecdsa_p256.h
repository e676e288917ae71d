#pragma once
// ECDSA over NIST P-256 with SHA-256 digests: public-key parsing and signature verification.
// Portable (Mbed TLS; no heap of our own — on the MCU, Mbed TLS allocates from the static pool
// the firmware hands it at boot). Signing and key generation are host-only: edge/crypto/keys.h.
#include <array>
#include <cstddef>
#include <cstdint>

#include "edge/crypto/sha256.h"
#include "edge/status/status.h"

namespace edge::crypto {

// A P-256 public key as it is embedded in loaders and hashed for MCUboot's KEYHASH TLV: the DER
// SubjectPublicKeyInfo (always 91 bytes for an uncompressed P-256 point).
inline constexpr size_t kP256SpkiBytes = 91;

struct P256PublicKey {
  std::array<uint8_t, kP256SpkiBytes> spki{};  // DER SubjectPublicKeyInfo
  // 0x04 || X || Y, a view into spki.
  const uint8_t* point() const { return spki.data() + kP256SpkiBytes - 65; }
  // SHA-256 of the SPKI: MCUboot's KEYHASH.
  Sha256Digest KeyHash() const;
};

// Accepts exactly the DER SubjectPublicKeyInfo of an uncompressed P-256 key (id-ecPublicKey,
// prime256v1). Returns OK, or INVALID_ARGUMENT for anything else (other curves, compressed
// points, trailing bytes). Does not check that the point is on the curve; Verify does.
Status ParseP256Spki(const uint8_t* der, size_t size, P256PublicKey* out);

// Verifies a DER-encoded ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }) of `digest`.
// Returns OK, or PERMISSION_DENIED if the signature is malformed, has trailing bytes, or does
// not verify; INVALID_ARGUMENT if the key is not a valid curve point.
Status VerifyP256(const P256PublicKey& key, const Sha256Digest& digest, const uint8_t* signature,
                  size_t signature_size);

}  // namespace edge::crypto
