// libFuzzer target for the image parser + verifier and the describer (STYLE P13). Built with clang
// -fsanitize=fuzzer,address,undefined by the `fuzz` preset and run in CI for a fixed time,
// seeded with tests/fixtures/image/*.bin; image_fuzz_seed_test.cc runs the same function over
// the seeds (and their truncations and bit flips) in every ordinary test run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "edge/crypto/ecdsa_p256.h"
#include "edge/image/image.h"
#include "edge/image/image_builder.h"

namespace {

// tests/fixtures/image/pub.pem (DER SubjectPublicKeyInfo): seeds signed with it reach the
// signature check.
constexpr uint8_t kFixtureKey[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x80, 0x54, 0x91, 0x99, 0x4b,
    0xc7, 0xcb, 0x35, 0xc4, 0xc8, 0xec, 0xe3, 0xb2, 0xae, 0x0a, 0x08, 0xfe, 0x8e, 0xcf, 0xb1, 0x84,
    0xee, 0x64, 0x9b, 0x6e, 0xbb, 0x1c, 0xd8, 0x48, 0xd8, 0x79, 0x23, 0x08, 0x37, 0x6d, 0x8a, 0x34,
    0xe4, 0x78, 0xb0, 0x14, 0x24, 0xe7, 0x94, 0x41, 0x58, 0x7d, 0xf1, 0xcf, 0x67, 0x9d, 0xc5, 0xbe,
    0xcc, 0x55, 0x4f, 0x87, 0x2e, 0x4d, 0xcc, 0xd7, 0xcd, 0xcc, 0xff};

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using edge::image::ImageError;
  static edge::crypto::P256PublicKey key;
  static const bool key_ok =
      edge::crypto::ParseP256Spki(kFixtureKey, sizeof(kFixtureKey), &key).ok();
  Check(key_ok);

  ImageError whole_error = ImageError::kNone;
  edge::Result<edge::image::VerifiedImage> whole =
      edge::image::VerifyImage(data, size, &key, 1, &whole_error);
  if (whole.ok()) {
    // Anything accepted is exactly one well-formed image of this size.
    Check(whole_error == ImageError::kNone);
    Check(whole->total_bytes == size);
    Check(whole->header.signed_end() <= size);
    Check(whole->header.hdr_size >= edge::image::kHeaderBytes);
  } else {
    Check(whole_error != ImageError::kNone);
  }

  // Streaming in two pieces must reach the same verdict.
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  edge::image::ImageVerifier v;
  edge::Status s = v.Update(data, split);
  if (s.ok()) s = v.Update(data + split, size - split);
  edge::Result<edge::image::VerifiedImage> streamed =
      s.ok() ? v.Finish(&key, 1) : edge::Result<edge::image::VerifiedImage>(s);
  Check(streamed.ok() == whole.ok());
  Check(v.error() == whole_error);
  if (streamed.ok()) Check(streamed->digest == whole->digest);

  // The describer (edgectl inspect) walks the same untrusted bytes on its own.
  const std::string text =
      edge::image::DescribeImage(absl::string_view(reinterpret_cast<const char*>(data), size));
  Check(!text.empty());
  return 0;
}
