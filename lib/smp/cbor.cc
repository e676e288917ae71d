// edge.smp: CBOR subset (see public/edge/smp/cbor.h).
#include "edge/smp/cbor.h"

#include <cstring>

#include "edge/status/try.h"

namespace edge::smp {
namespace {

constexpr uint8_t kMajorUint = 0;
constexpr uint8_t kMajorNegInt = 1;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kMajorTag = 6;
constexpr uint8_t kMajorSimple = 7;
constexpr uint8_t kBreak = 0xff;

// One decoded initial byte plus its argument.
struct Head {
  uint8_t major = 0;
  uint8_t info = 0;  // additional information (low 5 bits)
  uint64_t arg = 0;
  bool indefinite = false;  // arrays and maps only
  bool is_break = false;    // 0xff
};

// Reads the head at data[*pos]; advances *pos past it on success only.
Status ReadHead(const uint8_t* data, size_t size, size_t* pos, Head* head) {
  size_t p = *pos;
  if (p >= size) {
    return Status::DataLoss();
  }
  const uint8_t initial = data[p++];
  Head h;
  h.major = static_cast<uint8_t>(initial >> 5);
  h.info = static_cast<uint8_t>(initial & 0x1f);
  if (h.info < 24) {
    h.arg = h.info;
  } else if (h.info <= 27) {
    const size_t n = size_t{1} << (h.info - 24);  // 1, 2, 4 or 8
    if (n > size - p) {
      return Status::DataLoss();
    }
    for (size_t i = 0; i < n; ++i) {
      h.arg = (h.arg << 8) | data[p + i];
    }
    p += n;
  } else if (h.info < 31) {
    return Status::DataLoss();  // 28-30 are reserved
  } else {
    switch (h.major) {
      case kMajorBytes:
      case kMajorText:
        return Status::Unimplemented();
      case kMajorArray:
      case kMajorMap:
        h.indefinite = true;
        break;
      case kMajorSimple:
        h.is_break = true;
        break;
      default:
        return Status::DataLoss();  // no indefinite integers or tags
    }
  }
  if (h.major == kMajorTag) {
    return Status::Unimplemented();
  }
  if (h.major == kMajorSimple && h.info == 24 && h.arg < 32) {
    return Status::DataLoss();  // two-byte simple values below 32 are not well-formed
  }
  *pos = p;
  *head = h;
  return OkStatus();
}

// Skips a string's content after its head.
Status SkipString(const Head& h, size_t size, size_t* pos) {
  if (h.arg > size - *pos) {  // size - *pos cannot underflow: *pos <= size
    return Status::DataLoss();
  }
  *pos += static_cast<size_t>(h.arg);
  return OkStatus();
}

// Skips the items of the container whose head `head` was just read (at *pos). On success *pos is
// after the container (after the break for an indefinite one), *items_end is where its items end
// and *count its number of items (pairs for a map). Iterative, with a fixed stack.
Status SkipContainer(const uint8_t* data, size_t size, const Head& head, size_t* pos,
                     size_t* items_end, uint64_t* count) {
  struct Frame {
    uint64_t remaining;  // definite only
    uint64_t seen;
    bool indefinite;
    bool map;
  };
  Frame stack[kCborMaxDepth];
  size_t depth = 0;
  size_t p = *pos;

  auto push = [&](const Head& h) -> Status {
    if (depth == kCborMaxDepth) {
      return Status::ResourceExhausted();
    }
    Frame f{0, 0, h.indefinite, h.major == kMajorMap};
    if (!h.indefinite) {
      // Every item takes at least one byte: a count the input cannot hold is malformed, which
      // also keeps 2 * pairs from overflowing.
      const uint64_t available = size - p;
      const uint64_t limit = f.map ? available / 2 : available;
      if (h.arg > limit) {
        return Status::DataLoss();
      }
      f.remaining = f.map ? h.arg * 2 : h.arg;
    }
    stack[depth++] = f;
    return OkStatus();
  };

  EDGE_TRY(push(head));
  // Each iteration consumes at least one byte or closes a container, so this ends.
  while (true) {
    Frame& f = stack[depth - 1];
    bool closed = false;
    size_t end = p;
    if (f.indefinite) {
      if (p >= size) {
        return Status::DataLoss();
      }
      if (data[p] == kBreak) {
        if (f.map && f.seen % 2 != 0) {
          return Status::DataLoss();  // a key without a value
        }
        ++p;
        closed = true;
      }
    } else if (f.remaining == 0) {
      closed = true;
    }
    if (closed) {
      if (depth == 1) {
        *items_end = end;
        *count = f.map ? f.seen / 2 : f.seen;
        *pos = p;
        return OkStatus();
      }
      --depth;
      continue;
    }
    Head h;
    EDGE_TRY(ReadHead(data, size, &p, &h));
    if (h.is_break) {
      return Status::DataLoss();  // a break inside a definite container
    }
    ++f.seen;
    if (!f.indefinite) {
      --f.remaining;
    }
    if (h.major == kMajorBytes || h.major == kMajorText) {
      EDGE_TRY(SkipString(h, size, &p));
    } else if (h.major == kMajorArray || h.major == kMajorMap) {
      EDGE_TRY(push(h));
    }
  }
}

// Number of bytes a head with this argument takes.
size_t HeadSize(uint64_t arg) {
  if (arg < 24) return 1;
  if (arg <= 0xff) return 2;
  if (arg <= 0xffff) return 3;
  if (arg <= 0xffffffffu) return 5;
  return 9;
}

}  // namespace

// --- CborWriter -----------------------------------------------------------------------------

void CborWriter::WriteHead(uint8_t major, uint64_t argument, const uint8_t* payload,
                           size_t payload_size) {
  if (!status_.ok()) {
    return;
  }
  const size_t head = HeadSize(argument);
  const size_t available = capacity_ - size_;
  if (head > available || payload_size > available - head) {
    status_ = Status::ResourceExhausted();
    return;
  }
  uint8_t* out = buffer_ + size_;
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (head == 1) {
    out[0] = static_cast<uint8_t>(m | argument);
  } else {
    const size_t n = head - 1;  // 1, 2, 4 or 8 argument bytes
    out[0] = static_cast<uint8_t>(m | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
    for (size_t i = 0; i < n; ++i) {
      out[1 + i] = static_cast<uint8_t>(argument >> (8 * (n - 1 - i)));
    }
  }
  if (payload_size != 0) {
    std::memcpy(out + head, payload, payload_size);
  }
  size_ += head + payload_size;
}

CborWriter& CborWriter::BeginMap(uint64_t pairs) {
  WriteHead(kMajorMap, pairs, nullptr, 0);
  return *this;
}
CborWriter& CborWriter::BeginArray(uint64_t items) {
  WriteHead(kMajorArray, items, nullptr, 0);
  return *this;
}
CborWriter& CborWriter::Key(const char* text) { return Text(text); }
CborWriter& CborWriter::Uint(uint64_t value) {
  WriteHead(kMajorUint, value, nullptr, 0);
  return *this;
}
CborWriter& CborWriter::Int(int64_t value) {
  if (value >= 0) {
    WriteHead(kMajorUint, static_cast<uint64_t>(value), nullptr, 0);
  } else {
    // -1 - value, computed without overflow for INT64_MIN.
    WriteHead(kMajorNegInt, static_cast<uint64_t>(-(value + 1)), nullptr, 0);
  }
  return *this;
}
CborWriter& CborWriter::Bool(bool value) {
  WriteHead(kMajorSimple, value ? 21 : 20, nullptr, 0);
  return *this;
}
CborWriter& CborWriter::Null() {
  WriteHead(kMajorSimple, 22, nullptr, 0);
  return *this;
}
CborWriter& CborWriter::Text(const char* text, size_t size) {
  WriteHead(kMajorText, size, reinterpret_cast<const uint8_t*>(text), size);
  return *this;
}
CborWriter& CborWriter::Text(const char* text) { return Text(text, std::strlen(text)); }
CborWriter& CborWriter::Bytes(const uint8_t* data, size_t size) {
  WriteHead(kMajorBytes, size, data, size);
  return *this;
}

// --- CborValue ------------------------------------------------------------------------------

CborReader CborValue::items() const {
  if (type != CborType::kArray && type != CborType::kMap) {
    return CborReader();
  }
  return CborReader(data, size);
}

Status CborValue::GetUint(uint64_t* out) const {
  if (type != CborType::kUint) {
    return Status::InvalidArgument();
  }
  *out = arg;
  return OkStatus();
}

Status CborValue::GetInt(int64_t* out) const {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (type == CborType::kUint) {
    if (arg > kMax) {
      return Status::OutOfRange();
    }
    *out = static_cast<int64_t>(arg);
    return OkStatus();
  }
  if (type == CborType::kNegInt) {
    if (arg > kMax) {
      return Status::OutOfRange();
    }
    *out = -1 - static_cast<int64_t>(arg);
    return OkStatus();
  }
  return Status::InvalidArgument();
}

Status CborValue::GetBool(bool* out) const {
  if (type != CborType::kBool) {
    return Status::InvalidArgument();
  }
  *out = arg != 0;
  return OkStatus();
}

bool CborValue::TextEquals(const char* text) const {
  if (type != CborType::kText) {
    return false;
  }
  const size_t n = std::strlen(text);
  return n == size && (n == 0 || std::memcmp(data, text, n) == 0);
}

// --- CborReader -----------------------------------------------------------------------------

Status CborReader::Read(CborValue* out) {
  if (done()) {
    return Status::OutOfRange();
  }
  size_t p = position_;
  Head h;
  EDGE_TRY(ReadHead(data_, size_, &p, &h));
  if (h.is_break) {
    return Status::DataLoss();  // a break outside an indefinite container
  }
  CborValue v;
  switch (h.major) {
    case kMajorUint:
      v.type = CborType::kUint;
      v.arg = h.arg;
      break;
    case kMajorNegInt:
      v.type = CborType::kNegInt;
      v.arg = h.arg;
      break;
    case kMajorBytes:
    case kMajorText: {
      const size_t start = p;
      EDGE_TRY(SkipString(h, size_, &p));
      v.type = h.major == kMajorBytes ? CborType::kBytes : CborType::kText;
      v.data = data_ + start;
      v.size = p - start;
      break;
    }
    case kMajorArray:
    case kMajorMap: {
      const size_t start = p;
      size_t items_end = p;
      uint64_t count = 0;
      EDGE_TRY(SkipContainer(data_, size_, h, &p, &items_end, &count));
      v.type = h.major == kMajorArray ? CborType::kArray : CborType::kMap;
      v.arg = count;
      v.data = data_ + start;
      v.size = items_end - start;
      break;
    }
    default:  // kMajorSimple (tags were refused by ReadHead)
      v.arg = h.arg;
      if (h.info >= 25) {
        v.type = CborType::kFloat;
        v.size = size_t{1} << (h.info - 24);
      } else if (h.arg == 20 || h.arg == 21) {
        v.type = CborType::kBool;
        v.arg = h.arg == 21 ? 1 : 0;
      } else if (h.arg == 22) {
        v.type = CborType::kNull;
      } else if (h.arg == 23) {
        v.type = CborType::kUndefined;
      } else {
        v.type = CborType::kSimple;
      }
      break;
  }
  position_ = p;
  *out = v;
  return OkStatus();
}

Status CborReader::Skip() {
  CborValue ignored;
  return Read(&ignored);
}

Status DecodeMap(const uint8_t* data, size_t size, CborValue* map) {
  CborReader reader(data, size);
  CborValue v;
  const Status s = reader.Read(&v);
  if (s.code() == StatusCode::kOutOfRange) {
    return Status::DataLoss();  // empty input
  }
  EDGE_TRY(s);
  if (v.type != CborType::kMap || !reader.done()) {
    return Status::DataLoss();
  }
  *map = v;
  return OkStatus();
}

Status FindInMap(const CborValue& map, const char* key, CborValue* out) {
  if (map.type != CborType::kMap) {
    return Status::InvalidArgument();
  }
  CborReader reader = map.items();
  for (uint64_t i = 0; i < map.arg; ++i) {
    CborValue k;
    CborValue v;
    if (!reader.Read(&k).ok() || !reader.Read(&v).ok()) {
      return Status::DataLoss();
    }
    if (k.TextEquals(key)) {
      *out = v;
      return OkStatus();
    }
  }
  return Status::NotFound();
}

Status FindUint(const CborValue& map, const char* key, uint64_t* out) {
  CborValue v;
  EDGE_TRY(FindInMap(map, key, &v));
  return v.GetUint(out);
}

Status FindInt(const CborValue& map, const char* key, int64_t* out) {
  CborValue v;
  EDGE_TRY(FindInMap(map, key, &v));
  return v.GetInt(out);
}

Status FindBool(const CborValue& map, const char* key, bool* out) {
  CborValue v;
  EDGE_TRY(FindInMap(map, key, &v));
  return v.GetBool(out);
}

Status FindBytes(const CborValue& map, const char* key, const uint8_t** data, size_t* size) {
  CborValue v;
  EDGE_TRY(FindInMap(map, key, &v));
  if (v.type != CborType::kBytes) {
    return Status::InvalidArgument();
  }
  *data = v.data;
  *size = v.size;
  return OkStatus();
}

Status FindText(const CborValue& map, const char* key, const char** text, size_t* size) {
  CborValue v;
  EDGE_TRY(FindInMap(map, key, &v));
  if (v.type != CborType::kText) {
    return Status::InvalidArgument();
  }
  *text = reinterpret_cast<const char*>(v.data);
  *size = v.size;
  return OkStatus();
}

}  // namespace edge::smp
