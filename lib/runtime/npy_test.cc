// .npy reading and writing against files NumPy wrote (tests/fixtures/npy/make_npy_fixtures.py
// documents every fixture's dtype, shape and values), plus malformed inputs.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/host_tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kDir = EDGE_SOURCE_DIR "/tests/fixtures/npy/";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kDir + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HostTensor Load(const std::string& name) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + name);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : HostTensor{};
}

std::vector<float> Floats(const HostTensor& t) {
  EXPECT_EQ(t.dtype, DType::kF32);
  return std::vector<float>(t.f32(), t.f32() + t.elements());
}

std::vector<int32_t> Ints(const HostTensor& t) {
  EXPECT_EQ(t.dtype, DType::kI32);
  const auto* p = reinterpret_cast<const int32_t*>(t.data.data());
  return std::vector<int32_t>(p, p + t.elements());
}

std::vector<int8_t> Bytes(const HostTensor& t) {
  EXPECT_EQ(t.dtype, DType::kI8);
  const auto* p = reinterpret_cast<const int8_t*>(t.data.data());
  return std::vector<int8_t>(p, p + t.elements());
}

// The error message of parsing `bytes`, or "" if it parsed.
std::string ErrorOf(const std::string& bytes) {
  absl::StatusOr<HostTensor> t = ParseNpy(bytes, "test.npy");
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("test.npy")) << "errors name the file";
  return std::string(t.status().message());
}

// A version 1.0 file with the given header text (padded as numpy does) and data.
std::string V1(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string F32Bytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// --- Files written by numpy are read back exactly -----------------------------------------

TEST(ReadNpy, Float32MatrixIsReadAsIs) {
  HostTensor t = Load("f4_2x3.npy");
  EXPECT_THAT(t.shape, ElementsAre(2, 3));
  EXPECT_THAT(Floats(t), ElementsAre(-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f));
}

TEST(ReadNpy, Float64IsConvertedToFloat32) {
  HostTensor t = Load("f8_2x3.npy");
  EXPECT_THAT(t.shape, ElementsAre(2, 3));
  std::vector<float> want;
  for (int i = 0; i < 6; ++i) want.push_back(static_cast<float>(i * 0.1 - 0.25));
  EXPECT_THAT(Floats(t), ElementsAreArray(want));
}

TEST(ReadNpy, Int32IsReadAsIs) {
  HostTensor t = Load("i4_5.npy");
  EXPECT_THAT(t.shape, ElementsAre(5));
  EXPECT_THAT(Ints(t), ElementsAre(-2000, -1000, 0, 1000, 2000));
}

TEST(ReadNpy, Int64InRangeIsConvertedToInt32) {
  HostTensor t = Load("i8_4.npy");
  EXPECT_THAT(t.shape, ElementsAre(4));
  EXPECT_THAT(Ints(t), ElementsAre(INT32_MIN, -1, 0, INT32_MAX));
}

TEST(ReadNpy, Int64OutOfInt32RangeIsRefusedNamingTheElement) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + "i8_too_big.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("element 1 = 2147483648"));
  EXPECT_THAT(t.status().message(), HasSubstr("i8_too_big.npy"));
}

TEST(ReadNpy, SmallIntegerTypesAndBoolBecomeInt32) {
  EXPECT_THAT(Ints(Load("i2_3.npy")), ElementsAre(-32768, 0, 32767));
  HostTensor u1 = Load("u1_2x2.npy");
  EXPECT_THAT(u1.shape, ElementsAre(2, 2));
  EXPECT_THAT(Ints(u1), ElementsAre(0, 1, 128, 255));
  EXPECT_THAT(Ints(Load("b1_4.npy")), ElementsAre(1, 0, 0, 1));
  EXPECT_THAT(Ints(Load("u8_3.npy")), ElementsAre(0, 7, INT32_MAX));
}

TEST(ReadNpy, Int8IsReadAsIs) {
  HostTensor t = Load("i1_6.npy");
  EXPECT_THAT(t.shape, ElementsAre(6));
  EXPECT_THAT(Bytes(t), ElementsAre(-128, -1, 0, 1, 2, 127));
}

TEST(ReadNpy, ScalarHasEmptyShapeAndOneElement) {
  HostTensor t = Load("scalar_f4.npy");
  EXPECT_THAT(t.shape, IsEmpty());
  EXPECT_EQ(t.elements(), 1);
  EXPECT_THAT(Floats(t), ElementsAre(3.25f));
}

TEST(ReadNpy, EmptyArrayHasZeroElements) {
  HostTensor t = Load("empty_0x3.npy");
  EXPECT_THAT(t.shape, ElementsAre(0, 3));
  EXPECT_EQ(t.elements(), 0);
  EXPECT_TRUE(t.data.empty());
}

TEST(ReadNpy, ThreeDimensionalArrayIsCOrder) {
  HostTensor t = Load("f4_2x3x4.npy");
  EXPECT_THAT(t.shape, ElementsAre(2, 3, 4));
  std::vector<float> want;
  for (int i = 0; i < 24; ++i) want.push_back(static_cast<float>(i - 12));
  EXPECT_THAT(Floats(t), ElementsAreArray(want));
}

TEST(ReadNpy, FormatVersions2And3AreRead) {
  for (const char* name : {"v2_f4_3.npy", "v3_f4_3.npy"}) {
    HostTensor t = Load(name);
    EXPECT_THAT(t.shape, ElementsAre(3)) << name;
    EXPECT_THAT(Floats(t), ElementsAre(1.0f, 2.0f, 3.0f)) << name;
  }
}

TEST(ReadNpy, MissingFileIsNotFoundAndNamesThePath) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + "no_such_file.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(t.status().message(), HasSubstr("no_such_file.npy"));
}

// --- Unsupported layouts and types are refused with a message that says why --------------

TEST(ReadNpy, FortranOrderIsRefused) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + "fortran_f4_2x3.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("Fortran-order"));
}

TEST(ParseNpy, FortranOrderOfAVectorIsTheSameLayoutAndIsAccepted) {
  absl::StatusOr<HostTensor> t = ParseNpy(
      V1("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2, 1), }", F32Bytes({1, 2})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Floats(*t), ElementsAre(1.0f, 2.0f));
}

TEST(ReadNpy, BigEndianIsRefused) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + "be_f4_3.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("big-endian"));
  EXPECT_THAT(t.status().message(), HasSubstr("'>f4'"));
}

TEST(ReadNpy, ComplexIsRefusedNamingTheDtype) {
  absl::StatusOr<HostTensor> t = ReadNpy(kDir + "c8_2.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("unsupported .npy dtype '<c8'"));
}

TEST(ParseNpy, StructuredDtypeIsRefused) {
  EXPECT_THAT(
      ErrorOf(V1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "xxxx")),
      HasSubstr("structured"));
}

TEST(ParseNpy, MoreThanEightDimensionsIsRefused) {
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }",
                         F32Bytes({1}))),
              HasSubstr("9 dimensions"));
}

// --- Header syntax: any key order and spacing ---------------------------------------------

TEST(ParseNpy, KeysInAnyOrderWithOddSpacingAndQuotes) {
  absl::StatusOr<HostTensor> t = ParseNpy(
      V1("{ \"shape\" :(2 ,1,) ,'fortran_order':False,'descr':\"<f4\"}", F32Bytes({4.0f, 5.0f})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->shape, ElementsAre(2, 1));
  EXPECT_THAT(Floats(*t), ElementsAre(4.0f, 5.0f));
}

TEST(ParseNpy, Python2LongSuffixInShapeIsAccepted) {
  absl::StatusOr<HostTensor> t =
      ParseNpy(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", F32Bytes({1, 2})));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->shape, ElementsAre(2));
}

TEST(ParseNpy, MalformedHeadersAreRefusedWithTheProblem) {
  const std::string d = F32Bytes({1, 2});
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False}", d)),
              HasSubstr("missing key 'shape'"));
  EXPECT_THAT(ErrorOf(V1("{'fortran_order': False, 'shape': (2,)}", d)),
              HasSubstr("missing key 'descr'"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'shape': (2,)}", d)),
              HasSubstr("missing key 'fortran_order'"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", d)),
              HasSubstr("unexpected key 'x'"));
  EXPECT_THAT(
      ErrorOf(V1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", d)),
      HasSubstr("duplicate key 'descr'"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", d)),
              HasSubstr("True or False"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", d)),
              HasSubstr("non-negative integer"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", d)),
              HasSubstr("trailing comma"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", d)),
              HasSubstr("expected ',' or '}'"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", d)),
              HasSubstr("after '}'"));
  EXPECT_THAT(ErrorOf(V1("{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}", d)),
              HasSubstr("expected ':'"));
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,)}", d)),
              HasSubstr("does not fit in int32"));
}

// --- Framing errors ------------------------------------------------------------------------

TEST(ParseNpy, BadMagicIsRefused) {
  std::string bytes = ReadFixture("f4_2x3.npy");
  bytes[1] = 'n';
  EXPECT_THAT(ErrorOf(bytes), HasSubstr("not a .npy file"));
  EXPECT_THAT(ErrorOf("PK\x03\x04 a zip file"), HasSubstr("not a .npy file"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("not a .npy file"));
}

TEST(ParseNpy, UnknownVersionIsRefused) {
  std::string bytes = ReadFixture("f4_2x3.npy");
  bytes[6] = 4;
  EXPECT_THAT(ErrorOf(bytes), HasSubstr("version 4.0"));
}

TEST(ParseNpy, TruncatedDataSaysHowManyBytesAreMissing) {
  std::string bytes = ReadFixture("f4_2x3.npy");
  bytes.resize(bytes.size() - 3);
  EXPECT_THAT(ErrorOf(bytes), HasSubstr("truncated .npy data: shape (2, 3) of '<f4' needs 24 "
                                        "bytes, the file has 21"));
}

TEST(ParseNpy, TruncatedHeaderIsRefused) {
  std::string bytes = ReadFixture("f4_2x3.npy");
  bytes.resize(40);
  EXPECT_THAT(ErrorOf(bytes), HasSubstr("truncated .npy header"));
}

TEST(ParseNpy, TrailingBytesAfterTheDataAreRefused) {
  EXPECT_THAT(ErrorOf(ReadFixture("f4_2x3.npy") + "xy"), HasSubstr("2 bytes after the data"));
}

TEST(ParseNpy, HugeShapeDoesNotOverflowAndIsReportedAsTruncated) {
  EXPECT_THAT(ErrorOf(V1("{'descr': '<f8', 'fortran_order': False, 'shape': "
                         "(2147483647, 2147483647, 2147483647, 2147483647), }",
                         "")),
              HasSubstr("truncated .npy data"));
}

TEST(ParseNpy, EveryTruncationOfEveryFixtureIsAnError) {
  for (const char* name : {"f4_2x3.npy", "v2_f4_3.npy", "scalar_f4.npy", "i8_4.npy"}) {
    const std::string bytes = ReadFixture(name);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(ParseNpy(bytes.substr(0, n)).ok()) << name << " cut at " << n;
    }
  }
}

TEST(ParseNpy, FlippingAnyByteNeverCrashes) {
  const std::string good = ReadFixture("f4_2x3x4.npy");
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(bytes[i] ^ (1 << bit));
      absl::StatusOr<HostTensor> t = ParseNpy(bytes);
      if (t.ok()) {
        EXPECT_EQ(t->data.size(), static_cast<size_t>(t->elements()) * DTypeSize(t->dtype));
      }
    }
  }
}

// --- The writer produces exactly what np.save produces ------------------------------------

HostTensor MakeF32(std::vector<int32_t> shape, float (*fn)(int)) {
  HostTensor t = HostTensor::Zeros(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.elements(); ++i) t.f32()[i] = fn(static_cast<int>(i));
  return t;
}

TEST(EncodeNpy, MatchesNumpySaveByteForByte) {
  struct Case {
    const char* fixture;
    HostTensor tensor;
  };
  HostTensor i4 = HostTensor::Zeros(DType::kI32, {4});
  const int32_t i4_values[] = {-1, 0, 1, 123456};
  std::memcpy(i4.data.data(), i4_values, sizeof(i4_values));
  HostTensor i1 = HostTensor::Zeros(DType::kI8, {2, 2});
  const int8_t i1_values[] = {-128, -1, 1, 127};
  std::memcpy(i1.data.data(), i1_values, sizeof(i1_values));

  std::vector<Case> cases;
  cases.push_back({"save_f4_2x3.npy", MakeF32({2, 3}, [](int i) { return i * 0.5f - 1; })});
  cases.push_back({"save_i4_4.npy", i4});
  cases.push_back({"save_i1_2x2.npy", i1});
  cases.push_back({"save_scalar_f4.npy", MakeF32({}, [](int) { return 3.25f; })});
  cases.push_back({"save_empty_0.npy", HostTensor::Zeros(DType::kF32, {0})});
  cases.push_back({"save_f4_1x2x3x4.npy", MakeF32({1, 2, 3, 4}, [](int i) { return i - 12.0f; })});
  cases.push_back({"save_f4_7x1.npy", MakeF32({7, 1}, [](int i) { return float(i); })});
  for (const Case& c : cases) {
    const std::string bytes = EncodeNpy(c.tensor);
    EXPECT_EQ(bytes, ReadFixture(c.fixture)) << c.fixture;
    EXPECT_EQ((bytes.size() - c.tensor.data.size()) % 64, 0u) << "data is 64-byte aligned";
  }
}

TEST(WriteNpy, RoundTripsThroughAFile) {
  HostTensor t = MakeF32({3, 1, 2}, [](int i) { return std::sqrt(float(i)); });
  const std::string path = ::testing::TempDir() + "/npy_test_roundtrip.npy";
  ASSERT_TRUE(WriteNpy(path, t).ok());
  absl::StatusOr<HostTensor> back = ReadNpy(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dtype, DType::kF32);
  EXPECT_EQ(back->shape, t.shape);
  EXPECT_EQ(back->data, t.data);
  std::remove(path.c_str());
}

TEST(WriteNpy, InconsistentDataSizeIsRefused) {
  HostTensor t = HostTensor::Zeros(DType::kF32, {2, 2});
  t.data.resize(12);
  absl::Status s = WriteNpy(::testing::TempDir() + "/npy_test_bad.npy", t);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(WriteNpy, UnwritablePathIsAnError) {
  EXPECT_FALSE(WriteNpy("/nonexistent-dir/x.npy", HostTensor::Zeros(DType::kF32, {1})).ok());
}

// Our output is read by numpy itself, when the test machine has it.
TEST(WriteNpy, NumpyLoadsWhatWeWrite) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  }
  const std::string path = ::testing::TempDir() + "/npy_test_numpy.npy";
  ASSERT_TRUE(WriteNpy(path, MakeF32({2, 5}, [](int i) { return i * 0.25f; })).ok());
  const std::string cmd =
      absl::StrCat("/usr/bin/python3 -c \"import numpy as np, sys; a = np.load('", path,
                   "'); sys.exit(0 if a.dtype == np.float32 and a.shape == (2, 5) and "
                   "(a.ravel() == np.arange(10) * 0.25).all() else 1)\"");
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::remove(path.c_str());
}

// --- HostTensor helpers --------------------------------------------------------------------

TEST(HostTensor, ZerosViewAndFromTensorRoundTrip) {
  HostTensor t = HostTensor::Zeros(DType::kI32, {2, 3});
  EXPECT_EQ(t.elements(), 6);
  EXPECT_EQ(t.data, std::string(24, '\0'));
  Tensor v = t.view();
  EXPECT_TRUE(v.present);
  EXPECT_EQ(v.dtype, DType::kI32);
  EXPECT_EQ(v.shape.rank, 2);
  EXPECT_EQ(v.shape.dims[0], 2);
  EXPECT_EQ(v.shape.dims[1], 3);
  EXPECT_EQ(v.data, static_cast<void*>(t.data.data()));
  v.i32()[4] = 42;  // the view aliases the tensor
  HostTensor copy = HostTensor::FromTensor(v);
  EXPECT_EQ(copy.dtype, DType::kI32);
  EXPECT_EQ(copy.shape, t.shape);
  EXPECT_THAT(Ints(copy), ElementsAre(0, 0, 0, 0, 42, 0));
}

TEST(HostTensor, ScalarHasOneElement) {
  HostTensor t = HostTensor::Zeros(DType::kF32, {});
  EXPECT_EQ(t.elements(), 1);
  EXPECT_EQ(t.data.size(), 4u);
  EXPECT_EQ(t.view().shape.rank, 0);
}

}  // namespace
}  // namespace edge::runtime
