#include "edge/crypto/sha256.h"

#include <mbedtls/sha256.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "sha256_accel.h"

namespace edge::crypto {

static_assert(sizeof(mbedtls_sha256_context) <= 128, "grow Sha256::ctx_");

namespace {

std::atomic<bool> force_generic{false};

mbedtls_sha256_context* Ctx(unsigned char* raw) {
  return std::launder(reinterpret_cast<mbedtls_sha256_context*>(raw));
}

constexpr uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

}  // namespace

bool Sha256::Accelerated() { return internal::Sha256AccelAvailable(); }

void Sha256::ForceGenericForTest(bool force) { force_generic = force; }

Sha256::Sha256() : accel_(Accelerated() && !force_generic) {
  if (accel_) {
    std::memcpy(state_, kInitialState, sizeof(state_));
    return;
  }
  auto* ctx = new (ctx_) mbedtls_sha256_context;
  mbedtls_sha256_init(ctx);
  (void)mbedtls_sha256_starts_ret(ctx, /*is224=*/0);
}

Sha256::~Sha256() {
  if (!accel_) mbedtls_sha256_free(Ctx(ctx_));
}

void Sha256::Update(const void* data, size_t size) {
  if (!accel_) {
    (void)mbedtls_sha256_update_ret(Ctx(ctx_), static_cast<const unsigned char*>(data), size);
    return;
  }
  const uint8_t* p = static_cast<const uint8_t*>(data);
  size_t used = static_cast<size_t>(total_ % 64);
  total_ += size;
  if (used > 0) {
    size_t take = std::min(size, 64 - used);
    std::memcpy(buffer_ + used, p, take);
    p += take;
    size -= take;
    if (used + take < 64) return;
    internal::Sha256AccelBlocks(state_, buffer_, 1);
  }
  if (size >= 64) {
    internal::Sha256AccelBlocks(state_, p, size / 64);
    p += size & ~size_t{63};
    size &= 63;
  }
  if (size > 0) std::memcpy(buffer_, p, size);
}

std::array<uint8_t, Sha256::kDigestBytes> Sha256::Finish() {
  std::array<uint8_t, kDigestBytes> out{};
  if (!accel_) {
    (void)mbedtls_sha256_finish_ret(Ctx(ctx_), out.data());
    return out;
  }
  // Padding: 0x80, zeros, then the bit length big-endian, to a multiple of 64 bytes.
  const uint64_t bits = total_ * 8;
  size_t used = static_cast<size_t>(total_ % 64);
  buffer_[used++] = 0x80;
  if (used > 56) {
    std::memset(buffer_ + used, 0, 64 - used);
    internal::Sha256AccelBlocks(state_, buffer_, 1);
    used = 0;
  }
  std::memset(buffer_ + used, 0, 56 - used);
  for (int i = 0; i < 8; ++i) buffer_[56 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  internal::Sha256AccelBlocks(state_, buffer_, 1);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
  return out;
}

}  // namespace edge::crypto
