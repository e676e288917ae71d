#include "verify_path.h"

#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/sha256.h"

int edge_verify_path(const unsigned char* message, size_t message_size,
                     const unsigned char* public_key, size_t public_key_size,
                     const unsigned char* signature, size_t signature_size) {
  unsigned char digest[32];
  int ret = mbedtls_sha256_ret(message, message_size, digest, /*is224=*/0);
  if (ret != 0) {
    return ret;
  }

  mbedtls_ecdsa_context ctx;
  mbedtls_ecdsa_init(&ctx);
  ret = mbedtls_ecp_group_load(&ctx.grp, MBEDTLS_ECP_DP_SECP256R1);
  if (ret == 0) {
    ret = mbedtls_ecp_point_read_binary(&ctx.grp, &ctx.Q, public_key, public_key_size);
  }
  if (ret == 0) {
    /* As edge::crypto::VerifyP256 does: reject points not on the curve before using them. */
    ret = mbedtls_ecp_check_pubkey(&ctx.grp, &ctx.Q);
  }
  if (ret == 0) {
    ret = mbedtls_ecdsa_read_signature(&ctx, digest, sizeof digest, signature, signature_size);
  }
  mbedtls_ecdsa_free(&ctx);
  return ret;
}
