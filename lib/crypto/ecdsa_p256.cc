#include "edge/crypto/ecdsa_p256.h"

#include <mbedtls/ecdsa.h>

#include <cstring>

namespace edge::crypto {
namespace {

// DER prefix of every uncompressed P-256 SubjectPublicKeyInfo:
//   SEQUENCE(89) { SEQUENCE(19) { OID id-ecPublicKey, OID prime256v1 }, BIT STRING(66) { 0, ... } }
// followed by the 65-byte point 0x04 || X || Y.
constexpr uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
static_assert(sizeof(kSpkiPrefix) + 64 == kP256SpkiBytes);

}  // namespace

Sha256Digest P256PublicKey::KeyHash() const {
  Sha256 h;
  h.Update(spki.data(), spki.size());
  return h.Finish();
}

Status ParseP256Spki(const uint8_t* der, size_t size, P256PublicKey* out) {
  if (der == nullptr || size != kP256SpkiBytes ||
      std::memcmp(der, kSpkiPrefix, sizeof(kSpkiPrefix)) != 0) {
    return Status::InvalidArgument();
  }
  std::memcpy(out->spki.data(), der, kP256SpkiBytes);
  return OkStatus();
}

Status VerifyP256(const P256PublicKey& key, const Sha256Digest& digest, const uint8_t* signature,
                  size_t signature_size) {
  mbedtls_ecdsa_context ctx;
  mbedtls_ecdsa_init(&ctx);
  Status result = Status::PermissionDenied();  // stays "no" unless the signature verifies
  if (mbedtls_ecp_group_load(&ctx.grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
      mbedtls_ecp_point_read_binary(&ctx.grp, &ctx.Q, key.point(), 65) != 0 ||
      mbedtls_ecp_check_pubkey(&ctx.grp, &ctx.Q) != 0) {
    result = Status::InvalidArgument();
  } else if (signature != nullptr &&
             mbedtls_ecdsa_read_signature(&ctx, digest.data(), digest.size(), signature,
                                          signature_size) == 0) {
    result = OkStatus();
  }
  mbedtls_ecdsa_free(&ctx);
  return result;
}

}  // namespace edge::crypto
