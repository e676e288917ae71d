#pragma once
// Incremental SHA-256 with hex helpers.
//
// Mbed TLS computes it everywhere; on x86-64 hosts whose CPU has the SHA extensions, the block
// function runs on them instead (about 10x faster than Mbed TLS 2.28's C code, which matters
// for hashing model uploads at line rate). Both paths are checked against each other and
// against FIPS 180-2 vectors in sha256_test.cc.
// Portable (no heap, no exceptions); hex helpers for the host are in edge/crypto/hex.h.
#include <array>
#include <cstddef>
#include <cstdint>

namespace edge::crypto {

class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // Finishes and returns the digest; the object must not be updated afterwards.
  std::array<uint8_t, kDigestBytes> Finish();

  // Whether this CPU runs the accelerated block function.
  static bool Accelerated();
  // Forces the Mbed TLS path for objects created afterwards (tests compare the two).
  static void ForceGenericForTest(bool force);

 private:
  bool accel_;
  // Accelerated path: our own buffering.
  uint32_t state_[8];
  uint8_t buffer_[64];
  uint64_t total_ = 0;
  // Generic path: mbedtls_sha256_context, kept opaque here.
  alignas(8) unsigned char ctx_[128];
};

using Sha256Digest = std::array<uint8_t, Sha256::kDigestBytes>;

}  // namespace edge::crypto
