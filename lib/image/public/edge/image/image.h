#pragma once
// Signed model images in MCUboot's format: the on-flash layout as code, and a streaming
// verifier that the gateway (checking uploads as they arrive) and the node loader (checking a
// slot) both use.
//
// Layout (all little-endian): [32-byte header, zero-padded to hdr_size][payload = the .efm]
// [protected TLV area: info 0x6908 + TLVs][unprotected TLV area: info 0x6907 + TLVs].
// Digest = SHA-256 over [0, hdr_size + img_size + protect_tlv_size). Unprotected TLVs: SHA256
// (0x10) = digest, KEYHASH (0x01) = SHA-256 of the signer's DER SubjectPublicKeyInfo,
// ECDSA_SIG (0x22) = DER ECDSA-P256 signature of the digest. Protected TLVs: SEC_CNT (0x50),
// and our model metadata in the vendor range (kTlvModel*).
//
// Portable: no heap, no exceptions. Fails closed: every length and offset from the image is
// checked before use, unknown unprotected TLVs are refused, and the verdict stays "denied"
// unless a trusted key's signature verifies. Building and signing images is host-only
// (image_builder.h).
#include <array>
#include <cstddef>
#include <cstdint>

#include "edge/crypto/ecdsa_p256.h"
#include "edge/crypto/sha256.h"
#include "edge/status/result.h"
#include "edge/status/status.h"
#include "edge/status/try.h"

namespace edge::image {

inline constexpr uint32_t kImageMagic = 0x96f3b83d;
inline constexpr size_t kHeaderBytes = 32;
inline constexpr uint16_t kTlvInfoMagic = 0x6907;      // unprotected area
inline constexpr uint16_t kTlvProtInfoMagic = 0x6908;  // protected area
inline constexpr size_t kTlvInfoBytes = 4;
inline constexpr size_t kTlvHeaderBytes = 4;

// TLV types (MCUboot's numbers; 0xA0-0xFE is the vendor range, ours are 0xA0-0xA4).
enum TlvType : uint16_t {
  kTlvKeyHash = 0x01,             // 32 bytes: SHA-256 of the signer's DER SubjectPublicKeyInfo
  kTlvPubKey = 0x02,              // the signer's DER SubjectPublicKeyInfo itself (instead of 0x01)
  kTlvSha256 = 0x10,              // 32 bytes: the image digest
  kTlvEcdsaSig = 0x22,            // DER ECDSA signature (P-256: 70-72 bytes)
  kTlvSecurityCounter = 0x50,     // protected, u32
  kTlvModelName = 0xA0,           // protected, UTF-8, 1..128 bytes
  kTlvModelEfmVersion = 0xA1,     // protected, u32: .efm format version
  kTlvModelOpSet = 0xA2,          // protected, 1..32 bytes: little-endian bitmap of required ops
  kTlvModelArenaBytes = 0xA3,     // protected, u32: planned arena bytes
  kTlvModelPayloadSha256 = 0xA4,  // protected, 32 bytes: SHA-256 of the payload (.efm)
};

inline constexpr size_t kMaxModelNameBytes = 128;
inline constexpr size_t kMaxOpSetBytes = 32;
inline constexpr size_t kMaxSignatureBytes = 72;
// Bytes of TLV areas (protected + unprotected) the verifier buffers. Ours use ~300.
inline constexpr size_t kMaxTlvAreaBytes = 1024;

struct ImageVersion {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t revision = 0;
  uint32_t build = 0;
};

struct ImageHeader {
  uint32_t magic = kImageMagic;
  uint32_t load_addr = 0;
  uint16_t hdr_size = 0;
  uint16_t protect_tlv_size = 0;
  uint32_t img_size = 0;
  uint32_t flags = 0;
  ImageVersion version;

  // Decodes the first 32 bytes. DATA_LOSS if fewer bytes, a wrong magic, or hdr_size < 32.
  static Result<ImageHeader> Parse(const uint8_t* bytes, size_t size);
  void Encode(uint8_t out[kHeaderBytes]) const;
  // Offset of the protected TLV area (or of the unprotected one when there is none).
  uint64_t tlv_offset() const { return uint64_t{hdr_size} + img_size; }
  // End of the hashed and signed region.
  uint64_t signed_end() const { return tlv_offset() + protect_tlv_size; }
};

// Our model metadata, from the protected TLVs. Fields are absent unless the image has them.
struct ModelInfo {
  bool has_name = false;
  uint8_t name_size = 0;
  char name[kMaxModelNameBytes + 1] = {};  // NUL-terminated
  bool has_efm_version = false;
  uint32_t efm_version = 0;
  uint8_t opset_size = 0;  // 0 = absent
  uint8_t opset[kMaxOpSetBytes] = {};
  bool has_arena_bytes = false;
  uint32_t arena_bytes = 0;
  bool has_payload_sha256 = false;
  crypto::Sha256Digest payload_sha256{};
};

// Why an image was refused (the portable Status carries no text).
enum class ImageError : uint8_t {
  kNone = 0,
  kTruncatedHeader,
  kBadMagic,
  kHeaderTooSmall,
  kTruncated,              // ended before its TLV areas did
  kTrailingBytes,          // bytes after the unprotected TLV area
  kTlvAreaTooLarge,        // more TLV bytes than kMaxTlvAreaBytes
  kBadProtectedInfo,       // missing 0x6908 info where protect_tlv_size says one is
  kProtectedSizeMismatch,  // protect_tlv_size disagrees with the protected info's total
  kBadUnprotectedInfo,     // missing 0x6907 info after the protected area
  kTlvOverrun,             // a TLV runs past the end of its area
  kBadTlvLength,           // a known TLV with the wrong length
  kDuplicateTlv,
  kUnexpectedTlv,  // unknown or misplaced TLV in the unprotected area
  kMissingHash,
  kHashMismatch,
  kMissingKeyHash,
  kUntrustedKey,
  kMissingSignature,
  kBadSignature,
  kNotFinished,  // Finish called twice / Update after an error
};
const char* ImageErrorText(ImageError error);

struct VerifiedImage {
  ImageHeader header;
  crypto::Sha256Digest digest{};
  crypto::Sha256Digest key_hash{};
  size_t key_index = 0;  // which trusted key signed it
  bool has_security_counter = false;
  uint32_t security_counter = 0;
  ModelInfo model;
  uint64_t total_bytes = 0;
};

// Checks an image fed in order, in pieces of any size, without holding it: the signed region
// is hashed as it passes and only the TLV areas (≤ kMaxTlvAreaBytes) are kept.
class ImageVerifier {
 public:
  ImageVerifier() = default;

  // Returns OK, or DATA_LOSS once the bytes so far can't be a valid image (see error()).
  Status Update(const uint8_t* data, size_t size);

  // Verifies everything fed so far as a complete image against `keys` (the trust store).
  // Returns the verified image, or:
  //   DATA_LOSS          malformed or corrupt (truncated, bad sizes or TLVs, digest mismatch)
  //   PERMISSION_DENIED  no signature, signer not among `keys`, or the signature is invalid
  Result<VerifiedImage> Finish(const crypto::P256PublicKey* keys, size_t key_count);

  // What went wrong, after a non-OK Update or Finish.
  ImageError error() const { return error_; }
  // After Finish: what was parsed (header, security counter, model TLVs), also when only the
  // trust check failed (kMissingSignature, kMissingKeyHash, kUntrustedKey, kBadSignature) —
  // for tools that describe an image they cannot verify. Never trust it then.
  const VerifiedImage& parsed() const { return parsed_; }
  uint64_t bytes_seen() const { return pos_; }

 private:
  Status Fail(ImageError e);
  Status ParseTlvs(VerifiedImage& out, const uint8_t** sha, const uint8_t** keyhash,
                   const uint8_t** sig, size_t* sig_size);

  VerifiedImage parsed_;
  crypto::Sha256Digest pubkey_hash_{};  // hash of a PUBKEY TLV
  ImageError error_ = ImageError::kNone;
  bool have_header_ = false;
  bool finished_ = false;
  ImageHeader header_;
  uint8_t header_buf_[kHeaderBytes] = {};
  uint64_t pos_ = 0;
  crypto::Sha256 hash_;
  uint8_t tlv_[kMaxTlvAreaBytes] = {};
  size_t tlv_size_ = 0;
};

// Convenience: verifies a whole image held in memory (or memory-mapped flash).
Result<VerifiedImage> VerifyImage(const uint8_t* image, size_t size,
                                  const crypto::P256PublicKey* keys, size_t key_count,
                                  ImageError* error = nullptr);

}  // namespace edge::image
