#include "edge/image/image_builder.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "edge/crypto/hex.h"

namespace edge::image {
namespace {

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v));
  out.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutTlv(std::string& out, uint16_t type, absl::string_view value) {
  Put16(out, type);
  Put16(out, static_cast<uint16_t>(value.size()));
  out.append(value.data(), value.size());
}
std::string U32(uint32_t v) {
  std::string s;
  Put32(s, v);
  return s;
}
uint16_t Le16(absl::string_view s, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[off]) | static_cast<uint8_t>(s[off + 1])
                                                                  << 8);
}
uint32_t Le32(absl::string_view s, size_t off) {
  return static_cast<uint32_t>(Le16(s, off)) | static_cast<uint32_t>(Le16(s, off + 2)) << 16;
}

}  // namespace

absl::StatusOr<ImageVersion> ParseVersion(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("version \"", text, "\": ", why,
                                                   " (use MAJOR[.MINOR[.REVISION[+BUILD]]], "
                                                   "e.g. 1.2.3)"));
  };
  ImageVersion v;
  absl::string_view main = text;
  size_t plus = text.find('+');
  if (plus != absl::string_view::npos) {
    main = text.substr(0, plus);
    if (!absl::SimpleAtoi(text.substr(plus + 1), &v.build)) return bad("bad build number");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(main, '.');
  if (parts.empty() || parts.size() > 3 || main.empty()) return bad("expected 1 to 3 numbers");
  const uint32_t limits[] = {255, 255, 65535};
  uint32_t nums[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(parts[i], &nums[i]) || nums[i] > limits[i]) {
      return bad(absl::StrCat("part ", i + 1, " must be a number up to ", limits[i]));
    }
  }
  v.major = static_cast<uint8_t>(nums[0]);
  v.minor = static_cast<uint8_t>(nums[1]);
  v.revision = static_cast<uint16_t>(nums[2]);
  return v;
}

std::string VersionString(const ImageVersion& v) {
  std::string s = absl::StrCat(v.major, ".", v.minor, ".", v.revision);
  if (v.build != 0) absl::StrAppend(&s, "+", v.build);
  return s;
}

uint32_t AutoSecurityCounter(const ImageVersion& v) {
  return (uint32_t{v.major} << 24) + (uint32_t{v.minor} << 16) + v.revision;
}

absl::StatusOr<std::string> BuildSignedImage(absl::string_view payload, const SignOptions& o,
                                             const crypto::P256PrivateKey& key) {
  if (o.header_size < kHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("header size ", o.header_size, " is below the minimum of 32"));
  }
  if (payload.size() > 0xffffffffu - o.header_size) {
    return absl::InvalidArgumentError("payload is too large for an MCUboot image");
  }
  if (o.model_name.size() > kMaxModelNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("model name is longer than ", kMaxModelNameBytes, " bytes"));
  }
  if (o.opset.size() > kMaxOpSetBytes) {
    return absl::InvalidArgumentError("op set bitmap is longer than 32 bytes");
  }
  // Protected TLVs: security counter first, then ours by type.
  std::string prot_tlvs;
  if (o.write_security_counter) {
    PutTlv(prot_tlvs, kTlvSecurityCounter,
           U32(o.security_counter.value_or(AutoSecurityCounter(o.version))));
  }
  if (!o.model_name.empty()) PutTlv(prot_tlvs, kTlvModelName, o.model_name);
  if (o.efm_version) PutTlv(prot_tlvs, kTlvModelEfmVersion, U32(*o.efm_version));
  if (!o.opset.empty()) PutTlv(prot_tlvs, kTlvModelOpSet, o.opset);
  if (o.arena_bytes) PutTlv(prot_tlvs, kTlvModelArenaBytes, U32(*o.arena_bytes));
  if (o.payload_sha256) {
    crypto::Sha256 h;
    h.Update(payload.data(), payload.size());
    const crypto::Sha256Digest d = h.Finish();
    PutTlv(prot_tlvs, kTlvModelPayloadSha256,
           absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  }
  const size_t prot_size = kTlvInfoBytes + prot_tlvs.size();

  ImageHeader h;
  h.load_addr = o.load_addr;
  h.hdr_size = o.header_size;
  h.protect_tlv_size = static_cast<uint16_t>(prot_size);
  h.img_size = static_cast<uint32_t>(payload.size());
  h.flags = o.flags;
  h.version = o.version;
  std::string image(o.header_size, '\0');  // header + zero padding
  h.Encode(reinterpret_cast<uint8_t*>(image.data()));
  image.append(payload.data(), payload.size());
  Put16(image, kTlvProtInfoMagic);
  Put16(image, static_cast<uint16_t>(prot_size));
  image += prot_tlvs;

  crypto::Sha256 hash;
  hash.Update(image.data(), image.size());
  const crypto::Sha256Digest digest = hash.Finish();
  absl::StatusOr<std::string> sig = key.Sign(digest);
  if (!sig.ok()) return sig.status();
  const crypto::Sha256Digest key_hash = key.public_key().KeyHash();

  std::string un;
  PutTlv(un, kTlvSha256, absl::string_view(reinterpret_cast<const char*>(digest.data()), 32));
  PutTlv(un, kTlvKeyHash, absl::string_view(reinterpret_cast<const char*>(key_hash.data()), 32));
  PutTlv(un, kTlvEcdsaSig, *sig);
  Put16(image, kTlvInfoMagic);
  Put16(image, static_cast<uint16_t>(kTlvInfoBytes + un.size()));
  image += un;
  return image;
}

std::string DescribeImage(absl::string_view image) {
  std::string out;
  Result<ImageHeader> parsed =
      ImageHeader::Parse(reinterpret_cast<const uint8_t*>(image.data()), image.size());
  if (!parsed.ok()) {
    return absl::StrCat("not an MCUboot image: ",
                        image.size() < kHeaderBytes ? "shorter than 32 bytes" : "bad magic/header",
                        "\n");
  }
  const ImageHeader& h = *parsed;
  absl::StrAppendFormat(&out, "header:\n  magic            0x%08x\n  load_addr        0x%08x\n",
                        h.magic, h.load_addr);
  absl::StrAppendFormat(&out,
                        "  hdr_size         %u\n  protect_tlv_size %u\n  img_size         %u\n",
                        h.hdr_size, h.protect_tlv_size, h.img_size);
  absl::StrAppendFormat(&out, "  flags            0x%08x\n  version          %s\n", h.flags,
                        VersionString(h.version));
  absl::StrAppendFormat(&out, "  file size        %u bytes\n", image.size());
  size_t off = static_cast<size_t>(std::min<uint64_t>(h.tlv_offset(), image.size()));
  for (int area = 0; area < 2; ++area) {
    if (image.size() - off < kTlvInfoBytes) {
      absl::StrAppend(&out, "  (image ends before the ", area == 0 ? "TLV" : "unprotected TLV",
                      " area)\n");
      break;
    }
    const uint16_t magic = Le16(image, off);
    const uint16_t total = Le16(image, off + 2);
    if (area == 0 && magic != kTlvProtInfoMagic) {
      if (h.protect_tlv_size != 0) absl::StrAppend(&out, "  (no protected TLV area found)\n");
      continue;  // no protected area: read the same offset as the unprotected one
    }
    absl::StrAppendFormat(&out, "%s TLVs (info 0x%04x, %u bytes):\n",
                          area == 0 ? "protected" : "unprotected", magic, total);
    const size_t end = std::min(image.size(), off + total);
    size_t p = off + kTlvInfoBytes;
    while (p + kTlvHeaderBytes <= end) {
      const uint16_t type = Le16(image, p);
      const uint16_t len = Le16(image, p + 2);
      p += kTlvHeaderBytes;
      if (len > end - p) {
        absl::StrAppendFormat(&out, "  0x%04x: length %u runs past the area\n", type, len);
        break;
      }
      absl::string_view v = image.substr(p, len);
      const auto* bytes = reinterpret_cast<const uint8_t*>(v.data());
      std::string what;
      switch (type) {
        case kTlvSha256:
          what = absl::StrCat("SHA256        ", crypto::ToHex(bytes, len));
          break;
        case kTlvKeyHash:
          what = absl::StrCat("KEYHASH       ", crypto::ToHex(bytes, len));
          break;
        case kTlvPubKey:
          what = absl::StrCat("PUBKEY        ", len, " bytes");
          break;
        case kTlvEcdsaSig:
          what = absl::StrCat("ECDSA_SIG     ", len, " bytes");
          break;
        case kTlvSecurityCounter:
          what =
              absl::StrCat("SEC_CNT       ", len == 4 ? absl::StrCat(Le32(v, 0)) : "(bad length)");
          break;
        case kTlvModelName:
          what = absl::StrCat("model name    ", v);
          break;
        case kTlvModelEfmVersion:
          what =
              absl::StrCat("efm version   ", len == 4 ? absl::StrCat(Le32(v, 0)) : "(bad length)");
          break;
        case kTlvModelOpSet:
          what = absl::StrCat("op set        ", crypto::ToHex(bytes, len));
          break;
        case kTlvModelArenaBytes:
          what =
              absl::StrCat("arena bytes   ", len == 4 ? absl::StrCat(Le32(v, 0)) : "(bad length)");
          break;
        case kTlvModelPayloadSha256:
          what = absl::StrCat("payload sha256 ", crypto::ToHex(bytes, len));
          break;
        default:
          what = absl::StrCat("(", len, " bytes)");
      }
      absl::StrAppendFormat(&out, "  0x%04x %s\n", type, what);
      p += len;
    }
    off = std::min(image.size(), off + total);
  }
  return out;
}

}  // namespace edge::image
