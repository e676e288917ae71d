// Tests for the CBOR subset. Expected bytes are RFC 8949 Appendix A examples or written out by
// hand from the encoding rules, never produced by the code under test.
#include "edge/smp/cbor.h"

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "gtest/gtest.h"

namespace edge::smp {
namespace {

using Bytes = std::vector<uint8_t>;

struct UintVector {
  uint64_t value;
  Bytes encoded;
};

// RFC 8949 Appendix A.
const UintVector kUintVectors[] = {
    {0, {0x00}},
    {1, {0x01}},
    {10, {0x0a}},
    {23, {0x17}},
    {24, {0x18, 0x18}},
    {25, {0x18, 0x19}},
    {100, {0x18, 0x64}},
    {1000, {0x19, 0x03, 0xe8}},
    {1000000, {0x1a, 0x00, 0x0f, 0x42, 0x40}},
    {1000000000000, {0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00}},
    {18446744073709551615u, {0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

struct IntVector {
  int64_t value;
  Bytes encoded;
};

const IntVector kIntVectors[] = {
    {-1, {0x20}},
    {-10, {0x29}},
    {-100, {0x38, 0x63}},
    {-1000, {0x39, 0x03, 0xe7}},
    {INT64_MIN, {0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

// Well-formed items the reader supports (RFC 8949 Appendix A plus SMP-shaped maps).
const Bytes kValidItems[] = {
    {0x00},
    {0x18, 0x64},
    {0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00},
    {0x39, 0x03, 0xe7},
    {0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {0xf4},
    {0xf5},
    {0xf6},
    {0xf7},
    {0xf0},
    {0xf8, 0xff},
    {0xf9, 0x00, 0x00},
    {0xfa, 0x47, 0xc3, 0x50, 0x00},
    {0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a},
    {0x40},
    {0x44, 0x01, 0x02, 0x03, 0x04},
    {0x60},
    {0x61, 0x61},
    {0x64, 0x49, 0x45, 0x54, 0x46},
    {0x80},
    {0x83, 0x01, 0x02, 0x03},
    {0x83, 0x01, 0x82, 0x02, 0x03, 0x82, 0x04, 0x05},
    {0xa0},
    {0xa2, 0x01, 0x02, 0x03, 0x04},
    {0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03},
    {0x82, 0x61, 0x61, 0xa1, 0x61, 0x62, 0x61, 0x63},
    {0x9f, 0xff},
    {0x9f, 0x01, 0x82, 0x02, 0x03, 0x9f, 0x04, 0x05, 0xff, 0xff},
    {0x83, 0x01, 0x9f, 0x02, 0x03, 0xff, 0x82, 0x04, 0x05},
    {0xbf, 0x61, 0x61, 0x01, 0x61, 0x62, 0x9f, 0x02, 0x03, 0xff, 0xff},
    {0x82, 0x61, 0x61, 0xbf, 0x61, 0x62, 0x61, 0x63, 0xff},
    {0xbf, 0x63, 0x46, 0x75, 0x6e, 0xf5, 0x63, 0x41, 0x6d, 0x74, 0x21, 0xff},
};

Status ReadOne(const Bytes& bytes, CborValue* out) {
  CborReader reader(bytes.data(), bytes.size());
  return reader.Read(out);
}

TEST(CborWriter, EncodesRfcUnsignedIntegersMinimally) {
  for (const UintVector& v : kUintVectors) {
    uint8_t buf[16];
    CborWriter w(buf, sizeof(buf));
    w.Uint(v.value);
    ASSERT_TRUE(w.status().ok());
    EXPECT_EQ(Bytes(buf, buf + w.size()), v.encoded) << v.value;
  }
}

TEST(CborWriter, EncodesRfcNegativeIntegers) {
  for (const IntVector& v : kIntVectors) {
    uint8_t buf[16];
    CborWriter w(buf, sizeof(buf));
    w.Int(v.value);
    ASSERT_TRUE(w.status().ok());
    EXPECT_EQ(Bytes(buf, buf + w.size()), v.encoded) << v.value;
  }
  uint8_t buf[4];
  CborWriter w(buf, sizeof(buf));
  w.Int(1000);
  EXPECT_EQ(Bytes(buf, buf + w.size()), (Bytes{0x19, 0x03, 0xe8}));
}

TEST(CborWriter, EncodesRfcSimpleStringsAndContainers) {
  uint8_t buf[64];
  const uint8_t b4[] = {1, 2, 3, 4};
  struct Case {
    void (*write)(CborWriter&, const uint8_t*);
    Bytes expected;
  } cases[] = {
      {[](CborWriter& w, const uint8_t*) { w.Bool(true); }, {0xf5}},
      {[](CborWriter& w, const uint8_t*) { w.Bool(false); }, {0xf4}},
      {[](CborWriter& w, const uint8_t*) { w.Null(); }, {0xf6}},
      {[](CborWriter& w, const uint8_t*) { w.Text(""); }, {0x60}},
      {[](CborWriter& w, const uint8_t*) { w.Text("a"); }, {0x61, 0x61}},
      {[](CborWriter& w, const uint8_t*) { w.Text("IETF"); }, {0x64, 0x49, 0x45, 0x54, 0x46}},
      {[](CborWriter& w, const uint8_t*) { w.Bytes(nullptr, 0); }, {0x40}},
      {[](CborWriter& w, const uint8_t* b) { w.Bytes(b, 4); }, {0x44, 0x01, 0x02, 0x03, 0x04}},
      {[](CborWriter& w, const uint8_t*) { w.BeginArray(0); }, {0x80}},
      {[](CborWriter& w, const uint8_t*) { w.BeginMap(0); }, {0xa0}},
      {[](CborWriter& w, const uint8_t*) { w.BeginArray(3).Uint(1).Uint(2).Uint(3); },
       {0x83, 0x01, 0x02, 0x03}},
      {[](CborWriter& w, const uint8_t*) {
         w.BeginMap(2).Key("a").Uint(1).Key("b").BeginArray(2).Uint(2).Uint(3);
       },
       {0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03}},
      {[](CborWriter& w, const uint8_t*) {
         w.BeginArray(2).Text("a").BeginMap(1).Key("b").Text("c");
       },
       {0x82, 0x61, 0x61, 0xa1, 0x61, 0x62, 0x61, 0x63}},
      // The research doc's echo payload {"d":"hello"}.
      {[](CborWriter& w, const uint8_t*) { w.BeginMap(1).Key("d").Text("hello"); },
       {0xa1, 0x61, 0x64, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f}},
      // A 24-byte string takes a one-byte length.
      {[](CborWriter& w, const uint8_t*) { w.Text("abcdefghijklmnopqrstuvwx"); },
       {0x78, 0x18, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k',
        'l',  'm',  'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x'}},
  };
  for (const Case& c : cases) {
    CborWriter w(buf, sizeof(buf));
    c.write(w, b4);
    ASSERT_TRUE(w.status().ok());
    EXPECT_EQ(Bytes(buf, buf + w.size()), c.expected);
  }
}

TEST(CborWriter, ItemThatDoesNotFitIsNotWrittenAndErrorIsSticky) {
  uint8_t buf[16];
  std::memset(buf, '?', sizeof(buf));
  CborWriter w(buf, 8);
  w.BeginMap(1).Key("d");  // 3 bytes
  EXPECT_TRUE(w.status().ok());
  w.Text("hello");  // 6 more: does not fit in 8
  EXPECT_EQ(w.status(), Status::ResourceExhausted());
  EXPECT_EQ(w.size(), 3u);
  w.Uint(1);  // would fit, but the writer has failed
  EXPECT_EQ(w.size(), 3u);
  for (size_t i = 3; i < sizeof(buf); ++i) EXPECT_EQ(buf[i], '?') << i;
}

TEST(CborWriter, ExactFitSucceeds) {
  uint8_t buf[9];
  CborWriter w(buf, sizeof(buf));
  w.BeginMap(1).Key("d").Text("hello");
  EXPECT_TRUE(w.status().ok());
  EXPECT_EQ(w.size(), 9u);
  CborWriter empty(nullptr, 0);
  empty.Uint(0);
  EXPECT_EQ(empty.status(), Status::ResourceExhausted());
}

TEST(CborReader, DecodesRfcIntegers) {
  for (const UintVector& v : kUintVectors) {
    CborValue value;
    ASSERT_TRUE(ReadOne(v.encoded, &value).ok()) << v.value;
    EXPECT_EQ(value.type, CborType::kUint);
    EXPECT_EQ(value.arg, v.value);
  }
  for (const IntVector& v : kIntVectors) {
    CborValue value;
    ASSERT_TRUE(ReadOne(v.encoded, &value).ok()) << v.value;
    EXPECT_EQ(value.type, CborType::kNegInt);
    int64_t i = 0;
    ASSERT_TRUE(value.GetInt(&i).ok());
    EXPECT_EQ(i, v.value);
  }
  // -18446744073709551616 is well-formed but does not fit in int64_t.
  CborValue value;
  ASSERT_TRUE(ReadOne({0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, &value).ok());
  EXPECT_EQ(value.type, CborType::kNegInt);
  EXPECT_EQ(value.arg, UINT64_MAX);
  int64_t i = 0;
  EXPECT_EQ(value.GetInt(&i), Status::OutOfRange());
  // Non-minimal encodings are still accepted: 0 as 1b 00..00.
  ASSERT_TRUE(ReadOne({0x1b, 0, 0, 0, 0, 0, 0, 0, 0}, &value).ok());
  EXPECT_EQ(value.arg, 0u);
}

TEST(CborReader, DecodesRfcSimpleValuesStringsAndFloats) {
  CborValue v;
  ASSERT_TRUE(ReadOne({0xf5}, &v).ok());
  bool b = false;
  ASSERT_TRUE(v.GetBool(&b).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(ReadOne({0xf4}, &v).ok());
  ASSERT_TRUE(v.GetBool(&b).ok());
  EXPECT_FALSE(b);
  ASSERT_TRUE(ReadOne({0xf6}, &v).ok());
  EXPECT_EQ(v.type, CborType::kNull);
  ASSERT_TRUE(ReadOne({0xf7}, &v).ok());
  EXPECT_EQ(v.type, CborType::kUndefined);
  ASSERT_TRUE(ReadOne({0xf0}, &v).ok());
  EXPECT_EQ(v.type, CborType::kSimple);
  EXPECT_EQ(v.arg, 16u);
  ASSERT_TRUE(ReadOne({0xf8, 0xff}, &v).ok());
  EXPECT_EQ(v.arg, 255u);
  ASSERT_TRUE(ReadOne({0xfa, 0x47, 0xc3, 0x50, 0x00}, &v).ok());  // 100000.0
  EXPECT_EQ(v.type, CborType::kFloat);
  EXPECT_EQ(v.size, 4u);
  EXPECT_EQ(v.arg, 0x47c35000u);

  const Bytes empty_text = {0x60};
  ASSERT_TRUE(ReadOne(empty_text, &v).ok());
  EXPECT_EQ(v.type, CborType::kText);
  EXPECT_EQ(v.size, 0u);
  EXPECT_TRUE(v.TextEquals(""));
  const Bytes a = {0x61, 0x61};
  ASSERT_TRUE(ReadOne(a, &v).ok());
  EXPECT_TRUE(v.TextEquals("a"));
  EXPECT_EQ(v.data, a.data() + 1);  // a view into the input, not a copy
  const Bytes h = {0x44, 0x01, 0x02, 0x03, 0x04};
  ASSERT_TRUE(ReadOne(h, &v).ok());
  EXPECT_EQ(v.type, CborType::kBytes);
  EXPECT_EQ(Bytes(v.data, v.data + v.size), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(v.data, h.data() + 1);
}

TEST(CborReader, DecodesDefiniteAndIndefiniteMapsAlike) {
  const Bytes definite = {0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03};
  const Bytes indefinite = {0xbf, 0x61, 0x61, 0x01, 0x61, 0x62, 0x9f, 0x02, 0x03, 0xff, 0xff};
  for (const Bytes* bytes : {&definite, &indefinite}) {
    CborValue map;
    ASSERT_TRUE(DecodeMap(bytes->data(), bytes->size(), &map).ok());
    EXPECT_EQ(map.type, CborType::kMap);
    EXPECT_EQ(map.arg, 2u);
    uint64_t a = 0;
    ASSERT_TRUE(FindUint(map, "a", &a).ok());
    EXPECT_EQ(a, 1u);
    CborValue b;
    ASSERT_TRUE(FindInMap(map, "b", &b).ok());
    EXPECT_EQ(b.type, CborType::kArray);
    EXPECT_EQ(b.arg, 2u);
    CborReader items = b.items();
    CborValue item;
    ASSERT_TRUE(items.Read(&item).ok());
    EXPECT_EQ(item.arg, 2u);
    ASSERT_TRUE(items.Read(&item).ok());
    EXPECT_EQ(item.arg, 3u);
    EXPECT_TRUE(items.done());
    EXPECT_EQ(items.Read(&item), Status::OutOfRange());
  }
}

TEST(CborReader, CountsIndefiniteContainers) {
  CborValue v;
  ASSERT_TRUE(ReadOne({0x9f, 0x01, 0x82, 0x02, 0x03, 0x9f, 0x04, 0x05, 0xff, 0xff}, &v).ok());
  EXPECT_EQ(v.type, CborType::kArray);
  EXPECT_EQ(v.arg, 3u);
  EXPECT_EQ(v.size, 8u);  // items only, without the head and the break
  ASSERT_TRUE(ReadOne({0x9f, 0xff}, &v).ok());
  EXPECT_EQ(v.arg, 0u);
  EXPECT_TRUE(v.items().done());
}

TEST(CborReader, ReadsEverySupportedRfcItemAndConsumesItExactly) {
  for (const Bytes& item : kValidItems) {
    CborReader reader(item.data(), item.size());
    EXPECT_TRUE(reader.Skip().ok()) << testing::PrintToString(item);
    EXPECT_TRUE(reader.done()) << testing::PrintToString(item);
  }
}

// Upload request {"image":0,"len":1024,"off":0,"sha":h'0102',"data":h'3db8f396',
// "upgrade":false} written out by hand in two key orders, definite and indefinite.
const Bytes kUploadDefinite = {
    0xa6,                                                     // map(6)
    0x63, 'o', 'f', 'f', 0x00,                                // "off": 0
    0x64, 'd', 'a', 't', 'a',  0x44, 0x3d, 0xb8, 0xf3, 0x96,  // "data": h'3db8f396'
    0x63, 'l', 'e', 'n', 0x19, 0x04, 0x00,                    // "len": 1024
    0x65, 'i', 'm', 'a', 'g',  'e',  0x00,                    // "image": 0
    0x63, 's', 'h', 'a', 0x42, 0x01, 0x02,                    // "sha": h'0102'
    0x67, 'u', 'p', 'g', 'r',  'a',  'd',  'e',  0xf4,        // "upgrade": false
};
const Bytes kUploadIndefinite = {
    0xbf,                                                     // map(*)
    0x67, 'u', 'p', 'g', 'r',  'a',  'd',  'e',  0xf4,        // "upgrade": false
    0x63, 's', 'h', 'a', 0x42, 0x01, 0x02,                    // "sha": h'0102'
    0x65, 'i', 'm', 'a', 'g',  'e',  0x00,                    // "image": 0
    0x63, 'l', 'e', 'n', 0x19, 0x04, 0x00,                    // "len": 1024
    0x64, 'd', 'a', 't', 'a',  0x44, 0x3d, 0xb8, 0xf3, 0x96,  // "data"
    0x63, 'o', 'f', 'f', 0x00,                                // "off": 0
    0xff,
};

TEST(CborReader, FindsUploadRequestKeysInAnyOrder) {
  for (const Bytes* bytes : {&kUploadDefinite, &kUploadIndefinite}) {
    CborValue map;
    ASSERT_TRUE(DecodeMap(bytes->data(), bytes->size(), &map).ok());
    EXPECT_EQ(map.arg, 6u);
    uint64_t off = 1, len = 0, image = 1;
    ASSERT_TRUE(FindUint(map, "off", &off).ok());
    ASSERT_TRUE(FindUint(map, "len", &len).ok());
    ASSERT_TRUE(FindUint(map, "image", &image).ok());
    EXPECT_EQ(off, 0u);
    EXPECT_EQ(len, 1024u);
    EXPECT_EQ(image, 0u);
    const uint8_t* data = nullptr;
    size_t data_size = 0;
    ASSERT_TRUE(FindBytes(map, "data", &data, &data_size).ok());
    EXPECT_EQ(Bytes(data, data + data_size), (Bytes{0x3d, 0xb8, 0xf3, 0x96}));
    ASSERT_TRUE(FindBytes(map, "sha", &data, &data_size).ok());
    EXPECT_EQ(data_size, 2u);
    bool upgrade = true;
    ASSERT_TRUE(FindBool(map, "upgrade", &upgrade).ok());
    EXPECT_FALSE(upgrade);

    EXPECT_EQ(FindUint(map, "of", &off), Status::NotFound());
    EXPECT_EQ(FindUint(map, "offset", &off), Status::NotFound());
    EXPECT_EQ(FindBytes(map, "off", &data, &data_size), Status::InvalidArgument());
    EXPECT_EQ(FindUint(map, "data", &off), Status::InvalidArgument());
    const char* text = nullptr;
    EXPECT_EQ(FindText(map, "sha", &text, &data_size), Status::InvalidArgument());
  }
}

TEST(CborReader, FindInMapRefusesNonMaps) {
  CborValue array;
  ASSERT_TRUE(ReadOne({0x82, 0x61, 0x61, 0x01}, &array).ok());
  CborValue out;
  EXPECT_EQ(FindInMap(array, "a", &out), Status::InvalidArgument());
}

TEST(CborReader, DecodeMapRefusesNonMapsTrailingBytesAndEmptyInput) {
  CborValue map;
  const Bytes array = {0x80};
  EXPECT_EQ(DecodeMap(array.data(), array.size(), &map), Status::DataLoss());
  const Bytes trailing = {0xa0, 0x00};
  EXPECT_EQ(DecodeMap(trailing.data(), trailing.size(), &map), Status::DataLoss());
  EXPECT_EQ(DecodeMap(nullptr, 0, &map), Status::DataLoss());
}

TEST(CborReader, EveryTruncationOfEveryValidItemIsDataLoss) {
  std::vector<Bytes> items(std::begin(kValidItems), std::end(kValidItems));
  items.push_back(kUploadDefinite);
  items.push_back(kUploadIndefinite);
  for (const Bytes& item : items) {
    for (size_t len = 1; len < item.size(); ++len) {
      // A copy of exactly `len` bytes, so ASan would see any read past the end.
      const Bytes prefix(item.begin(), item.begin() + static_cast<std::ptrdiff_t>(len));
      CborReader reader(prefix.data(), prefix.size());
      CborValue v;
      EXPECT_EQ(reader.Read(&v), Status::DataLoss())
          << testing::PrintToString(item) << " len " << len;
      EXPECT_EQ(reader.position(), 0u);  // the reader did not move
    }
    CborReader empty(item.data(), 0);
    CborValue v;
    EXPECT_EQ(empty.Read(&v), Status::OutOfRange());
  }
}

TEST(CborReader, HugeLengthsAreDataLossNotOverflow) {
  const uint8_t ff8[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  for (uint8_t initial : {0x5b, 0x7b, 0x9b, 0xbb}) {  // bytes, text, array, map with 2^64-1
    Bytes bytes = {initial};
    bytes.insert(bytes.end(), std::begin(ff8), std::end(ff8));
    bytes.push_back(0x00);
    CborValue v;
    EXPECT_EQ(ReadOne(bytes, &v), Status::DataLoss()) << int{initial};
  }
  // One byte more than what remains; 2^32-1 and 2^63 lengths.
  CborValue v;
  EXPECT_EQ(ReadOne({0x44, 0x01, 0x02, 0x03}, &v), Status::DataLoss());
  EXPECT_EQ(ReadOne({0x7a, 0xff, 0xff, 0xff, 0xff, 'a'}, &v), Status::DataLoss());
  EXPECT_EQ(ReadOne({0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 'a'}, &v), Status::DataLoss());
  // A map announcing more pairs than the bytes could hold.
  EXPECT_EQ(ReadOne({0xa2, 0x01, 0x02, 0x03}, &v), Status::DataLoss());
}

TEST(CborReader, MalformedItemsAreDataLoss) {
  const Bytes malformed[] = {
      {0xff},              // break outside an indefinite container
      {0x81, 0xff},        // break inside a definite array
      {0x1c},              // reserved additional information 28
      {0x3d},              // 29
      {0x5e},              // 30
      {0x1f},              // indefinite unsigned integer
      {0x3f},              // indefinite negative integer
      {0xf8, 0x10},        // two-byte simple value below 32
      {0xbf, 0x01, 0xff},  // indefinite map with a key and no value
      {0x9f, 0x01},        // indefinite array without its break
  };
  for (const Bytes& bytes : malformed) {
    CborValue v;
    EXPECT_EQ(ReadOne(bytes, &v), Status::DataLoss()) << testing::PrintToString(bytes);
  }
}

TEST(CborReader, TagsAndIndefiniteStringsAreUnimplemented) {
  CborValue v;
  EXPECT_EQ(ReadOne({0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0}, &v), Status::Unimplemented());
  EXPECT_EQ(ReadOne({0x5f, 0x42, 0x01, 0x02, 0x43, 0x03, 0x04, 0x05, 0xff}, &v),
            Status::Unimplemented());
  EXPECT_EQ(ReadOne({0x7f, 0x61, 0x61, 0xff}, &v), Status::Unimplemented());
  EXPECT_EQ(ReadOne({0x81, 0xc1, 0x00}, &v), Status::Unimplemented());  // nested
}

Bytes Nested(size_t depth, uint8_t open, bool indefinite) {
  Bytes b(depth, open);
  b.push_back(0x00);
  if (indefinite) b.insert(b.end(), depth, 0xff);
  return b;
}

TEST(CborReader, NestingUpToTheLimitIsAcceptedAndBeyondIsRefused) {
  CborValue v;
  // kCborMaxDepth arrays: 81 81 ... 81 00.
  EXPECT_TRUE(ReadOne(Nested(kCborMaxDepth, 0x81, false), &v).ok());
  EXPECT_TRUE(ReadOne(Nested(kCborMaxDepth, 0x9f, true), &v).ok());
  EXPECT_EQ(ReadOne(Nested(kCborMaxDepth + 1, 0x81, false), &v), Status::ResourceExhausted());
  EXPECT_EQ(ReadOne(Nested(kCborMaxDepth + 1, 0x9f, true), &v), Status::ResourceExhausted());
  // Very deep input is refused without recursing.
  EXPECT_EQ(ReadOne(Nested(100000, 0x9f, true), &v), Status::ResourceExhausted());
  // Maps count too: {"a": {"a": ...}}.
  Bytes maps;
  for (size_t i = 0; i <= kCborMaxDepth; ++i) maps.insert(maps.end(), {0xa1, 0x61, 0x61});
  maps.push_back(0x00);
  EXPECT_EQ(ReadOne(maps, &v), Status::ResourceExhausted());
}

TEST(CborReader, ReadsASequenceOfItems) {
  const Bytes seq = {0x01, 0x61, 0x61, 0xa0, 0xf5};
  CborReader reader(seq.data(), seq.size());
  CborValue v;
  ASSERT_TRUE(reader.Read(&v).ok());
  EXPECT_EQ(v.type, CborType::kUint);
  ASSERT_TRUE(reader.Read(&v).ok());
  EXPECT_EQ(v.type, CborType::kText);
  ASSERT_TRUE(reader.Read(&v).ok());
  EXPECT_EQ(v.type, CborType::kMap);
  ASSERT_TRUE(reader.Skip().ok());
  EXPECT_TRUE(reader.done());
}

TEST(CborRoundTrip, WriterOutputReadsBack) {
  uint8_t buf[64];
  const uint8_t sha[4] = {9, 8, 7, 6};
  CborWriter w(buf, sizeof(buf));
  w.BeginMap(4).Key("off").Uint(70000).Key("rc").Int(-5).Key("sha").Bytes(sha, 4).Key("ok").Bool(
      true);
  ASSERT_TRUE(w.status().ok());
  CborValue map;
  ASSERT_TRUE(DecodeMap(w.data(), w.size(), &map).ok());
  uint64_t off = 0;
  int64_t rc = 0;
  bool ok = false;
  ASSERT_TRUE(FindUint(map, "off", &off).ok());
  ASSERT_TRUE(FindInt(map, "rc", &rc).ok());
  ASSERT_TRUE(FindBool(map, "ok", &ok).ok());
  EXPECT_EQ(off, 70000u);
  EXPECT_EQ(rc, -5);
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace edge::smp
