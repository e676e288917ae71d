#include "edge/image/image.h"

#include <cstring>

namespace edge::image {
namespace {

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// imgtool --pad-sig (for MCUboot < 1.5) zero-pads the DER signature to 72 bytes. Like MCUboot,
// accept that padding, and only that: the DER length decides, the rest must be zeros.
size_t DerSignatureSize(const uint8_t* sig, size_t size) {
  if (size < 2 || sig[0] != 0x30 || sig[1] >= 0x80) return size;  // not short-form DER
  const size_t der = size_t{2} + sig[1];
  if (der >= size) return size;
  for (size_t i = der; i < size; ++i) {
    if (sig[i] != 0) return size;  // garbage after the signature: let the verify fail
  }
  return der;
}

// Not constant-time on purpose: digests and key hashes are public values.
bool Equal32(const uint8_t* a, const uint8_t* b) { return std::memcmp(a, b, 32) == 0; }

}  // namespace

const char* ImageErrorText(ImageError error) {
  switch (error) {
    case ImageError::kNone:
      return "no error";
    case ImageError::kTruncatedHeader:
      return "shorter than the 32-byte image header";
    case ImageError::kBadMagic:
      return "not an MCUboot image (bad magic)";
    case ImageError::kHeaderTooSmall:
      return "header size is below 32 bytes";
    case ImageError::kTruncated:
      return "image is truncated (ends before its TLV areas do)";
    case ImageError::kTrailingBytes:
      return "bytes after the end of the unprotected TLV area";
    case ImageError::kTlvAreaTooLarge:
      return "TLV areas are larger than this verifier accepts";
    case ImageError::kBadProtectedInfo:
      return "protected TLV area does not start with its 0x6908 info header";
    case ImageError::kProtectedSizeMismatch:
      return "protect_tlv_size disagrees with the protected TLV area";
    case ImageError::kBadUnprotectedInfo:
      return "no 0x6907 TLV info header after the protected area";
    case ImageError::kTlvOverrun:
      return "a TLV runs past the end of its area";
    case ImageError::kBadTlvLength:
      return "a TLV has the wrong length for its type";
    case ImageError::kDuplicateTlv:
      return "a TLV appears twice";
    case ImageError::kUnexpectedTlv:
      return "unexpected or unsupported TLV in the unprotected area (supported: SHA256, "
             "KEYHASH or PUBKEY, ECDSA-P256 signature)";
    case ImageError::kMissingHash:
      return "no SHA-256 TLV";
    case ImageError::kHashMismatch:
      return "SHA-256 does not match the image (corrupt or tampered)";
    case ImageError::kMissingKeyHash:
      return "no KEYHASH TLV";
    case ImageError::kUntrustedKey:
      return "signed by a key that is not trusted";
    case ImageError::kMissingSignature:
      return "not signed (no ECDSA signature TLV)";
    case ImageError::kBadSignature:
      return "signature does not verify";
    case ImageError::kNotFinished:
      return "verifier already finished or failed";
  }
  return "unknown image error";
}

Result<ImageHeader> ImageHeader::Parse(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr || size < kHeaderBytes) return Status::DataLoss();
  ImageHeader h;
  h.magic = Le32(bytes);
  h.load_addr = Le32(bytes + 4);
  h.hdr_size = Le16(bytes + 8);
  h.protect_tlv_size = Le16(bytes + 10);
  h.img_size = Le32(bytes + 12);
  h.flags = Le32(bytes + 16);
  h.version.major = bytes[20];
  h.version.minor = bytes[21];
  h.version.revision = Le16(bytes + 22);
  h.version.build = Le32(bytes + 24);
  if (h.magic != kImageMagic || h.hdr_size < kHeaderBytes) return Status::DataLoss();
  return h;
}

void ImageHeader::Encode(uint8_t out[kHeaderBytes]) const {
  Put32(out, magic);
  Put32(out + 4, load_addr);
  Put16(out + 8, hdr_size);
  Put16(out + 10, protect_tlv_size);
  Put32(out + 12, img_size);
  Put32(out + 16, flags);
  out[20] = version.major;
  out[21] = version.minor;
  Put16(out + 22, version.revision);
  Put32(out + 24, version.build);
  Put32(out + 28, 0);
}

Status ImageVerifier::Fail(ImageError e) {
  if (error_ == ImageError::kNone) error_ = e;
  return Status::DataLoss();
}

Status ImageVerifier::Update(const uint8_t* data, size_t size) {
  if (error_ != ImageError::kNone || finished_) return Fail(ImageError::kNotFinished);
  while (size > 0) {
    if (!have_header_) {
      const size_t take = size < kHeaderBytes - pos_ ? size : kHeaderBytes - pos_;
      std::memcpy(header_buf_ + pos_, data, take);
      // The header is hashed like every other signed byte.
      hash_.Update(data, take);
      pos_ += take;
      data += take;
      size -= take;
      if (pos_ < kHeaderBytes) return OkStatus();
      Result<ImageHeader> h = ImageHeader::Parse(header_buf_, kHeaderBytes);
      if (!h.ok()) {
        return Fail(Le32(header_buf_) != kImageMagic ? ImageError::kBadMagic
                                                     : ImageError::kHeaderTooSmall);
      }
      header_ = *h;
      have_header_ = true;
      continue;
    }
    // Signed region: hash it.
    const uint64_t signed_end = header_.signed_end();
    if (pos_ < signed_end) {
      const uint64_t left = signed_end - pos_;
      const size_t take = left < size ? static_cast<size_t>(left) : size;
      hash_.Update(data, take);
      // The protected TLV area is both hashed and kept.
      const uint64_t tlv_start = header_.tlv_offset();
      if (pos_ + take > tlv_start) {
        const size_t skip = pos_ >= tlv_start ? 0 : static_cast<size_t>(tlv_start - pos_);
        const size_t keep = take - skip;
        if (keep > kMaxTlvAreaBytes - tlv_size_) return Fail(ImageError::kTlvAreaTooLarge);
        std::memcpy(tlv_ + tlv_size_, data + skip, keep);
        tlv_size_ += keep;
      }
      pos_ += take;
      data += take;
      size -= take;
      continue;
    }
    // Unprotected TLV area: keep it.
    if (size > kMaxTlvAreaBytes - tlv_size_) return Fail(ImageError::kTlvAreaTooLarge);
    std::memcpy(tlv_ + tlv_size_, data, size);
    tlv_size_ += size;
    pos_ += size;
    size = 0;
  }
  return OkStatus();
}

Status ImageVerifier::ParseTlvs(VerifiedImage& out, const uint8_t** sha, const uint8_t** keyhash,
                                const uint8_t** sig, size_t* sig_size) {
  const size_t prot = header_.protect_tlv_size;
  // Protected area: [0, prot) of tlv_ (complete, since pos_ >= signed_end here).
  if (prot > 0) {
    if (prot < kTlvInfoBytes || Le16(tlv_) != kTlvProtInfoMagic) {
      return Fail(ImageError::kBadProtectedInfo);
    }
    if (Le16(tlv_ + 2) != prot) return Fail(ImageError::kProtectedSizeMismatch);
  } else if (tlv_size_ >= 2 && Le16(tlv_) == kTlvProtInfoMagic) {
    return Fail(ImageError::kProtectedSizeMismatch);  // a protected area the header omits
  }
  // Unprotected area follows.
  if (tlv_size_ < prot + kTlvInfoBytes) return Fail(ImageError::kTruncated);
  const uint8_t* un = tlv_ + prot;
  if (Le16(un) != kTlvInfoMagic) return Fail(ImageError::kBadUnprotectedInfo);
  const size_t un_size = Le16(un + 2);
  if (un_size < kTlvInfoBytes) return Fail(ImageError::kBadUnprotectedInfo);
  if (tlv_size_ < prot + un_size) return Fail(ImageError::kTruncated);
  if (tlv_size_ > prot + un_size) return Fail(ImageError::kTrailingBytes);

  // Walk both areas; `area` 0 = protected, 1 = unprotected.
  for (int area = 0; area < 2; ++area) {
    const uint8_t* base = area == 0 ? tlv_ : un;
    const size_t end = area == 0 ? prot : un_size;
    size_t off = area == 0 && prot == 0 ? 0 : kTlvInfoBytes;
    while (off < end) {
      if (end - off < kTlvHeaderBytes) return Fail(ImageError::kTlvOverrun);
      const uint16_t type = Le16(base + off);
      const uint16_t len = Le16(base + off + 2);
      off += kTlvHeaderBytes;
      if (len > end - off) return Fail(ImageError::kTlvOverrun);
      const uint8_t* v = base + off;
      off += len;
      if (area == 1) {
        const uint8_t** slot = nullptr;
        switch (type) {
          case kTlvSha256:
            slot = sha;
            break;
          case kTlvKeyHash:
          case kTlvPubKey:  // the full key instead of its hash (--public-key-format full)
            slot = keyhash;
            break;
          case kTlvEcdsaSig:
            slot = sig;
            break;
          default:
            return Fail(ImageError::kUnexpectedTlv);
        }
        if (*slot != nullptr) return Fail(ImageError::kDuplicateTlv);
        if (type == kTlvEcdsaSig) {
          if (len == 0 || len > kMaxSignatureBytes) return Fail(ImageError::kBadTlvLength);
          *sig_size = len;
        } else if (type == kTlvPubKey) {
          crypto::P256PublicKey embedded;
          if (!crypto::ParseP256Spki(v, len, &embedded).ok()) {
            return Fail(ImageError::kBadTlvLength);
          }
          pubkey_hash_ = embedded.KeyHash();  // matched against the trust store like KEYHASH
          *slot = pubkey_hash_.data();
          continue;
        } else if (len != 32) {
          return Fail(ImageError::kBadTlvLength);
        }
        *slot = v;
        continue;
      }
      ModelInfo& m = out.model;
      switch (type) {
        case kTlvSecurityCounter:
          if (len != 4) return Fail(ImageError::kBadTlvLength);
          if (out.has_security_counter) return Fail(ImageError::kDuplicateTlv);
          out.has_security_counter = true;
          out.security_counter = Le32(v);
          break;
        case kTlvModelName:
          if (len == 0 || len > kMaxModelNameBytes) return Fail(ImageError::kBadTlvLength);
          if (m.has_name) return Fail(ImageError::kDuplicateTlv);
          m.has_name = true;
          m.name_size = static_cast<uint8_t>(len);
          std::memcpy(m.name, v, len);
          m.name[len] = '\0';
          break;
        case kTlvModelEfmVersion:
        case kTlvModelArenaBytes: {
          if (len != 4) return Fail(ImageError::kBadTlvLength);
          bool& has = type == kTlvModelEfmVersion ? m.has_efm_version : m.has_arena_bytes;
          if (has) return Fail(ImageError::kDuplicateTlv);
          has = true;
          (type == kTlvModelEfmVersion ? m.efm_version : m.arena_bytes) = Le32(v);
          break;
        }
        case kTlvModelOpSet:
          if (len == 0 || len > kMaxOpSetBytes) return Fail(ImageError::kBadTlvLength);
          if (m.opset_size != 0) return Fail(ImageError::kDuplicateTlv);
          m.opset_size = static_cast<uint8_t>(len);
          std::memcpy(m.opset, v, len);
          break;
        case kTlvModelPayloadSha256:
          if (len != 32) return Fail(ImageError::kBadTlvLength);
          if (m.has_payload_sha256) return Fail(ImageError::kDuplicateTlv);
          m.has_payload_sha256 = true;
          std::memcpy(m.payload_sha256.data(), v, 32);
          break;
        default:
          break;  // other protected TLVs are signed; ignoring them is safe
      }
    }
  }
  return OkStatus();
}

Result<VerifiedImage> ImageVerifier::Finish(const crypto::P256PublicKey* keys, size_t key_count) {
  if (error_ != ImageError::kNone || finished_) {
    Fail(ImageError::kNotFinished).IgnoreError();
    return Status::DataLoss();
  }
  finished_ = true;
  if (!have_header_) return Fail(ImageError::kTruncatedHeader);
  if (pos_ < header_.signed_end()) return Fail(ImageError::kTruncated);

  VerifiedImage& out = parsed_;
  out.header = header_;
  out.total_bytes = pos_;
  out.digest = hash_.Finish();
  const uint8_t* sha = nullptr;
  const uint8_t* keyhash = nullptr;
  const uint8_t* sig = nullptr;
  size_t sig_size = 0;
  EDGE_TRY(ParseTlvs(out, &sha, &keyhash, &sig, &sig_size));

  if (sha == nullptr) return Fail(ImageError::kMissingHash);
  if (!Equal32(sha, out.digest.data())) return Fail(ImageError::kHashMismatch);

  // Trust: the verdict stays "denied" unless a trusted key's signature verifies.
  error_ = ImageError::kMissingSignature;
  if (sig == nullptr) return Status::PermissionDenied();
  error_ = ImageError::kMissingKeyHash;
  if (keyhash == nullptr) return Status::PermissionDenied();
  error_ = ImageError::kUntrustedKey;
  for (size_t i = 0; i < key_count && keys != nullptr; ++i) {
    const crypto::Sha256Digest kh = keys[i].KeyHash();
    if (!Equal32(kh.data(), keyhash)) continue;
    if (!crypto::VerifyP256(keys[i], out.digest, sig, DerSignatureSize(sig, sig_size)).ok()) {
      error_ = ImageError::kBadSignature;
      return Status::PermissionDenied();
    }
    error_ = ImageError::kNone;
    out.key_hash = kh;
    out.key_index = i;
    return out;
  }
  return Status::PermissionDenied();
}

Result<VerifiedImage> VerifyImage(const uint8_t* image, size_t size,
                                  const crypto::P256PublicKey* keys, size_t key_count,
                                  ImageError* error) {
  ImageVerifier v;
  Status s = v.Update(image, size);
  Result<VerifiedImage> r = s.ok() ? v.Finish(keys, key_count) : Result<VerifiedImage>(s);
  if (error != nullptr) *error = v.error();
  return r;
}

}  // namespace edge::image
