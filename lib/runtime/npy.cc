// HostTensor and the NumPy .npy format (versions 1.0, 2.0 and 3.0), as specified by
// numpy/lib/format.py: the magic "\x93NUMPY", a major and a minor version byte, a little-endian
// header length (uint16 for 1.0, uint32 for 2.0/3.0), then the header: the repr() of a Python
// dict with the keys 'descr', 'fortran_order' and 'shape', padded with spaces and ended by '\n'
// so that the data (C order unless fortran_order) starts on a 64-byte boundary.
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "edge/runtime/host_tensor.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.cc assumes a little-endian host (element bytes are copied as they are)"
#endif

namespace edge::runtime {

int64_t HostTensor::elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

Tensor HostTensor::view() {
  assert(shape.size() <= static_cast<size_t>(kMaxRank));
  Tensor t;
  t.present = true;
  t.dtype = dtype;
  t.shape.rank = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size() && i < static_cast<size_t>(kMaxRank); ++i) {
    t.shape.dims[i] = shape[i];
  }
  t.data = data.empty() ? nullptr : data.data();
  return t;
}

HostTensor HostTensor::Zeros(DType dtype, std::vector<int32_t> shape) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.assign(static_cast<size_t>(t.elements()) * DTypeSize(dtype), '\0');
  return t;
}

HostTensor HostTensor::FromTensor(const Tensor& t) {
  HostTensor h;
  h.dtype = t.dtype;
  h.shape.assign(t.shape.dims, t.shape.dims + t.shape.rank);
  if (t.data != nullptr) {
    h.data.assign(static_cast<const char*>(t.data), t.bytes());
  } else {
    h.data.assign(t.bytes(), '\0');
  }
  return h;
}

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;             // numpy's ARRAY_ALIGN
constexpr size_t kGrowthAxisDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS
constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

// What the file's 'descr' says, before conversion.
enum class Source { kF4, kF8, kI1, kI2, kI4, kI8, kU1, kU2, kU4, kU8, kB1 };

struct SourceType {
  Source source;
  size_t size;
  DType dtype;  // what it becomes
};

std::string ShapeRepr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) absl::StrAppend(&s, " ");
    absl::StrAppend(&s, shape[i], ",");
  }
  if (shape.size() > 1) s.pop_back();  // (2, 3) but (5,)
  absl::StrAppend(&s, ")");
  return s;
}

// A tiny reader for the subset of Python literal syntax that .npy headers use.
class HeaderParser {
 public:
  HeaderParser(absl::string_view text, absl::string_view what) : text_(text), what_(what) {}

  absl::Status Error(absl::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": bad .npy header: ", problem,
                                                   " at header offset ", pos_, " in \"",
                                                   Printable(text_), "\""));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  // A quoted string ('...' or "..."); no escapes are needed by any valid header.
  absl::StatusOr<std::string> String() {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return Error("expected a quoted string");
    }
    const char quote = text_[pos_++];
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') return Error("escape sequences are not supported");
      ++pos_;
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    std::string s(text_.substr(start, pos_ - start));
    ++pos_;
    return s;
  }

  absl::StatusOr<bool> Bool() {
    SkipSpace();
    for (auto [word, value] : {std::pair<absl::string_view, bool>{"True", true},
                               std::pair<absl::string_view, bool>{"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    return Error("expected True or False");
  }

  // A non-negative integer (Python 2 writers may append 'L').
  absl::StatusOr<int64_t> Dim() {
    SkipSpace();
    const size_t start = pos_;
    int64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      v = v * 10 + (text_[pos_] - '0');
      if (v > std::numeric_limits<int32_t>::max()) {
        return Error("dimension does not fit in int32");
      }
      ++pos_;
    }
    if (pos_ == start) return Error("expected a non-negative integer dimension");
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;
    return v;
  }

  // (), (5,), (2, 3), (2, 3,)
  absl::StatusOr<std::vector<int64_t>> Tuple() {
    if (!Consume('(')) return Error("expected '(' to start the shape tuple");
    std::vector<int64_t> dims;
    if (Consume(')')) return dims;
    while (true) {
      absl::StatusOr<int64_t> d = Dim();
      if (!d.ok()) return d.status();
      dims.push_back(*d);
      if (Consume(')')) {
        if (dims.size() == 1) return Error("a one-element shape tuple needs a trailing comma");
        return dims;
      }
      if (!Consume(',')) return Error("expected ',' or ')' in the shape tuple");
      if (Consume(')')) return dims;
    }
  }

 private:
  static std::string Printable(absl::string_view s) {
    std::string out;
    for (char c : s.substr(0, 160)) {
      out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (s.size() > 160) out += "...";
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  absl::string_view text_;
  absl::string_view what_;
  size_t pos_ = 0;
};

absl::StatusOr<SourceType> ParseDescr(const std::string& descr, absl::string_view what) {
  auto unsupported = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported .npy dtype '", descr, "' (",
                                                   why,
                                                   "); supported: <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 "
                                                   "<u4 <u8 |b1, little-endian"));
  };
  if (descr.size() < 3) return unsupported("not a simple type string");
  const char order = descr[0];
  const absl::string_view kind(descr.data() + 1, descr.size() - 1);
  struct Entry {
    absl::string_view kind;
    Source source;
    size_t size;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"f4", Source::kF4, 4, DType::kF32}, {"f8", Source::kF8, 8, DType::kF32},
      {"i1", Source::kI1, 1, DType::kI8},  {"i2", Source::kI2, 2, DType::kI32},
      {"i4", Source::kI4, 4, DType::kI32}, {"i8", Source::kI8, 8, DType::kI32},
      {"u1", Source::kU1, 1, DType::kI32}, {"u2", Source::kU2, 2, DType::kI32},
      {"u4", Source::kU4, 4, DType::kI32}, {"u8", Source::kU8, 8, DType::kI32},
      {"b1", Source::kB1, 1, DType::kI32},
  };
  for (const Entry& e : kTable) {
    if (kind != e.kind) continue;
    const bool single_byte = e.size == 1;
    if (order == '>' && !single_byte) {
      return unsupported("big-endian; convert with arr.astype(arr.dtype.newbyteorder('<'))");
    }
    if (order != '<' && order != '|' && order != '=' && order != '>') {
      return unsupported("unknown byte-order character");
    }
    if (order == '|' && !single_byte) return unsupported("'|' is only valid for 1-byte types");
    return SourceType{e.source, e.size, e.dtype};
  }
  return unsupported("element type not supported");
}

template <typename T>
T LoadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Converts `count` elements from `src` (file layout `type`) into `out` (type.dtype).
absl::Status ConvertData(const SourceType& type, const char* src, int64_t count, HostTensor* out,
                         absl::string_view what) {
  const size_t n = static_cast<size_t>(count);
  out->data.resize(n * DTypeSize(type.dtype));
  char* dst = out->data.data();
  auto put_i32 = [&](size_t i, auto v) -> absl::Status {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": element ", i, " = ", v,
                                                     " does not fit in int32 (edge converts "
                                                     "integer .npy data to int32)"));
    }
    const int32_t x = static_cast<int32_t>(v);
    std::memcpy(dst + i * 4, &x, 4);
    return absl::OkStatus();
  };
  switch (type.source) {
    case Source::kF4:
    case Source::kI4:
    case Source::kI1:
      if (n > 0) std::memcpy(dst, src, n * type.size);
      return absl::OkStatus();
    case Source::kF8:
      for (size_t i = 0; i < n; ++i) {
        const float f = static_cast<float>(LoadLe<double>(src + i * 8));
        std::memcpy(dst + i * 4, &f, 4);
      }
      return absl::OkStatus();
    case Source::kI2:
      for (size_t i = 0; i < n; ++i) (void)put_i32(i, LoadLe<int16_t>(src + i * 2));
      return absl::OkStatus();
    case Source::kU1:
      for (size_t i = 0; i < n; ++i) (void)put_i32(i, LoadLe<uint8_t>(src + i));
      return absl::OkStatus();
    case Source::kU2:
      for (size_t i = 0; i < n; ++i) (void)put_i32(i, LoadLe<uint16_t>(src + i * 2));
      return absl::OkStatus();
    case Source::kB1:
      for (size_t i = 0; i < n; ++i) (void)put_i32(i, src[i] != 0 ? 1 : 0);
      return absl::OkStatus();
    case Source::kI8:
      for (size_t i = 0; i < n; ++i) {
        absl::Status s = put_i32(i, LoadLe<int64_t>(src + i * 8));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    case Source::kU4:
      for (size_t i = 0; i < n; ++i) {
        absl::Status s = put_i32(i, static_cast<int64_t>(LoadLe<uint32_t>(src + i * 4)));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    case Source::kU8:
      for (size_t i = 0; i < n; ++i) {
        const uint64_t v = LoadLe<uint64_t>(src + i * 8);
        if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
          return absl::InvalidArgumentError(
              absl::StrCat(what, ": element ", i, " = ", v,
                           " does not fit in int32 (edge converts integer .npy data to int32)"));
        }
        (void)put_i32(i, static_cast<int64_t>(v));
      }
      return absl::OkStatus();
  }
  return absl::InternalError("unreachable");
}

}  // namespace

absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() < kMagicLen + 2 || bytes.substr(0, kMagicLen) != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not a .npy file (no \\x93NUMPY magic at the start; ", bytes.size(), " bytes)"));
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  const int minor = static_cast<uint8_t>(bytes[7]);
  size_t len_bytes;
  if (major == 1 && minor == 0) {
    len_bytes = 2;
  } else if ((major == 2 || major == 3) && minor == 0) {
    len_bytes = 4;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported .npy format version ",
                                                   major, ".", minor,
                                                   " (supported: 1.0, 2.0, 3.0)"));
  }
  const size_t prefix = kMagicLen + 2 + len_bytes;
  if (bytes.size() < prefix) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": truncated .npy file (", bytes.size(),
                                                   " bytes, header length missing)"));
  }
  uint64_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i) {
    header_len |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[kMagicLen + 2 + i])) << (8 * i);
  }
  if (header_len > bytes.size() - prefix) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": truncated .npy header (header length ",
                                                   header_len, ", only ", bytes.size() - prefix,
                                                   " bytes follow)"));
  }
  const absl::string_view header = bytes.substr(prefix, header_len);
  const absl::string_view data = bytes.substr(prefix + header_len);

  // The header dict: keys in any order, each exactly once; no other keys.
  HeaderParser p(header, what);
  if (!p.Consume('{')) return p.Error("expected '{'");
  std::optional<std::string> descr;
  std::optional<bool> fortran;
  std::optional<std::vector<int64_t>> dims;
  while (!p.Consume('}')) {
    absl::StatusOr<std::string> key = p.String();
    if (!key.ok()) return key.status();
    if (!p.Consume(':')) return p.Error(absl::StrCat("expected ':' after '", *key, "'"));
    if (*key == "descr") {
      if (descr) return p.Error("duplicate key 'descr'");
      if (!p.Peek('\'') && !p.Peek('"')) {
        return absl::InvalidArgumentError(
            absl::StrCat(what,
                         ": unsupported .npy dtype (structured or record dtype); expected a simple "
                         "type string such as '<f4'"));
      }
      absl::StatusOr<std::string> s = p.String();
      if (!s.ok()) return s.status();
      descr = *s;
    } else if (*key == "fortran_order") {
      if (fortran) return p.Error("duplicate key 'fortran_order'");
      absl::StatusOr<bool> b = p.Bool();
      if (!b.ok()) return b.status();
      fortran = *b;
    } else if (*key == "shape") {
      if (dims) return p.Error("duplicate key 'shape'");
      absl::StatusOr<std::vector<int64_t>> t = p.Tuple();
      if (!t.ok()) return t.status();
      dims = *std::move(t);
    } else {
      return p.Error(absl::StrCat("unexpected key '", *key, "'"));
    }
    if (p.Consume(',')) continue;
    if (!p.Peek('}')) return p.Error("expected ',' or '}'");
  }
  if (!p.AtEnd()) return p.Error("unexpected text after '}'");
  if (!descr) return p.Error("missing key 'descr'");
  if (!fortran) return p.Error("missing key 'fortran_order'");
  if (!dims) return p.Error("missing key 'shape'");

  absl::StatusOr<SourceType> type = ParseDescr(*descr, what);
  if (!type.ok()) return type.status();
  if (dims->size() > static_cast<size_t>(kMaxRank)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": shape ", ShapeRepr(*dims), " has ",
                                                   dims->size(), " dimensions; at most ", kMaxRank,
                                                   " are supported"));
  }
  // Element count, saturating: every dim is < 2^31, but 8 of them can overflow uint64.
  uint64_t count = 1;
  int non_unit_dims = 0;
  for (int64_t d : *dims) {
    if (d != 1) ++non_unit_dims;
  }
  for (int64_t d : *dims) {
    const uint64_t ud = static_cast<uint64_t>(d);
    count = (ud != 0 && count > kSaturated / ud) ? kSaturated : count * ud;
  }
  // A Fortran-order array whose elements are laid out like C order (at most one dim != 1) is
  // accepted; anything else would need a transpose.
  if (*fortran && non_unit_dims > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": Fortran-order (column-major) .npy data of shape ", ShapeRepr(*dims),
                     " is not supported; save a C-order array (np.ascontiguousarray)"));
  }
  const uint64_t need = count > kSaturated / type->size ? kSaturated : count * type->size;
  if (data.size() < need) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": truncated .npy data: shape ", ShapeRepr(*dims), " of '", *descr,
                     "' needs ", need == kSaturated ? std::string("more") : absl::StrCat(need),
                     " bytes, the file has ", data.size()));
  }
  if (data.size() > need) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": .npy file has ", data.size() - need,
                                                   " bytes after the data of shape ",
                                                   ShapeRepr(*dims), " '", *descr, "'"));
  }

  HostTensor t;
  t.dtype = type->dtype;
  t.shape.assign(dims->begin(), dims->end());
  absl::Status s = ConvertData(*type, data.data(), static_cast<int64_t>(count), &t, what);
  if (!s.ok()) return s;
  return t;
}

absl::StatusOr<HostTensor> ReadNpy(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
  }
  std::string bytes;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ParseNpy(bytes, path);
}

std::string EncodeNpy(const HostTensor& t) {
  const char* descr = t.dtype == DType::kF32 ? "<f4" : t.dtype == DType::kI32 ? "<i4" : "|i1";
  std::vector<int64_t> dims(t.shape.begin(), t.shape.end());
  // Exactly what numpy's _write_array_header writes: keys sorted, values repr()'d, spare
  // spaces for growing the first axis, then padding so the data is 64-byte aligned.
  std::string header = absl::StrCat("{'descr': '", descr,
                                    "', 'fortran_order': False, 'shape': ", ShapeRepr(dims), ", }");
  if (!dims.empty()) {
    const size_t digits = absl::StrCat(dims[0]).size();
    header.append(kGrowthAxisDigits > digits ? kGrowthAxisDigits - digits : 0, ' ');
  }
  const size_t hlen = header.size() + 1;  // + '\n'
  const size_t pad = kAlign - (kMagicLen + 2 + 2 + hlen) % kAlign;
  header.append(pad, ' ');
  header.push_back('\n');
  assert(header.size() <= 0xffff);
  const size_t payload = static_cast<size_t>(t.elements()) * DTypeSize(t.dtype);
  assert(t.data.size() == payload);

  std::string out(kMagic, kMagicLen);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(t.data, 0, payload);
  return out;
}

absl::Status WriteNpy(const std::string& path, const HostTensor& t) {
  const int64_t n = t.elements();
  if (n < 0 || t.data.size() != static_cast<size_t>(n) * DTypeSize(t.dtype)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": tensor has ", t.data.size(),
                                                   " data bytes, its shape needs ",
                                                   n * static_cast<int64_t>(DTypeSize(t.dtype))));
  }
  const std::string bytes = EncodeNpy(t);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": cannot create: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
  }
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": write failed"));
  }
  return absl::OkStatus();
}

}  // namespace edge::runtime
