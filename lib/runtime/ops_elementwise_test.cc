// Kernel tests for ops_elementwise.cc: Copy, broadcasting binary ops, unary ops, Softmax and
// Expand. Each test runs PrepareOp/EvalOp through the dispatch table (op_test_util.h). Expected
// values are hand-computed unless a comment says they were computed with numpy 1.24
// (/usr/bin/python3, float64 on the float32 inputs, then rounded to float32) and pasted in.
#include <gtest/gtest.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "edge/runtime/internal/op_context.h"
#include "op_test_util.h"

namespace edge::runtime {
namespace {

using ::edge::runtime::testing::ExpectNear;
using ::edge::runtime::testing::MakeShape;
using ::edge::runtime::testing::OpHarness;
using efm::OpType;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

OpHarness::OptionsFn Unary(float alpha, float beta) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateUnaryOptions(fbb, alpha, beta).Union();
  };
}

OpHarness::OptionsFn Axis(int axis, bool legacy) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateAxisOptions(fbb, axis, legacy).Union();
  };
}

// Prepare, then Eval with the optimised and with the reference loops; both must give `want`.
template <class T>
void ExpectBothPaths(OpHarness& h, const std::vector<T>& want) {
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  for (bool reference : {false, true}) {
    SCOPED_TRACE(reference ? "reference loops" : "optimised loops");
    ASSERT_EQ(h.Eval(reference), OkStatus()) << h.message();
    if constexpr (std::is_same_v<T, float>) {
      ExpectNear(h.Result<float>(0), want, 0.0f, 1e-6f);  // one rounding per element
    } else {
      EXPECT_EQ(h.Result<T>(0), want);
    }
  }
}

// -2.5 .. 8.5 in steps of 0.5, shape [2,3,4].
std::vector<float> Ramp24() {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
  return v;
}

// ---- Copy ----

TEST(Copy, CopiesAnyDtypeAcrossShapesWithEqualElementCount) {
  OpHarness h(OpType::Copy);
  h.In<int32_t>({2, 3}, {1, -2, 3, INT32_MIN, 5, INT32_MAX}).Out<int32_t>({3, 1, 2});
  ExpectBothPaths<int32_t>(h, {1, -2, 3, INT32_MIN, 5, INT32_MAX});
}

TEST(Copy, PrepareRejectsDifferentElementCount) {
  OpHarness h(OpType::Copy);
  h.In<float>({2, 3}, std::vector<float>(6)).Out<float>({7});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (Copy 'node'): input shape [2,3] and output shape [7] have different element "
            "counts");
}

TEST(Copy, PrepareRejectsDtypeChange) {
  OpHarness h(OpType::Copy);
  h.In<float>({2}, {1, 2}).Out<int32_t>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (Copy 'node'): input is f32 but output is i32");
}

// ---- Binary: broadcasting ----

TEST(Binary, SameShape) {
  OpHarness h(OpType::Add);
  h.In<float>({2, 3}, {1, 2, 3, 4, 5, 6}).In<float>({2, 3}, {10, 20, 30, 40, 50, 60});
  h.Out<float>({2, 3});
  ExpectBothPaths<float>(h, {11, 22, 33, 44, 55, 66});
}

TEST(Binary, ScalarLeftOperand) {
  OpHarness h(OpType::Sub);
  h.In<float>(MakeShape({}), {10}).In<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Out<float>({2, 3});
  ExpectBothPaths<float>(h, {9, 8, 7, 6, 5, 4});
}

TEST(Binary, ScalarRightOperandOfShapeOne) {
  OpHarness h(OpType::Div);
  h.In<float>({2, 2}, {1, 2, 3, 4}).In<float>({1}, {4}).Out<float>({2, 2});
  ExpectBothPaths<float>(h, {0.25f, 0.5f, 0.75f, 1.0f});
}

TEST(Binary, InnermostVectorBroadcastsOverRows) {
  // numpy: a * [1, -2, 0.5, 4], a = Ramp24 as [2,3,4]
  OpHarness h(OpType::Mul);
  h.In<float>({2, 3, 4}, Ramp24()).In<float>({4}, {1, -2, 0.5f, 4}).Out<float>({2, 3, 4});
  ExpectBothPaths<float>(
      h, {-3.0f, 5.0f,  -1.0f, -6.0f, -1.0f, 1.0f,   0.0f, 2.0f,  1.0f, -3.0f,  1.0f, 10.0f,
          3.0f,  -7.0f, 2.0f,  18.0f, 5.0f,  -11.0f, 3.0f, 26.0f, 7.0f, -15.0f, 4.0f, 34.0f});
}

TEST(Binary, OneValuePerRowBroadcastsAlongInnermostAxis) {
  // numpy: a - [[[1],[2],[3]],[[4],[5],[6]]]
  OpHarness h(OpType::Sub);
  h.In<float>({2, 3, 4}, Ramp24()).In<float>({2, 3, 1}, {1, 2, 3, 4, 5, 6});
  h.Out<float>({2, 3, 4});
  ExpectBothPaths<float>(
      h, {-4.0f, -3.5f, -3.0f, -2.5f, -3.0f, -2.5f, -2.0f, -1.5f, -2.0f, -1.5f, -1.0f, -0.5f,
          -1.0f, -0.5f, 0.0f,  0.5f,  0.0f,  0.5f,  1.0f,  1.5f,  1.0f,  1.5f,  2.0f,  2.5f});
}

TEST(Binary, BothOperandsBroadcast) {
  // [2,1,4] + [3,1] -> [2,3,4]; numpy: x + y
  OpHarness h(OpType::Add);
  h.In<float>({2, 1, 4}, {1, 2, 3, 4, 5, 6, 7, 8}).In<float>({3, 1}, {10, 20, 30});
  h.Out<float>({2, 3, 4});
  ExpectBothPaths<float>(h, {11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34,
                             15, 16, 17, 18, 25, 26, 27, 28, 35, 36, 37, 38});
}

TEST(Binary, MiddleAxisBroadcast) {
  // [2,3,2] * [2,1,2]: the per-channel operand repeats along the middle axis.
  OpHarness h(OpType::Mul);
  h.In<float>({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
      .In<float>({2, 1, 2}, {1, 10, 100, 1000})
      .Out<float>({2, 3, 2});
  ExpectBothPaths<float>(h, {1, 20, 3, 40, 5, 60, 700, 8000, 900, 10000, 1100, 12000});
}

TEST(Binary, RankZeroOperands) {
  OpHarness h(OpType::Max);
  h.In<float>(MakeShape({}), {2}).In<float>(MakeShape({}), {3}).Out<float>(MakeShape({}));
  ExpectBothPaths<float>(h, {3});
}

TEST(Binary, EmptyOutputWritesNothing) {
  OpHarness h(OpType::Add);
  h.In<float>({0, 3}, {}).In<float>({3}, {1, 2, 3}).Out<float>({0, 3});
  ExpectBothPaths<float>(h, {});
}

// ---- Binary: each op ----

TEST(Binary, F32Ops) {
  const std::vector<float> a = {6, -7, 1, 0, -2, 4, 2, -0.5f};
  const std::vector<float> b = {4, 2, 0, 0, 3, 0.5f, -1, 2};
  struct Case {
    OpType type;
    std::vector<float> want;
  };
  const Case cases[] = {
      {OpType::Add, {10, -5, 1, 0, 1, 4.5f, 1, 1.5f}},
      {OpType::Sub, {2, -9, 1, 0, -5, 3.5f, 3, -2.5f}},
      {OpType::Mul, {24, -14, 0, 0, -6, 2, -2, -1}},
      {OpType::Div, {1.5f, -3.5f, kInf, kNaN, -2.0f / 3.0f, 8, -2, -0.25f}},
      // (-2)^3 = -8 (integral exponent of a negative base), 4^0.5 = 2, 2^-1 = 0.5.
      {OpType::Pow, {1296, 49, 1, 1, -8, 2, 0.5f, 0.25f}},
      {OpType::Min, {4, -7, 0, 0, -2, 0.5f, -1, -0.5f}},
      {OpType::Max, {6, 2, 1, 0, 3, 4, 2, 2}},
      {OpType::PRelu, {6, -14, 1, 0, -6, 4, 2, -1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(OpTypeName(c.type));
    OpHarness h(c.type);
    h.In<float>({8}, a).In<float>({8}, b).Out<float>({8});
    ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
    ASSERT_EQ(h.Eval(), OkStatus());
    ExpectNear(h.Result<float>(0), c.want, 0.0f, 1e-6f);
  }
}

TEST(Binary, PowOfNegativeBaseWithFractionalExponentIsNaN) {
  OpHarness h(OpType::Pow);
  h.In<float>({2}, {-8, 0}).In<float>({2}, {1.0f / 3.0f, -1}).Out<float>({2});
  ASSERT_EQ(h.Prepare(), OkStatus());
  ASSERT_EQ(h.Eval(), OkStatus());
  ExpectNear(h.Result<float>(0), {kNaN, kInf});
}

TEST(Binary, PowTakesI32Exponent) {
  OpHarness h(OpType::Pow);
  h.In<float>({2, 2}, {2, -3, 0.5f, 10}).In<int32_t>({2}, {3, -2}).Out<float>({2, 2});
  ExpectBothPaths<float>(h, {8, 1.0f / 9.0f, 0.125f, 0.01f});
}

TEST(Binary, MinMaxPropagateNaN) {
  for (OpType t : {OpType::Min, OpType::Max}) {
    SCOPED_TRACE(OpTypeName(t));
    OpHarness h(t);
    h.In<float>({3}, {kNaN, 1, kNaN}).In<float>({3}, {1, kNaN, kNaN}).Out<float>({3});
    ASSERT_EQ(h.Prepare(), OkStatus());
    ASSERT_EQ(h.Eval(), OkStatus());
    ExpectNear(h.Result<float>(0), {kNaN, kNaN, kNaN});
  }
}

TEST(Binary, PReluSlopePerChannel) {
  // x [1,3,2] (C = 3), slope [3,1]: one slope per channel.
  OpHarness h(OpType::PRelu);
  h.In<float>({1, 3, 2}, {-1, 1, -2, 2, -4, 0}).In<float>({3, 1}, {0.5f, 0.25f, -1});
  h.Out<float>({1, 3, 2});
  ExpectBothPaths<float>(h, {-0.5f, 1, -0.5f, 2, 4, 0});
}

TEST(Binary, I32ArithmeticWrapsAndDivisionTruncates) {
  const std::vector<int32_t> a = {7, -7, 7, -7, 5, INT32_MIN, INT32_MAX, 0};
  const std::vector<int32_t> b = {2, 2, -2, -2, 0, -1, 1, 0};
  struct Case {
    OpType type;
    std::vector<int32_t> want;
  };
  const Case cases[] = {
      {OpType::Add, {9, -5, 5, -9, 5, INT32_MAX, INT32_MIN, 0}},
      {OpType::Sub, {5, -9, 9, -5, 5, INT32_MIN + 1, INT32_MAX - 1, 0}},
      {OpType::Mul, {14, -14, -14, 14, 0, INT32_MIN, INT32_MAX, 0}},
      // Truncation like C; x / 0 = 0 (defined, no trap); INT32_MIN / -1 wraps.
      {OpType::Div, {3, -3, -3, 3, 0, INT32_MIN, INT32_MAX, 0}},
      {OpType::Min, {2, -7, -2, -7, 0, INT32_MIN, 1, 0}},
      {OpType::Max, {7, 2, 7, -2, 5, -1, INT32_MAX, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(OpTypeName(c.type));
    OpHarness h(c.type);
    h.In<int32_t>({8}, a).In<int32_t>({8}, b).Out<int32_t>({8});
    ExpectBothPaths<int32_t>(h, c.want);
  }
}

TEST(Binary, I32AddWrapsAtTheLimit) {
  OpHarness h(OpType::Add);
  h.In<int32_t>({2}, {INT32_MAX, INT32_MIN}).In<int32_t>(MakeShape({}), {1}).Out<int32_t>({2});
  ExpectBothPaths<int32_t>(h, {INT32_MIN, INT32_MIN + 1});
}

TEST(Binary, PrepareRejectsShapeThatDoesNotBroadcast) {
  OpHarness h(OpType::Add);
  h.In<float>({2, 3, 5}, std::vector<float>(30)).In<float>({3, 4}, std::vector<float>(12));
  h.Out<float>({2, 3, 5});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (Add 'node'): input 1 shape [3,4] does not broadcast to output [2,3,5]");
}

TEST(Binary, PrepareRejectsOutputLargerThanTheBroadcastShape) {
  OpHarness h(OpType::Mul);
  h.In<float>({3}, {1, 2, 3}).In<float>({1}, {2}).Out<float>({2, 3});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (Mul 'node'): output shape [2,3] is not the broadcast of the input shapes [3] "
            "and [1]");
}

TEST(Binary, PrepareRejectsMixedDtypes) {
  OpHarness h(OpType::Add);
  h.In<float>({2}, {1, 2}).In<int32_t>({2}, {1, 2}).Out<float>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (Add 'node'): inputs and output must have one dtype, got f32, i32 -> f32");
}

TEST(Binary, PrepareRejectsI32ForFloatOnlyOps) {
  for (OpType t : {OpType::Pow, OpType::PRelu}) {
    OpHarness h(t);
    h.In<int32_t>({2}, {1, 2}).In<int32_t>({2}, {1, 2}).Out<int32_t>({2});
    EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
    EXPECT_EQ(h.message(), std::string("op 7 (") + OpTypeName(t) +
                               " 'node'): dtype i32 not supported (f32 only)");
  }
}

TEST(Binary, PrepareRejectsPReluSlopeLargerThanX) {
  OpHarness h(OpType::PRelu);
  h.In<float>({3}, {1, 2, 3}).In<float>({2, 3}, std::vector<float>(6)).Out<float>({2, 3});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (PRelu 'node'): output shape [2,3] must equal input 0 shape [3] (the slope "
            "broadcasts to x)");
}

TEST(Binary, PrepareRejectsWrongInputCount) {
  OpHarness h(OpType::Add);
  h.In<float>({2}, {1, 2}).Out<float>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (Add 'node'): expects 2 inputs, got 1");
}

// ---- Unary ----

struct UnaryCase {
  OpType type;
  float alpha;
  float beta;
  std::vector<float> x;
  std::vector<float> want;
};

// The ONNX reference formula of each op, computed with numpy in float64 and rounded to float32.
const std::vector<float> kPoints = {-100, -20, -3.5f, -1, -0.25f, 0, 0.25f, 1, 3.5f, 20, 100};
const std::vector<float> kPositive = {-2, -1, -0.5f, 0, 0.5f, 1, 4, 88, 89, 3.4e38f};
const std::vector<float> kHalves = {-2.5f, -1.5f, -0.5f, -0.0f, 0.5f, 1.5f, 2.5f};

std::vector<UnaryCase> UnaryCases() {
  constexpr float kSeluAlpha = 1.67326319217681884765625f;
  constexpr float kSeluGamma = 1.05070102214813232421875f;
  return {
      {OpType::Relu, 0, 0, kPoints, {0, 0, 0, 0, 0, 0, 0.25f, 1, 3.5f, 20, 100}},
      {OpType::LeakyRelu,
       0.1f,
       0,
       kPoints,
       {-10.0f, -2.0f, -0.349999994f, -0.100000001f, -0.0250000004f, 0.0f, 0.25f, 1.0f, 3.5f, 20.0f,
        100.0f}},
      {OpType::Sigmoid,
       0,
       0,
       kPoints,
       {3.78350585e-44f, 2.06115369e-09f, 0.0293122306f, 0.268941432f, 0.437823504f, 0.5f,
        0.562176526f, 0.731058598f, 0.970687747f, 1.0f, 1.0f}},
      {OpType::Tanh,
       0,
       0,
       kPoints,
       {-1.0f, -1.0f, -0.998177886f, -0.761594176f, -0.244918659f, 0.0f, 0.244918659f, 0.761594176f,
        0.998177886f, 1.0f, 1.0f}},
      {OpType::HardSigmoid,
       0.2f,
       0.5f,
       kPoints,
       {0.0f, 0.0f, 0.0f, 0.300000012f, 0.449999988f, 0.5f, 0.550000012f, 0.699999988f, 1.0f, 1.0f,
        1.0f}},
      {OpType::HardSwish,
       0,
       0,
       kPoints,
       {-0.0f, -0.0f, -0.0f, -0.333333343f, -0.114583336f, 0.0f, 0.135416672f, 0.666666687f, 3.5f,
        20.0f, 100.0f}},
      {OpType::Elu,
       1.0f,
       0,
       kPoints,
       {-1.0f, -1.0f, -0.969802618f, -0.63212055f, -0.221199214f, 0.0f, 0.25f, 1.0f, 3.5f, 20.0f,
        100.0f}},
      {OpType::Selu,
       kSeluAlpha,
       kSeluGamma,
       kPoints,
       {-1.75809932f, -1.75809932f, -1.70500934f, -1.11133075f, -0.388890207f, 0.0f, 0.262675256f,
        1.05070102f, 3.67745352f, 21.0140209f, 105.070099f}},
      {OpType::Softplus,
       0,
       0,
       kPoints,
       {3.78350585e-44f, 2.06115369e-09f, 0.0297504179f, 0.313261688f, 0.575939417f, 0.693147182f,
        0.825939417f, 1.31326163f, 3.52975035f, 20.0f, 100.0f}},
      {OpType::Clip,
       -1.0f,
       2.0f,
       kPoints,
       {-1.0f, -1.0f, -1.0f, -1.0f, -0.25f, 0.0f, 0.25f, 1.0f, 2.0f, 2.0f, 2.0f}},
      // min > max gives max everywhere (numpy.clip, which the ONNX reference uses).
      {OpType::Clip, 1.0f, 0.0f, {-5, 0.5f, 5}, {0, 0, 0}},
      {OpType::Exp,
       0,
       0,
       kPositive,
       {0.135335281f, 0.36787945f, 0.606530666f, 1.0f, 1.64872122f, 2.71828175f, 54.5981483f,
        1.65163627e+38f, kInf, kInf}},
      {OpType::Sqrt,
       0,
       0,
       kPositive,
       {kNaN, kNaN, kNaN, 0.0f, 0.707106769f, 1.0f, 2.0f, 9.38083172f, 9.43398094f,
        1.84390893e+19f}},
      {OpType::Log,
       0,
       0,
       kPositive,
       {kNaN, kNaN, kNaN, -kInf, -0.693147182f, 0.0f, 1.38629436f, 4.47733688f, 4.48863649f,
        88.7220078f}},
      {OpType::Reciprocal,
       0,
       0,
       kPositive,
       {-0.5f, -1.0f, -2.0f, kInf, 2.0f, 1.0f, 0.25f, 0.0113636367f, 0.0112359552f,
        2.94117694e-39f}},
      {OpType::Neg, 0, 0, kHalves, {2.5f, 1.5f, 0.5f, 0.0f, -0.5f, -1.5f, -2.5f}},
      {OpType::Abs, 0, 0, kHalves, {2.5f, 1.5f, 0.5f, 0.0f, 0.5f, 1.5f, 2.5f}},
      {OpType::Floor, 0, 0, kHalves, {-3.0f, -2.0f, -1.0f, -0.0f, 0.0f, 1.0f, 2.0f}},
      {OpType::Ceil, 0, 0, kHalves, {-2.0f, -1.0f, -0.0f, -0.0f, 1.0f, 2.0f, 3.0f}},
      {OpType::Erf,
       0,
       0,
       kPoints,
       {-1.0f, -1.0f, -0.999999285f, -0.842700779f, -0.276326388f, 0.0f, 0.276326388f, 0.842700779f,
        0.999999285f, 1.0f, 1.0f}},
      {OpType::Softsign,
       0,
       0,
       kPoints,
       {-0.990099013f, -0.952380955f, -0.777777791f, -0.5f, -0.200000003f, 0.0f, 0.200000003f, 0.5f,
        0.777777791f, 0.952380955f, 0.990099013f}},
      {OpType::Sin,
       0,
       0,
       kPoints,
       {0.506365657f, -0.912945271f, 0.350783229f, -0.841470957f, -0.247403964f, 0.0f, 0.247403964f,
        0.841470957f, -0.350783229f, 0.912945271f, -0.506365657f}},
      {OpType::Cos,
       0,
       0,
       kPoints,
       {0.862318873f, 0.408082068f, -0.93645668f, 0.540302277f, 0.968912423f, 1.0f, 0.968912423f,
        0.540302277f, -0.93645668f, 0.408082068f, 0.862318873f}},
  };
}

TEST(Unary, EveryOpMatchesTheOnnxReferenceIncludingExtremes) {
  for (const UnaryCase& c : UnaryCases()) {
    SCOPED_TRACE(OpTypeName(c.type));
    OpHarness h(c.type, efm::OpOptions::UnaryOptions, Unary(c.alpha, c.beta));
    const int32_t n = static_cast<int32_t>(c.x.size());
    h.In<float>({1, n}, c.x).Out<float>({1, n});
    ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
    ASSERT_EQ(h.Eval(), OkStatus());
    // Tighter than the ONNX tests' rtol 1e-3 / atol 1e-5: a few float32 ulps.
    ExpectNear(h.Result<float>(0), c.want, 1e-7f, 1e-5f);
  }
}

TEST(Unary, SigmoidIsRelativelyAccurateInTheTailsAndSaturatesWithoutOverflow) {
  OpHarness h(OpType::Sigmoid);
  h.In<float>({6}, {-80, -30, -15, 15, 1e30f, -kInf}).Out<float>({6});
  ASSERT_EQ(h.Prepare(), OkStatus());
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy: 1 / (1 + exp(-x)) in float64
  ExpectNear(h.Result<float>(0),
             {1.80485133e-35f, 9.35762291e-14f, 3.05902233e-07f, 0.999999702f, 1.0f, 0.0f}, 0.0f,
             1e-6f);
}

TEST(Unary, OpsWithoutParametersNeedNoOptions) {
  OpHarness h(OpType::Relu);
  h.In<float>({3}, {-1, 0, 2}).Out<float>({3});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  ExpectNear(h.Result<float>(0), {0, 0, 2});
}

TEST(Unary, PrepareRejectsMissingOptionsWhereParametersMatter) {
  OpHarness h(OpType::LeakyRelu);
  h.In<float>({3}, {-1, 0, 2}).Out<float>({3});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (LeakyRelu 'node'): needs UnaryOptions (alpha/beta)");
}

TEST(Unary, PrepareRejectsShapeChangeAndI32) {
  OpHarness shape(OpType::Exp);
  shape.In<float>({2, 3}, std::vector<float>(6)).Out<float>({3, 2});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(shape.message(),
            "op 7 (Exp 'node'): output shape [3,2] differs from input shape [2,3]");
  OpHarness dtype(OpType::Abs);
  dtype.In<int32_t>({2}, {-1, 1}).Out<int32_t>({2});
  EXPECT_EQ(dtype.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(dtype.message(), "op 7 (Abs 'node'): input 0 is i32, expected f32");
}

// ---- Softmax / LogSoftmax ----

// [2,3,4]; the last row holds large values (stability: exp(1003) overflows float).
const std::vector<float> kSoftmaxX = {1, 2, 3, 4, -1, 0,  1,    2, 0.5f, 0.25f, 0,    -0.25f,
                                      3, 3, 3, 3, 2,  -1, 0.5f, 1, 1000, 1001,  1002, 1003};

TEST(Softmax, Opset13NormalisesAlongTheAxisOnly) {
  OpHarness h(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(1, false));
  h.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy: e = exp(x - x.max(1)); e / e.sum(1)
  ExpectNear(h.Result<float>(0),
             {0.574096978f, 0.763878226f, 0.843794763f, 0.869868159f, 0.0776955783f, 0.103379674f,
              0.114195198f, 0.117723852f, 0.348207414f, 0.132742122f, 0.0420100652f, 0.0124080023f,
              0.0f,         0.0f,         0.0f,         0.0f,         0.0f,          0.0f,
              0.0f,         0.0f,         1.0f,         1.0f,         1.0f,          1.0f},
             1e-7f, 1e-5f);
}

TEST(Softmax, LegacyCoercesToTwoDimensionsAtTheAxis) {
  OpHarness h(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(1, true));
  h.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy: the same on x.reshape(2, 12) along axis 1
  ExpectNear(
      h.Result<float>(0),
      {0.0269196015f, 0.0731750652f, 0.198910445f,  0.540694654f,  0.00364317186f, 0.00990316831f,
       0.0269196015f, 0.0731750652f, 0.0163275637f, 0.0127159189f, 0.00990316831f, 0.0077125947f,
       0.0f,          0.0f,          0.0f,          0.0f,          0.0f,           0.0f,
       0.0f,          0.0f,          0.0320586041f, 0.0871443152f, 0.236882821f,   0.643914282f},
      1e-7f, 1e-5f);
}

TEST(Softmax, FirstAxis) {
  OpHarness h(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(0, false));
  h.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy, along axis 0
  ExpectNear(h.Result<float>(0),
             {0.119202919f, 0.268941432f, 0.5f, 0.731058598f, 0.0474258736f, 0.731058598f,
              0.622459352f, 0.731058598f, 0.0f, 0.0f,         0.0f,          0.0f,
              0.880797088f, 0.731058598f, 0.5f, 0.268941432f, 0.952574134f,  0.268941432f,
              0.377540678f, 0.268941432f, 1.0f, 1.0f,         1.0f,          1.0f},
             1e-7f, 1e-5f);
}

TEST(LogSoftmax, LastAxisIsStableForLargeInputs) {
  OpHarness h(OpType::LogSoftmax, efm::OpOptions::AxisOptions, Axis(2, false));
  h.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy: x - m - log(sum(exp(x - m))) along axis 2
  ExpectNear(
      h.Result<float>(0),
      {-3.4401896f,  -2.4401896f,   -1.44018972f, -0.440189689f, -3.4401896f,   -2.4401896f,
       -1.44018972f, -0.440189689f, -1.0500164f,  -1.3000164f,   -1.5500164f,   -1.8000164f,
       -1.38629436f, -1.38629436f,  -1.38629436f, -1.38629436f,  -0.495181888f, -3.4951818f,
       -1.99518192f, -1.49518192f,  -3.4401896f,  -2.4401896f,   -1.44018972f,  -0.440189689f},
      1e-6f, 1e-5f);
}

TEST(LogSoftmax, Legacy) {
  OpHarness h(OpType::LogSoftmax, efm::OpOptions::AxisOptions, Axis(1, true));
  h.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  // numpy, on x.reshape(2, 12) along axis 1
  ExpectNear(h.Result<float>(0),
             {-3.61490059f, -2.61490059f, -1.61490059f, -0.614900589f, -5.61490059f, -4.61490059f,
              -3.61490059f, -2.61490059f, -4.11490059f, -4.36490059f,  -4.61490059f, -4.86490059f,
              -1000.44019f, -1000.44019f, -1000.44019f, -1000.44019f,  -1001.44019f, -1004.44019f,
              -1002.94019f, -1002.44019f, -3.4401896f,  -2.4401896f,   -1.44018972f, -0.440189689f},
             1e-6f, 1e-5f);
}

TEST(Softmax, EmptyInputWithHugeOtherDimsFinishesAtOnce) {
  // Without the early return the loops would visit 2^60 empty lines.
  OpHarness h(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(1, false));
  h.In<float>({1 << 30, 0, 1 << 30}, {}).Out<float>({1 << 30, 0, 1 << 30});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
}

TEST(Softmax, PrepareRejectsAxisOutOfRangeAndScalars) {
  OpHarness axis(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(3, false));
  axis.In<float>({2, 3, 4}, kSoftmaxX).Out<float>({2, 3, 4});
  EXPECT_EQ(axis.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(axis.message(), "op 7 (Softmax 'node'): axis 3 out of range for rank 3");
  OpHarness scalar(OpType::Softmax, efm::OpOptions::AxisOptions, Axis(0, false));
  scalar.In<float>(MakeShape({}), {1}).Out<float>(MakeShape({}));
  EXPECT_EQ(scalar.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(scalar.message(), "op 7 (Softmax 'node'): input must have rank >= 1, got a scalar");
  OpHarness none(OpType::LogSoftmax);
  none.In<float>({2}, {1, 2}).Out<float>({2});
  EXPECT_EQ(none.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(none.message(), "op 7 (LogSoftmax 'node'): needs AxisOptions");
}

// ---- Expand ----

TEST(Expand, BroadcastsToTheOutputShape) {
  OpHarness h(OpType::Expand);
  h.In<float>({3, 1}, {1.5f, -2, 7}).Out<float>({2, 3, 4});
  ExpectBothPaths<float>(h, {1.5f, 1.5f, 1.5f, 1.5f, -2, -2, -2, -2, 7, 7, 7, 7,
                             1.5f, 1.5f, 1.5f, 1.5f, -2, -2, -2, -2, 7, 7, 7, 7});
}

TEST(Expand, RowsRepeatAlongALeadingAxis) {
  OpHarness h(OpType::Expand);
  h.In<int32_t>({1, 3}, {1, 2, 3}).AbsentIn().Out<int32_t>({2, 3});
  ExpectBothPaths<int32_t>(h, {1, 2, 3, 1, 2, 3});
}

TEST(Expand, ScalarOfOneByteDtype) {
  OpHarness h(OpType::Expand);
  h.In<int8_t>(MakeShape({}), {-5}).Out<int8_t>({2, 2});
  ExpectBothPaths<int8_t>(h, {-5, -5, -5, -5});
}

TEST(Expand, PrepareRejectsIncompatibleShape) {
  OpHarness h(OpType::Expand);
  h.In<float>({3}, {1, 2, 3}).Out<float>({2, 4});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (Expand 'node'): input shape [3] does not broadcast to output [2,4]");
}

}  // namespace
}  // namespace edge::runtime
