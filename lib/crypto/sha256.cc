#include "edge/crypto/sha256.h"

#include <mbedtls/sha256.h>

#include <new>

namespace edge::crypto {

static_assert(sizeof(mbedtls_sha256_context) <= 128, "grow Sha256::ctx_");

namespace {
mbedtls_sha256_context* Ctx(unsigned char* raw) {
  return std::launder(reinterpret_cast<mbedtls_sha256_context*>(raw));
}
}  // namespace

Sha256::Sha256() {
  auto* ctx = new (ctx_) mbedtls_sha256_context;
  mbedtls_sha256_init(ctx);
  (void)mbedtls_sha256_starts_ret(ctx, /*is224=*/0);
}

Sha256::~Sha256() { mbedtls_sha256_free(Ctx(ctx_)); }

void Sha256::Update(const void* data, size_t size) {
  (void)mbedtls_sha256_update_ret(Ctx(ctx_), static_cast<const unsigned char*>(data), size);
}

std::array<uint8_t, 32> Sha256::Finish() {
  std::array<uint8_t, 32> out{};
  (void)mbedtls_sha256_finish_ret(Ctx(ctx_), out.data());
  return out;
}

std::string Sha256::FinishHex() {
  std::array<uint8_t, 32> d = Finish();
  return ToHex(d.data(), d.size());
}

std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace edge::crypto
