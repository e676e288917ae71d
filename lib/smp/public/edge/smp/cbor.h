#pragma once
// edge.smp: the subset of CBOR (RFC 8949) that SMP payloads use, for SMP clients and servers.
//
// CborWriter encodes into a caller buffer with minimal-length heads and definite-length
// containers only (what SMP encoders should send). CborReader decodes well-formed CBOR items:
// unsigned and negative integers of every width, definite byte and text strings, arrays and maps
// of definite or indefinite length (0x9f / 0xbf ... 0xff), false/true/null/undefined, other
// simple values and floats (raw bits). Strings and containers are returned as views into the
// input: nothing is copied and nothing allocated, so views live as long as the input buffer.
//
// Untrusted input: every length is checked against the bytes that remain (as uint64, so a length
// of 2^64-1 cannot wrap), nesting is bounded by kCborMaxDepth, every loop is bounded by the input
// size, and errors are returned, never asserted.
//
// What it is NOT: not a general CBOR library. Not supported (UNIMPLEMENTED): tags (major type 6)
// and indefinite-length strings, which no SMP implementation sends. Floats are skipped or
// returned as raw bits, never converted. Duplicate map keys are not detected: lookups return the
// first match. The writer does not check that a map got the number of entries it announced.
#include <cstddef>
#include <cstdint>

#include "edge/status/status.h"

namespace edge::smp {

// The deepest nesting CborReader accepts (the outermost array or map is depth 1). SMP's deepest
// payload (image state: map > array > map) needs 3.
inline constexpr size_t kCborMaxDepth = 8;

class CborWriter {
 public:
  // Writes into `buffer[0, capacity)`, which must outlive the writer.
  CborWriter(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  // Each call appends one item (or a container head). An item that does not fit is not written
  // at all; status() becomes RESOURCE_EXHAUSTED and every later call does nothing.
  CborWriter& BeginMap(uint64_t pairs);    // definite: followed by `pairs` Key/value pairs
  CborWriter& BeginArray(uint64_t items);  // definite: followed by `items` items
  CborWriter& Key(const char* text);       // a text string key (NUL-terminated)
  CborWriter& Uint(uint64_t value);
  CborWriter& Int(int64_t value);  // major type 0 if >= 0, otherwise 1
  CborWriter& Bool(bool value);
  CborWriter& Null();
  CborWriter& Text(const char* text, size_t size);
  CborWriter& Text(const char* text);  // NUL-terminated
  CborWriter& Bytes(const uint8_t* data, size_t size);

  // OK, or RESOURCE_EXHAUSTED once anything did not fit (sticky).
  [[nodiscard]] Status status() const { return status_; }
  // Bytes written (only whole items).
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] const uint8_t* data() const { return buffer_; }

 private:
  void WriteHead(uint8_t major, uint64_t argument, const uint8_t* payload, size_t payload_size);

  uint8_t* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  Status status_;
};

enum class CborType : uint8_t {
  kUint,
  kNegInt,
  kBytes,
  kText,
  kArray,
  kMap,
  kBool,
  kNull,
  kUndefined,
  kSimple,  // simple values other than false/true/null/undefined
  kFloat,   // half, single or double: raw bits in `arg`, width in `size`
};

class CborReader;

// One decoded item. Views point into the reader's input.
struct CborValue {
  CborType type = CborType::kNull;
  // kUint: the value. kNegInt: n, where the value is -1 - n. kBool: 0 or 1. kSimple: the simple
  // value. kFloat: the raw IEEE 754 bits. kArray: the number of items. kMap: the number of pairs.
  uint64_t arg = 0;
  // kBytes/kText: the content. kArray/kMap: the encoded items, without the head and without the
  // break byte of an indefinite container (read them with items()).
  const uint8_t* data = nullptr;
  // kBytes/kText: content bytes. kArray/kMap: bytes of the items. kFloat: 2, 4 or 8.
  size_t size = 0;

  // A reader over the items of an array (or key, value, key, value... of a map). Empty for other
  // types.
  [[nodiscard]] CborReader items() const;

  // Typed access. Return OK, or INVALID_ARGUMENT if this is another type; GetInt() returns
  // OUT_OF_RANGE if the value does not fit in int64_t.
  Status GetUint(uint64_t* out) const;
  Status GetInt(int64_t* out) const;
  Status GetBool(bool* out) const;
  // kText only: true if the text is exactly `text` (NUL-terminated).
  [[nodiscard]] bool TextEquals(const char* text) const;
};

// Reads a sequence of CBOR items from `data[0, size)`, which must outlive the reader and every
// value it returns. Copyable (a cursor); copies read independently.
class CborReader {
 public:
  constexpr CborReader() = default;
  CborReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // Reads the next whole item; a container is validated to its end (so its items() are
  // well-formed) and skipped. Returns:
  //   OK                  *out holds the item; the reader moved past it
  //   OUT_OF_RANGE        no items left (done())
  //   DATA_LOSS           malformed or truncated (incl. a length beyond the input, a stray break,
  //                       reserved additional info, an odd number of items in an indefinite map)
  //   RESOURCE_EXHAUSTED  nesting deeper than kCborMaxDepth
  //   UNIMPLEMENTED       a tag or an indefinite-length string
  // On any error the reader does not move.
  Status Read(CborValue* out);
  // Read() and discard. Same codes.
  Status Skip();

  [[nodiscard]] bool done() const { return position_ >= size_; }
  [[nodiscard]] size_t position() const { return position_; }
  [[nodiscard]] size_t remaining() const { return size_ - position_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t position_ = 0;
};

// Reads `data[0, size)` as exactly one map (an SMP payload). OK, or DATA_LOSS if the bytes are
// malformed, are not a map, or have bytes after the map; RESOURCE_EXHAUSTED / UNIMPLEMENTED as
// CborReader::Read().
Status DecodeMap(const uint8_t* data, size_t size, CborValue* map);

// Looks up the text key `key` (NUL-terminated) in `map`, in any position. Returns:
//   OK                *out holds the value of the first entry with that key
//   NOT_FOUND         no such key
//   INVALID_ARGUMENT  `map` is not a map
//   DATA_LOSS         `map` is malformed (cannot happen for a map returned by CborReader)
Status FindInMap(const CborValue& map, const char* key, CborValue* out);

// FindInMap() plus a type check: INVALID_ARGUMENT if the value has another type (FindInt:
// OUT_OF_RANGE if it does not fit in int64_t).
Status FindUint(const CborValue& map, const char* key, uint64_t* out);
Status FindInt(const CborValue& map, const char* key, int64_t* out);
Status FindBool(const CborValue& map, const char* key, bool* out);
Status FindBytes(const CborValue& map, const char* key, const uint8_t** data, size_t* size);
Status FindText(const CborValue& map, const char* key, const char** text, size_t* size);

}  // namespace edge::smp
