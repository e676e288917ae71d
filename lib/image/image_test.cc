// Signed images: known-answer fixtures made by OpenSSL and a hand-written layout script
// (tests/fixtures/image/make_fixtures.py), then every attack the gateway and the node must
// refuse, on the byte level.
#include "edge/image/image.h"

#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "edge/crypto/hex.h"
#include "edge/crypto/keys.h"
#include "edge/image/image_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::image {
namespace {

const std::string kDir = EDGE_SOURCE_DIR "/tests/fixtures/image/";

std::string Read(const std::string& name) {
  std::ifstream in(kDir + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> Expected() {
  std::map<std::string, std::string> out;
  std::istringstream in(Read("expected.txt"));
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find(" = ");
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

crypto::P256PublicKey Key(const std::string& pem_file) {
  absl::StatusOr<crypto::P256PublicKey> k = crypto::PublicKeyFromPem(Read(pem_file));
  EXPECT_TRUE(k.ok()) << k.status();
  return k.ok() ? *k : crypto::P256PublicKey{};
}

Result<VerifiedImage> Verify(const std::string& image,
                             const std::vector<crypto::P256PublicKey>& keys,
                             ImageError* error = nullptr) {
  return VerifyImage(reinterpret_cast<const uint8_t*>(image.data()), image.size(), keys.data(),
                     keys.size(), error);
}

ImageError ErrorOf(const std::string& image, const std::vector<crypto::P256PublicKey>& keys) {
  ImageError e = ImageError::kNone;
  (void)Verify(image, keys, &e);
  return e;
}

uint16_t Le16(const std::string& s, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[off]) | static_cast<uint8_t>(s[off + 1])
                                                                  << 8);
}
void Put16(std::string& s, size_t off, uint16_t v) {
  s[off] = static_cast<char>(v);
  s[off + 1] = static_cast<char>(v >> 8);
}

// Re-signs `signed_part` (header + payload + protected area, possibly doctored) with key.pem,
// appending a correct unprotected area, so tests can reach the checks behind the signature.
std::string Resign(const std::string& signed_part) {
  absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::FromPem(Read("key.pem"));
  EXPECT_TRUE(key.ok());
  crypto::Sha256 h;
  h.Update(signed_part.data(), signed_part.size());
  const crypto::Sha256Digest d = h.Finish();
  std::string sig = *key->Sign(d);
  const crypto::Sha256Digest kh = key->public_key().KeyHash();
  std::string un;
  auto tlv = [&](uint16_t type, const std::string& v) {
    un.push_back(static_cast<char>(type));
    un.push_back(static_cast<char>(type >> 8));
    un.push_back(static_cast<char>(v.size()));
    un.push_back(static_cast<char>(v.size() >> 8));
    un += v;
  };
  tlv(kTlvSha256, std::string(reinterpret_cast<const char*>(d.data()), 32));
  tlv(kTlvKeyHash, std::string(reinterpret_cast<const char*>(kh.data()), 32));
  tlv(kTlvEcdsaSig, sig);
  std::string out = signed_part;
  out += "\x07\x69";
  out.push_back(static_cast<char>(un.size() + 4));
  out.push_back(static_cast<char>((un.size() + 4) >> 8));
  return out + un;
}

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    expected_ = Expected();
    key_ = Key("pub.pem");
    other_ = Key("other_pub.pem");
    signed_ = Read("signed.bin");
  }
  size_t Num(const std::string& k) { return std::stoul(expected_.at(k)); }

  std::map<std::string, std::string> expected_;
  crypto::P256PublicKey key_, other_;
  std::string signed_;
};

TEST_F(ImageTest, KeyHashEqualsOpensslDerSha256) {
  std::string want = Read("keyhash.txt");
  want.resize(64);
  EXPECT_EQ(crypto::ToHex(key_.KeyHash()), want);
  EXPECT_EQ(crypto::ToHex(key_.KeyHash()), expected_.at("pub.pem.keyhash"));
  EXPECT_EQ(crypto::ToHex(other_.KeyHash()), expected_.at("other_pub.pem.keyhash"));
}

TEST_F(ImageTest, OpensslMadeImagesVerifyWithEveryFieldAsLaidOut) {
  for (const std::string name : {"signed.bin", "signed_hdr32.bin", "unprotected_only.bin"}) {
    SCOPED_TRACE(name);
    const std::string image = Read(name);
    ImageError e;
    Result<VerifiedImage> v = Verify(image, {other_, key_}, &e);
    ASSERT_TRUE(v.ok()) << ImageErrorText(e);
    const std::string p = name + ".";
    EXPECT_EQ(v->header.hdr_size, Num(p + "hdr_size"));
    EXPECT_EQ(v->header.img_size, Num(p + "img_size"));
    EXPECT_EQ(v->header.protect_tlv_size, Num(p + "protect_tlv_size"));
    EXPECT_EQ(VersionString(v->header.version) + (v->header.version.build == 0 ? "+0" : ""),
              expected_.at(p + "version"));
    EXPECT_EQ(crypto::ToHex(v->digest), expected_.at(p + "digest"));
    EXPECT_EQ(crypto::ToHex(v->key_hash), expected_.at(p + "keyhash"));
    EXPECT_EQ(v->key_index, 1u);
    EXPECT_EQ(v->total_bytes, image.size());
    EXPECT_EQ(v->has_security_counter, expected_.count(p + "security_counter") == 1);
    if (v->has_security_counter) {
      EXPECT_EQ(v->security_counter, Num(p + "security_counter"));
    }
    const ModelInfo& m = v->model;
    // Each model TLV is present exactly when the script wrote it, with the value it wrote.
    auto has = [&](const std::string& k) { return expected_.count(p + k) == 1; };
    EXPECT_EQ(m.has_name, has("model_name"));
    EXPECT_EQ(m.has_efm_version, has("efm_version"));
    EXPECT_EQ(m.has_arena_bytes, has("arena_bytes"));
    EXPECT_EQ(m.opset_size > 0, has("opset"));
    EXPECT_EQ(m.has_payload_sha256, has("payload_sha256"));
    if (has("model_name")) {
      EXPECT_EQ(std::string(m.name), expected_.at(p + "model_name"));
      EXPECT_EQ(m.efm_version, Num(p + "efm_version"));
      EXPECT_EQ(m.arena_bytes, Num(p + "arena_bytes"));
      EXPECT_EQ(crypto::ToHex(m.opset, m.opset_size), expected_.at(p + "opset"));
      EXPECT_EQ(crypto::ToHex(m.payload_sha256), expected_.at(p + "payload_sha256"));
    }
  }
}

TEST_F(ImageTest, OurBuilderLaysOutTheSameBytesAsTheIndependentScript) {
  absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::FromPem(Read("key.pem"));
  ASSERT_TRUE(key.ok());
  SignOptions o;
  o.header_size = 0x200;
  o.version = *ParseVersion("1.2.3+4");
  o.security_counter = 7;
  o.model_name = "lowpass";
  o.efm_version = 1;
  o.opset = std::string("\x05\x00\x00\x80", 4);
  o.arena_bytes = 4096;
  absl::StatusOr<std::string> ours = BuildSignedImage(Read("payload.bin"), o, *key);
  ASSERT_TRUE(ours.ok()) << ours.status();
  // Identical but for the signature (ECDSA signatures are randomised) and the unprotected
  // area's total, which includes the signature's length.
  const size_t end = Num("signed.bin.signed_region_end");
  ASSERT_GT(ours->size(), end + 4 + 36 + 36 + 4);
  EXPECT_TRUE(ours->substr(0, end + 2) == signed_.substr(0, end + 2)) << "signed region differs";
  EXPECT_EQ(crypto::ToHex(reinterpret_cast<const uint8_t*>(ours->data()) + end + 4, 36 + 36 + 2),
            crypto::ToHex(reinterpret_cast<const uint8_t*>(signed_.data()) + end + 4, 36 + 36 + 2))
      << "SHA256 / KEYHASH TLVs or the signature TLV's type differ";
  EXPECT_TRUE(Verify(*ours, {key_}).ok());
}

TEST_F(ImageTest, OpensslVerifiesOurSignature) {
  absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::FromPem(Read("key.pem"));
  ASSERT_TRUE(key.ok());
  SignOptions o;
  o.version = *ParseVersion("3.1");
  absl::StatusOr<std::string> img = BuildSignedImage("some payload", o, *key);
  ASSERT_TRUE(img.ok());
  Result<VerifiedImage> v = Verify(*img, {key_});
  ASSERT_TRUE(v.ok());
  const size_t end = static_cast<size_t>(v->header.signed_end());
  // The unprotected area: info, SHA (36), KEYHASH (36), then the signature TLV.
  const size_t sig_off = end + 4 + 36 + 36;
  const size_t sig_len = Le16(*img, sig_off + 2);
  char dir[] = "/tmp/edge_img_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string d = dir;
  std::ofstream(d + "/region.bin", std::ios::binary) << img->substr(0, end);
  std::ofstream(d + "/sig.der", std::ios::binary) << img->substr(sig_off + 4, sig_len);
  const std::string cmd = "openssl dgst -sha256 -verify " + kDir + "pub.pem -signature " + d +
                          "/sig.der " + d + "/region.bin > " + d + "/out.txt 2>&1";
  EXPECT_EQ(system(cmd.c_str()), 0);
  std::ifstream out(d + "/out.txt");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("Verified OK"));
  (void)system(("rm -rf " + d).c_str());
  EXPECT_EQ(v->security_counter, AutoSecurityCounter(o.version));
  EXPECT_EQ(v->security_counter, (3u << 24) + (1u << 16));
}

TEST_F(ImageTest, FlippingAnyByteIsRefused) {
  for (size_t i = 0; i < signed_.size(); ++i) {
    std::string image = signed_;
    image[i] ^= 0x01;
    EXPECT_FALSE(Verify(image, {key_}).ok()) << "byte " << i;
  }
}

TEST_F(ImageTest, UntrustedSignerIsPermissionDenied) {
  const std::string other_signed = Read("signed_other_key.bin");
  ImageError e;
  Result<VerifiedImage> v = Verify(other_signed, {key_}, &e);
  EXPECT_EQ(v.status(), Status::PermissionDenied());
  EXPECT_EQ(e, ImageError::kUntrustedKey);
  EXPECT_EQ(ErrorOf(signed_, {}), ImageError::kUntrustedKey);
}

TEST_F(ImageTest, ValidSignatureWithSwappedKeyHashIsRefused) {
  // KEYHASH now names the other trusted key, but the signature is key.pem's.
  std::string image = signed_;
  const size_t keyhash_value = Num("signed.bin.signed_region_end") + 4 + 36 + 4;
  std::string other_hash;
  ASSERT_TRUE(crypto::FromHex(expected_.at("other_pub.pem.keyhash"), &other_hash));
  image.replace(keyhash_value, 32, other_hash);
  ImageError e;
  EXPECT_EQ(Verify(image, {key_, other_}, &e).status(), Status::PermissionDenied());
  EXPECT_EQ(e, ImageError::kBadSignature);
  EXPECT_EQ(ErrorOf(image, {key_}), ImageError::kUntrustedKey);
}

TEST_F(ImageTest, EveryTruncationIsRefusedWithTheRightReason) {
  for (size_t len = 0; len < signed_.size(); ++len) {
    ImageError e = ErrorOf(signed_.substr(0, len), {key_});
    if (len < kHeaderBytes) {
      EXPECT_EQ(e, ImageError::kTruncatedHeader) << len;
    } else {
      EXPECT_EQ(e, ImageError::kTruncated) << len;  // header, payload, TLV info, TLV body
    }
  }
}

TEST_F(ImageTest, TrailingBytesAreRefused) {
  EXPECT_EQ(ErrorOf(signed_ + std::string(1, '\0'), {key_}), ImageError::kTrailingBytes);
}

TEST_F(ImageTest, ProtectTlvSizeDisagreeingWithTheInfoIsRefusedEvenWhenSigned) {
  const size_t end = Num("signed.bin.signed_region_end");
  std::string part = signed_.substr(0, end);
  for (int delta : {-1, +1}) {
    std::string doctored = part;
    Put16(doctored, 10, static_cast<uint16_t>(Le16(part, 10) + delta));
    if (delta > 0) doctored.push_back('\0');  // keep the region as long as the header says
    if (delta < 0) doctored.pop_back();
    EXPECT_EQ(ErrorOf(Resign(doctored), {key_}), ImageError::kProtectedSizeMismatch) << delta;
  }
  // Header claims no protected area, but one is there.
  std::string none = part;
  Put16(none, 10, 0);
  EXPECT_FALSE(Verify(Resign(none), {key_}).ok());
}

TEST_F(ImageTest, TlvLengthPastTheEndIsRefusedEvenWhenSigned) {
  const size_t prot = Num("signed.bin.hdr_size") + Num("signed.bin.img_size");
  std::string part = signed_.substr(0, Num("signed.bin.signed_region_end"));
  Put16(part, prot + 4 + 2, 0x7fff);  // SEC_CNT's length
  EXPECT_EQ(ErrorOf(Resign(part), {key_}), ImageError::kTlvOverrun);
  // In the unprotected area (not signed, so no re-sign needed).
  std::string image = signed_;
  const size_t un = Num("signed.bin.signed_region_end");
  Put16(image, un + 4 + 2, 33);  // SHA TLV claims 33 bytes
  EXPECT_FALSE(Verify(image, {key_}).ok());
  Put16(image, un + 4 + 2, 0xffff);
  EXPECT_EQ(ErrorOf(image, {key_}), ImageError::kTlvOverrun);
}

TEST_F(ImageTest, DuplicateOrForeignUnprotectedTlvsAreRefused) {
  const size_t un = Num("signed.bin.signed_region_end");
  auto with_extra = [&](const std::string& tlv) {
    std::string image = signed_;
    image += tlv;
    Put16(image, un + 2, static_cast<uint16_t>(Le16(image, un + 2) + tlv.size()));
    return image;
  };
  const std::string sha_tlv = signed_.substr(un + 4, 36);
  EXPECT_EQ(ErrorOf(with_extra(sha_tlv), {key_}), ImageError::kDuplicateTlv);
  // A security counter must be protected: in the unprotected area it is refused.
  EXPECT_EQ(ErrorOf(with_extra(std::string("\x50\x00\x04\x00\x63\x00\x00\x00", 8)), {key_}),
            ImageError::kUnexpectedTlv);
  // Duplicate protected TLV (re-signed).
  std::string part = signed_.substr(0, un);
  const size_t prot = Num("signed.bin.hdr_size") + Num("signed.bin.img_size");
  part.insert(prot + 4, std::string("\x50\x00\x04\x00\x09\x00\x00\x00", 8));
  Put16(part, prot + 2, static_cast<uint16_t>(Le16(part, prot + 2) + 8));
  Put16(part, 10, static_cast<uint16_t>(Le16(part, 10) + 8));
  EXPECT_EQ(ErrorOf(Resign(part), {key_}), ImageError::kDuplicateTlv);
}

TEST_F(ImageTest, MissingSignatureOrHashIsRefused) {
  const size_t un = Num("signed.bin.signed_region_end");
  std::string no_sig = signed_.substr(0, un + 4 + 36 + 36);
  Put16(no_sig, un + 2, 4 + 36 + 36);
  ImageError e;
  EXPECT_EQ(Verify(no_sig, {key_}, &e).status(), Status::PermissionDenied());
  EXPECT_EQ(e, ImageError::kMissingSignature);
  std::string no_tlvs = signed_.substr(0, un) + std::string("\x07\x69\x04\x00", 4);
  EXPECT_EQ(ErrorOf(no_tlvs, {key_}), ImageError::kMissingHash);
}

TEST_F(ImageTest, StreamingInAnyPiecesGivesTheSameVerdict) {
  std::mt19937 rng(3);
  for (int round = 0; round < 20; ++round) {
    ImageVerifier v;
    for (size_t off = 0; off < signed_.size();) {
      size_t n = std::min<size_t>(signed_.size() - off, round == 0 ? 1 : 1 + rng() % 700);
      ASSERT_TRUE(v.Update(reinterpret_cast<const uint8_t*>(signed_.data()) + off, n).ok());
      off += n;
    }
    Result<VerifiedImage> r = v.Finish(&key_, 1);
    ASSERT_TRUE(r.ok()) << ImageErrorText(v.error());
    EXPECT_EQ(crypto::ToHex(r->digest), expected_.at("signed.bin.digest"));
  }
}

TEST_F(ImageTest, ZeroPaddedSignatureIsAcceptedOtherTrailingBytesAreNot) {
  // imgtool --pad-sig pads the DER signature with zeros to 72 bytes (for MCUboot < 1.5).
  const size_t un = Num("signed.bin.signed_region_end");
  const size_t sig_tlv = un + 4 + 36 + 36;
  const size_t sig_len = Le16(signed_, sig_tlv + 2);
  const size_t n = kMaxSignatureBytes - sig_len;
  ASSERT_GT(n, 0u) << "fixture signature is already 72 bytes";
  for (const char pad : {'\0', '\x01'}) {
    std::string image = signed_;
    image.insert(sig_tlv + 4 + sig_len, std::string(n, pad));
    Put16(image, sig_tlv + 2, static_cast<uint16_t>(sig_len + n));
    Put16(image, un + 2, static_cast<uint16_t>(Le16(image, un + 2) + n));
    ImageError e;
    Result<VerifiedImage> v = Verify(image, {key_}, &e);
    if (pad == '\0') {
      EXPECT_TRUE(v.ok()) << ImageErrorText(e);
    } else {
      EXPECT_EQ(e, ImageError::kBadSignature);
    }
  }
}

TEST_F(ImageTest, FullPublicKeyInsteadOfKeyHashIsAccepted) {
  // imgtool --public-key-format full: PUBKEY (0x02) with the DER key replaces KEYHASH.
  const size_t un = Num("signed.bin.signed_region_end");
  const size_t keyhash_tlv = un + 4 + 36;
  std::string pubkey_tlv("\x02\x00\x5b\x00", 4);
  pubkey_tlv.append(reinterpret_cast<const char*>(key_.spki.data()), key_.spki.size());
  std::string image = signed_;
  image.replace(keyhash_tlv, 36, pubkey_tlv);
  Put16(image, un + 2, static_cast<uint16_t>(Le16(image, un + 2) + pubkey_tlv.size() - 36));
  ImageError e;
  Result<VerifiedImage> v = Verify(image, {other_, key_}, &e);
  ASSERT_TRUE(v.ok()) << ImageErrorText(e);
  EXPECT_EQ(v->key_index, 1u);
  EXPECT_EQ(ErrorOf(image, {other_}), ImageError::kUntrustedKey);
  // Both a KEYHASH and a PUBKEY: one key identity too many.
  std::string both = signed_;
  both.insert(un + 4, pubkey_tlv);
  Put16(both, un + 2, static_cast<uint16_t>(Le16(both, un + 2) + pubkey_tlv.size()));
  EXPECT_EQ(ErrorOf(both, {key_}), ImageError::kDuplicateTlv);
}

TEST_F(ImageTest, OversizedTlvAreasAreRefused) {
  // A protected area larger than the verifier keeps (1 KiB), re-signed so only size matters.
  const size_t prot = Num("signed.bin.hdr_size") + Num("signed.bin.img_size");
  std::string part = signed_.substr(0, Num("signed.bin.signed_region_end"));
  const std::string filler_value(1100, 'x');
  std::string filler("\xb0\x00", 2);
  filler.push_back(static_cast<char>(filler_value.size() & 0xff));
  filler.push_back(static_cast<char>(filler_value.size() >> 8));
  filler += filler_value;
  part += filler;
  Put16(part, prot + 2, static_cast<uint16_t>(Le16(part, prot + 2) + filler.size()));
  Put16(part, 10, static_cast<uint16_t>(Le16(part, 10) + filler.size()));
  EXPECT_EQ(ErrorOf(Resign(part), {key_}), ImageError::kTlvAreaTooLarge);
}

TEST_F(ImageTest, BadHeadersAreRefusedEarly) {
  ImageVerifier v;
  std::string junk(64, 'x');
  EXPECT_EQ(v.Update(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()),
            Status::DataLoss());
  EXPECT_EQ(v.error(), ImageError::kBadMagic);
  std::string small = signed_;
  Put16(small, 8, 31);
  EXPECT_EQ(ErrorOf(small, {key_}), ImageError::kHeaderTooSmall);
}

TEST(Version, ParsesImgtoolStyleVersions) {
  EXPECT_EQ(VersionString(*ParseVersion("1")), "1.0.0");
  EXPECT_EQ(VersionString(*ParseVersion("1.2")), "1.2.0");
  EXPECT_EQ(VersionString(*ParseVersion("1.2.3")), "1.2.3");
  EXPECT_EQ(VersionString(*ParseVersion("255.255.65535+4294967295")), "255.255.65535+4294967295");
  for (const char* bad : {"", "1.2.3.4", "256", "1.x", "1..2", "1.2.65536", "-1", "1+x"}) {
    EXPECT_EQ(ParseVersion(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace edge::image
