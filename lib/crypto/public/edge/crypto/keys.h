#pragma once
// Host-only key handling for signing model images: P-256 key generation (PKCS#8 PEM, as
// imgtool and OpenSSL write it), PEM loading, and ECDSA-P256 signing of SHA-256 digests.
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/crypto/ecdsa_p256.h"

namespace edge::crypto {

// A loaded P-256 private key. Move-only.
class P256PrivateKey {
 public:
  // Generates a new key from the OS entropy source.
  static absl::StatusOr<P256PrivateKey> Generate();
  // Parses an unencrypted PEM (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY"). INVALID_ARGUMENT
  // names what is wrong (not PEM, encrypted, not an EC P-256 key).
  static absl::StatusOr<P256PrivateKey> FromPem(absl::string_view pem);

  P256PrivateKey(P256PrivateKey&& other) noexcept;
  P256PrivateKey& operator=(P256PrivateKey&&) = delete;
  ~P256PrivateKey();

  // PKCS#8 PrivateKeyInfo as PEM ("-----BEGIN PRIVATE KEY-----").
  absl::StatusOr<std::string> ToPkcs8Pem() const;
  P256PublicKey public_key() const;
  // DER ECDSA signature of `digest` (randomised k from the OS entropy source).
  absl::StatusOr<std::string> Sign(const Sha256Digest& digest) const;

 private:
  explicit P256PrivateKey(void* pk) : pk_(pk) {}
  void* pk_;  // mbedtls_pk_context*
};

// Parses a public key PEM ("PUBLIC KEY", SubjectPublicKeyInfo) or, for convenience, a private
// key PEM (its public half).
absl::StatusOr<P256PublicKey> PublicKeyFromPem(absl::string_view pem);
// SubjectPublicKeyInfo PEM of `key`.
std::string PublicKeyToPem(const P256PublicKey& key);

// Reads a whole file (keys are small). NOT_FOUND if it can't be read.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace edge::crypto
