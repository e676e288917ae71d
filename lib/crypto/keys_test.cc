#include "edge/crypto/keys.h"

#include <cstdio>
#include <fstream>

#include "edge/crypto/ecdsa_p256.h"
#include "edge/crypto/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Sha256Digest Digest(const std::string& s) {
  Sha256 h;
  h.Update(s.data(), s.size());
  return h.Finish();
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(Keys, GeneratedKeySignsAndVerifies) {
  absl::StatusOr<P256PrivateKey> key = P256PrivateKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  const Sha256Digest d = Digest("model bytes");
  absl::StatusOr<std::string> sig = key->Sign(d);
  ASSERT_TRUE(sig.ok());
  EXPECT_GE(sig->size(), 68u);
  EXPECT_LE(sig->size(), 72u);
  const P256PublicKey pub = key->public_key();
  const auto* s = reinterpret_cast<const uint8_t*>(sig->data());
  EXPECT_TRUE(VerifyP256(pub, d, s, sig->size()).ok());
  EXPECT_EQ(VerifyP256(pub, Digest("other bytes"), s, sig->size()), Status::PermissionDenied());
  std::string bad = *sig;
  bad[bad.size() / 2] ^= 1;
  EXPECT_EQ(VerifyP256(pub, d, reinterpret_cast<const uint8_t*>(bad.data()), bad.size()),
            Status::PermissionDenied());
  std::string trailing = *sig + "x";
  EXPECT_EQ(VerifyP256(pub, d, reinterpret_cast<const uint8_t*>(trailing.data()), trailing.size()),
            Status::PermissionDenied());
  EXPECT_EQ(VerifyP256(pub, d, nullptr, 0), Status::PermissionDenied());
  absl::StatusOr<P256PrivateKey> other = P256PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyP256(other->public_key(), d, s, sig->size()), Status::PermissionDenied());
}

TEST(Keys, Pkcs8PemRoundTripsAndOpensslReadsIt) {
  absl::StatusOr<P256PrivateKey> key = P256PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  absl::StatusOr<std::string> pem = key->ToPkcs8Pem();
  ASSERT_TRUE(pem.ok());
  EXPECT_THAT(*pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  absl::StatusOr<P256PrivateKey> again = P256PrivateKey::FromPem(*pem);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->public_key().spki, key->public_key().spki);

  // OpenSSL, independently, must see the same key: its public half, and its KEYHASH.
  char path[] = "/tmp/edge_keys_test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << *pem;
  const std::string ossl_hash = Shell(std::string("openssl pkey -in ") + path +
                                      " -pubout -outform DER 2>/dev/null | sha256sum");
  const std::string ossl_pem =
      Shell(std::string("openssl pkey -in ") + path + " -pubout 2>/dev/null");
  unlink(path);
  ASSERT_FALSE(ossl_hash.empty()) << "openssl not installed?";
  EXPECT_EQ(ossl_hash.substr(0, 64), ToHex(key->public_key().KeyHash()));
  EXPECT_EQ(ossl_pem, PublicKeyToPem(key->public_key()));
}

TEST(Keys, OpensslGeneratedKeysLoad) {
  const std::string pem =
      Shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null");
  ASSERT_THAT(pem, HasSubstr("BEGIN PRIVATE KEY"));
  absl::StatusOr<P256PrivateKey> key = P256PrivateKey::FromPem(pem);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<P256PublicKey> pub = PublicKeyFromPem(PublicKeyToPem(key->public_key()));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->spki, key->public_key().spki);
}

TEST(Keys, BadKeysAreInvalidArgument) {
  EXPECT_EQ(P256PrivateKey::FromPem("hello").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKeyFromPem("").status().code(), absl::StatusCode::kInvalidArgument);
  const std::string p384 =
      Shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null");
  ASSERT_THAT(p384, HasSubstr("BEGIN PRIVATE KEY"));
  absl::StatusOr<P256PrivateKey> k = P256PrivateKey::FromPem(p384);
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(k.status().message(), HasSubstr("P-256"));
}

TEST(Spki, RejectsAnythingButAnUncompressedP256Key) {
  absl::StatusOr<P256PrivateKey> key = P256PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  P256PublicKey pub = key->public_key();
  P256PublicKey out;
  EXPECT_TRUE(ParseP256Spki(pub.spki.data(), pub.spki.size(), &out).ok());
  EXPECT_EQ(ParseP256Spki(pub.spki.data(), pub.spki.size() - 1, &out), Status::InvalidArgument());
  for (size_t i = 0; i < 27; ++i) {
    auto bad = pub.spki;
    bad[i] ^= 0x01;
    EXPECT_EQ(ParseP256Spki(bad.data(), bad.size(), &out), Status::InvalidArgument()) << i;
  }
  // A point that is not on the curve parses but never verifies.
  P256PublicKey off = pub;
  off.spki[90] ^= 0x01;
  const Sha256Digest d = Digest("x");
  absl::StatusOr<std::string> sig = key->Sign(d);
  ASSERT_TRUE(sig.ok());
  EXPECT_FALSE(VerifyP256(off, d, reinterpret_cast<const uint8_t*>(sig->data()), sig->size()).ok());
}

}  // namespace
}  // namespace edge::crypto
