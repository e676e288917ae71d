#include "edge/crypto/sha256.h"

#include <random>
#include <string>

#include "edge/crypto/hex.h"
#include "edge/crypto/sha256_pipeline.h"
#include "gtest/gtest.h"

namespace edge::crypto {
namespace {

std::string Hash(const std::string& s, size_t piece = 0) {
  Sha256 h;
  if (piece == 0) {
    h.Update(s.data(), s.size());
  } else {
    for (size_t off = 0; off < s.size(); off += piece) {
      h.Update(s.data() + off, std::min(piece, s.size() - off));
    }
  }
  return FinishHex(h);
}

class Sha256Test : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { Sha256::ForceGenericForTest(GetParam()); }
  void TearDown() override { Sha256::ForceGenericForTest(false); }
};

// FIPS 180-2 appendix B vectors.
TEST_P(Sha256Test, Fips180Vectors) {
  EXPECT_EQ(Hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hash(std::string(1000000, 'a'), 4096),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_P(Sha256Test, SplittingTheInputDoesNotChangeTheDigest) {
  std::mt19937 rng(7);
  for (size_t len : {1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 127u, 128u, 1000u, 65537u}) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const std::string whole = Hash(s);
    for (size_t piece : {1u, 3u, 63u, 64u, 100u}) EXPECT_EQ(Hash(s, piece), whole) << len;
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Sha256Test, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "MbedTls" : "Default";
                         });

TEST(Sha256, AcceleratedAndMbedTlsAgreeOnRandomInputs) {
  if (!Sha256::Accelerated()) GTEST_SKIP() << "no SHA extensions on this CPU";
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 3000, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    Sha256::ForceGenericForTest(true);
    std::string generic = Hash(s);
    Sha256::ForceGenericForTest(false);
    EXPECT_EQ(Hash(s, 1 + rng() % 200), generic) << "length " << s.size();
  }
}

TEST(Sha256Pipeline, MatchesSha256OverTheSameChunks) {
  std::mt19937 rng(5);
  std::string all;
  Sha256Pipeline pipeline;
  for (int i = 0; i < 50; ++i) {
    std::string chunk(rng() % 5000, '\0');
    for (char& c : chunk) c = static_cast<char>(rng());
    all += chunk;
    pipeline.Push(std::move(chunk));
  }
  EXPECT_EQ(pipeline.FinishHex(), Hash(all));
  Sha256Pipeline empty;
  EXPECT_EQ(empty.FinishHex(), Hash(""));
}

TEST(Sha256, HexHelpers) {
  const uint8_t bytes[] = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(ToHex(bytes, 4), "007fabff");
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace edge::crypto
