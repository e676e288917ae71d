// The runtime fuzz target's function over its seeds (tests/fixtures/efm/*.efm), every truncation
// at a stride and single-bit flips, so its invariants (it aborts on a violation) run in every
// ordinary test run too.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Feed(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(RuntimeFuzzSeeds, InvariantsHoldOnSeedsTruncationsAndBitFlips) {
  Feed("");
  int seeds = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(EDGE_SOURCE_DIR "/tests/fixtures/efm")) {
    if (entry.path().extension() != ".efm") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string seed = ss.str();
    ASSERT_FALSE(seed.empty()) << entry.path();
    ++seeds;
    Feed(seed);
    const size_t stride = seed.size() / 64 + 1;
    for (size_t len = 0; len < seed.size(); len += stride) Feed(seed.substr(0, len));
    for (size_t i = 0; i < seed.size(); i += stride) {
      std::string flipped = seed;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      Feed(flipped);
    }
  }
  EXPECT_GT(seeds, 0) << "no seeds in tests/fixtures/efm";
}

}  // namespace
