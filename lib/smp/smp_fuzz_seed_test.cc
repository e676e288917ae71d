// The fuzz target's function over its seeds (tests/fixtures/smp), every truncation of them and
// single-bit flips, so the invariants it checks (it aborts on a violation) run in every ordinary
// test run too.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string Read(const std::string& name) {
  std::ifstream in(EDGE_SOURCE_DIR "/tests/fixtures/smp/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Feed(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(SmpFuzzSeeds, InvariantsHoldOnSeedsTruncationsAndBitFlips) {
  Feed("");
  for (const char* name : {"echo_frame.bin", "upload_frames_with_console_text.bin",
                           "upload_map.cbor", "image_state_indefinite.cbor"}) {
    const std::string seed = Read(name);
    ASSERT_FALSE(seed.empty()) << name;
    Feed(seed);
    for (size_t len = 0; len < seed.size(); ++len) Feed(seed.substr(0, len));
    for (size_t i = 0; i < seed.size(); ++i) {
      std::string flipped = seed;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      Feed(flipped);
    }
  }
}

}  // namespace
