#pragma once
// Host-only hex helpers for digests and keys.
#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "edge/crypto/sha256.h"

namespace edge::crypto {

std::string ToHex(const uint8_t* data, size_t size);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& bytes) {
  return ToHex(bytes.data(), N);
}
// Finishes `hash` and returns its digest as lowercase hex.
std::string FinishHex(Sha256& hash);
// One-shot SHA-256 as lowercase hex.
std::string Sha256Hex(absl::string_view bytes);
// True for exactly 64 lowercase hex characters.
bool IsSha256Hex(absl::string_view s);
// Parses hex (either case) into bytes; false if the length is odd or a character isn't hex.
bool FromHex(absl::string_view hex, std::string* out);

}  // namespace edge::crypto
