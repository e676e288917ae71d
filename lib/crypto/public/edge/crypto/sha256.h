#pragma once
// Incremental SHA-256 over Mbed TLS, with hex helpers.
// Host-only for now; the signed-image work makes this the portable crypto seam (STYLE P14).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace edge::crypto {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // Finishes and returns the digest; the object must not be updated afterwards.
  std::array<uint8_t, 32> Finish();
  // Finishes and returns lowercase hex.
  std::string FinishHex();

 private:
  alignas(8) unsigned char ctx_[128];  // mbedtls_sha256_context, kept opaque here
};

std::string ToHex(const uint8_t* data, size_t size);
// True for exactly 64 lowercase hex characters.
bool IsSha256Hex(std::string_view s);

}  // namespace edge::crypto
