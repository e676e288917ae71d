#pragma once
// Host only: lays out and signs model images in MCUboot's format (see image.h). The result is
// what imgtool would produce for `imgtool sign -H <header_size> -v <version> -s <counter>` plus
// our protected model TLVs, so MCUboot tooling can read it and our verifier checks it.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/crypto/keys.h"
#include "edge/image/image.h"

namespace edge::image {

struct SignOptions {
  uint16_t header_size = 0x200;  // Zephyr's usual; at least 32
  ImageVersion version;
  // Protected SEC_CNT TLV. Unset: derived from the version as imgtool's `-s auto` does,
  // (major << 24) + (minor << 16) + revision.
  std::optional<uint32_t> security_counter;
  bool write_security_counter = true;  // false: no SEC_CNT TLV at all (as imgtool without -s)
  // Our model TLVs; empty/unset ones are left out.
  std::string model_name;
  std::optional<uint32_t> efm_version;
  std::string opset;  // raw bitmap bytes
  std::optional<uint32_t> arena_bytes;
  bool payload_sha256 = true;
  uint32_t flags = 0;
  uint32_t load_addr = 0;
};

// Parses "maj[.min[.rev[+build]]]" (imgtool's rules). INVALID_ARGUMENT naming the bad part.
absl::StatusOr<ImageVersion> ParseVersion(absl::string_view text);
// "1.2.3" when build is 0, else "1.2.3+4".
std::string VersionString(const ImageVersion& v);
uint32_t AutoSecurityCounter(const ImageVersion& v);

// Builds and signs an image around `payload`. INVALID_ARGUMENT for options that can't be
// encoded (header_size < 32, a name over 128 bytes, a payload over 4 GiB ...).
absl::StatusOr<std::string> BuildSignedImage(absl::string_view payload, const SignOptions& options,
                                             const crypto::P256PrivateKey& key);

// Human-readable dump of an image's header and TLVs (for `edgectl inspect`), whether or not it
// verifies; never fails on malformed input (it says where parsing stopped).
std::string DescribeImage(absl::string_view image);

}  // namespace edge::image
