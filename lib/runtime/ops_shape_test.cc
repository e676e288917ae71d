// Kernel tests for ops_shape.cc (Concat Slice Split Transpose Gather Pad Resize) and ops_reduce.cc
// (ReduceMean ReduceSum ReduceMax ReduceMin), through PrepareOp/EvalOp (op_test_util.h).
// Expected values are hand-computed unless a comment names their source: numpy 1.24, the ONNX
// 1.12 reference (onnx.backend.test.case.node.resize.interpolate_nd) or torch 1.13, all run with
// /usr/bin/python3 and pasted in.
#include <gtest/gtest.h>

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

OpHarness::OptionsFn Axis(int axis) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateAxisOptions(fbb, axis).Union();
  };
}

OpHarness::OptionsFn SliceOpts(std::vector<int32_t> starts, std::vector<int32_t> steps) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateSliceOptions(fbb, fbb.CreateVector(starts), fbb.CreateVector(steps)).Union();
  };
}

OpHarness::OptionsFn Perm(std::vector<int32_t> perm) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateTransposeOptions(fbb, fbb.CreateVector(perm)).Union();
  };
}

OpHarness::OptionsFn PadOpts(std::vector<int32_t> pads, efm::PadMode mode, float value = 0) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreatePadOptions(fbb, fbb.CreateVector(pads), mode, value).Union();
  };
}

OpHarness::OptionsFn ResizeOpts(efm::ResizeMode mode, efm::CoordinateTransform ct,
                                efm::NearestMode nearest, std::vector<float> scales) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateResizeOptions(fbb, mode, ct, nearest, fbb.CreateVector(scales)).Union();
  };
}

OpHarness::OptionsFn ReduceOpts(std::vector<int32_t> axes, bool keepdims) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateReduceOptions(fbb, fbb.CreateVector(axes), keepdims).Union();
  };
}

template <class T>
void ExpectRuns(OpHarness& h, const std::vector<T>& want, bool reference = false) {
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(reference), OkStatus()) << h.message();
  if constexpr (std::is_same_v<T, float>) {
    ExpectNear(h.Result<float>(0), want, 1e-6f, 1e-6f);
  } else {
    EXPECT_EQ(h.Result<T>(0), want);
  }
}

std::vector<int32_t> Iota(int n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

// ---- Concat ----

TEST(Concat, JoinsAlongAnInnerAxis) {
  OpHarness h(OpType::Concat, efm::OpOptions::AxisOptions, Axis(1));
  h.In<int32_t>({2, 1}, {1, 4}).In<int32_t>({2, 2}, {2, 3, 5, 6}).In<int32_t>({2, 0}, {});
  h.Out<int32_t>({2, 3});
  ExpectRuns<int32_t>(h, {1, 2, 3, 4, 5, 6});
}

TEST(Concat, JoinsAlongTheFirstAxis) {
  OpHarness h(OpType::Concat, efm::OpOptions::AxisOptions, Axis(0));
  h.In<float>({1, 2}, {1, 2}).In<float>({2, 2}, {3, 4, 5, 6}).Out<float>({3, 2});
  ExpectRuns<float>(h, {1, 2, 3, 4, 5, 6});
}

TEST(Concat, PrepareRejectsMismatchedDimsAndSums) {
  OpHarness dims(OpType::Concat, efm::OpOptions::AxisOptions, Axis(1));
  dims.In<float>({2, 1}, {1, 2}).In<float>({3, 2}, std::vector<float>(6)).Out<float>({2, 3});
  EXPECT_EQ(dims.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(dims.message(),
            "op 7 (Concat 'node'): input 1 shape [3,2] does not match [2,3] outside axis 1");
  OpHarness sum(OpType::Concat, efm::OpOptions::AxisOptions, Axis(1));
  sum.In<float>({2, 1}, {1, 2}).In<float>({2, 1}, {3, 4}).Out<float>({2, 3});
  EXPECT_EQ(sum.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(sum.message(), "op 7 (Concat 'node'): inputs sum to 2 along axis 1, output has 3");
}

TEST(Concat, EmptyTensorsWithHugeOtherDimsFinishAtOnce) {
  // Without the early return the copy loop would count 2^60 outer rows of nothing.
  OpHarness h(OpType::Concat, efm::OpOptions::AxisOptions, Axis(2));
  h.In<float>({1 << 30, 1 << 30, 0}, {}).In<float>({1 << 30, 1 << 30, 0}, {});
  h.Out<float>({1 << 30, 1 << 30, 0});
  ExpectRuns<float>(h, {});
}

// ---- Slice ----

TEST(Slice, NegativeStepReadsBackwards) {
  // x[4::-2] of 0..4
  OpHarness h(OpType::Slice, efm::OpOptions::SliceOptions, SliceOpts({4}, {-2}));
  h.In<int32_t>({5}, {0, 1, 2, 3, 4}).Out<int32_t>({3});
  ExpectRuns<int32_t>(h, {4, 2, 0});
}

TEST(Slice, StepsOnEveryAxis) {
  // x = arange(24).reshape(2,3,4); x[1:2, 2::-2, 1:4:2] -> [[[21, 23], [13, 15]]]
  OpHarness h(OpType::Slice, efm::OpOptions::SliceOptions, SliceOpts({1, 2, 1}, {1, -2, 2}));
  h.In<int32_t>({2, 3, 4}, Iota(24)).Out<int32_t>({1, 2, 2});
  ExpectRuns<int32_t>(h, {21, 23, 13, 15});
}

TEST(Slice, ContiguousInnerRowsOfFloats) {
  // x[:, 1:3] of [[1,2,3,4],[5,6,7,8]]
  OpHarness h(OpType::Slice, efm::OpOptions::SliceOptions, SliceOpts({0, 1}, {1, 1}));
  h.In<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}).Out<float>({2, 2});
  ExpectRuns<float>(h, {2, 3, 6, 7});
}

TEST(Slice, EmptyOutputReadsNothingWhateverTheStart) {
  OpHarness h(OpType::Slice, efm::OpOptions::SliceOptions, SliceOpts({99}, {1}));
  h.In<float>({3}, {1, 2, 3}).Out<float>({0});
  ExpectRuns<float>(h, {});
}

TEST(Slice, PrepareRejectsReadsOutsideTheInput) {
  struct Case {
    int32_t start;
    int32_t step;
    int32_t n;
    const char* message;
  };
  const Case cases[] = {
      {4, 2, 2, "op 7 (Slice 'node'): axis 0: 2 elements from 4 step 2 read outside [0,5)"},
      {1, -1, 3, "op 7 (Slice 'node'): axis 0: 3 elements from 1 step -1 read outside [0,5)"},
      {-1, 1, 1, "op 7 (Slice 'node'): axis 0: 1 elements from -1 step 1 read outside [0,5)"},
      {0, 0, 1, "op 7 (Slice 'node'): step 0 on axis 0"},
  };
  for (const Case& c : cases) {
    OpHarness h(OpType::Slice, efm::OpOptions::SliceOptions, SliceOpts({c.start}, {c.step}));
    h.In<float>({5}, std::vector<float>(5)).Out<float>({c.n});
    EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
    EXPECT_EQ(h.message(), c.message);
  }
}

// ---- Split ----

TEST(Split, PartsAlongAnAxis) {
  OpHarness h(OpType::Split, efm::OpOptions::AxisOptions, Axis(1));
  h.In<int32_t>({2, 5}, Iota(10)).Out<int32_t>({2, 2}).Out<int32_t>({2, 3});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  EXPECT_EQ(h.Result<int32_t>(0), (std::vector<int32_t>{0, 1, 5, 6}));
  EXPECT_EQ(h.Result<int32_t>(1), (std::vector<int32_t>{2, 3, 4, 7, 8, 9}));
}

TEST(Split, PrepareRejectsPartsThatDoNotSumToTheInput) {
  OpHarness h(OpType::Split, efm::OpOptions::AxisOptions, Axis(0));
  h.In<float>({4}, {1, 2, 3, 4}).Out<float>({1}).Out<float>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (Split 'node'): outputs sum to 3 along axis 0, input has 4");
}

TEST(Split, EmptyInputWithHugeOtherDimsFinishesAtOnce) {
  OpHarness h(OpType::Split, efm::OpOptions::AxisOptions, Axis(2));
  h.In<float>({1 << 30, 1 << 30, 0}, {}).Out<float>({1 << 30, 1 << 30, 0});
  ExpectRuns<float>(h, {});
}

// ---- Transpose ----

TEST(Transpose, MovesTheLastAxisFirst) {
  // numpy: arange(24).reshape(2,3,4).transpose(2,0,1)
  const std::vector<int32_t> want = {0, 4, 8,  12, 16, 20, 1, 5, 9,  13, 17, 21,
                                     2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23};
  for (bool reference : {false, true}) {
    OpHarness h(OpType::Transpose, efm::OpOptions::TransposeOptions, Perm({2, 0, 1}));
    h.In<int32_t>({2, 3, 4}, Iota(24)).Out<int32_t>({4, 2, 3});
    ExpectRuns<int32_t>(h, want, reference);
  }
}

TEST(Transpose, KeepsContiguousInnerRows) {
  // numpy: arange(24).reshape(2,3,4).transpose(1,0,2)
  const std::vector<int32_t> want = {0,  1,  2,  3,  12, 13, 14, 15, 4,  5,  6,  7,
                                     16, 17, 18, 19, 8,  9,  10, 11, 20, 21, 22, 23};
  for (bool reference : {false, true}) {
    OpHarness h(OpType::Transpose, efm::OpOptions::TransposeOptions, Perm({1, 0, 2}));
    h.In<int32_t>({2, 3, 4}, Iota(24)).Out<int32_t>({3, 2, 4});
    ExpectRuns<int32_t>(h, want, reference);
  }
}

TEST(Transpose, AbsentPermReversesAxes) {
  OpHarness h(OpType::Transpose);
  h.In<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6}).Out<int8_t>({3, 2});
  ExpectRuns<int8_t>(h, {1, 4, 2, 5, 3, 6});
}

TEST(Transpose, PrepareRejectsBadPermAndShape) {
  OpHarness perm(OpType::Transpose, efm::OpOptions::TransposeOptions, Perm({0, 0}));
  perm.In<float>({2, 2}, std::vector<float>(4)).Out<float>({2, 2});
  EXPECT_EQ(perm.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(perm.message(),
            "op 7 (Transpose 'node'): perm is not a permutation of 0..1 (entry 1 is 0)");
  OpHarness shape(OpType::Transpose, efm::OpOptions::TransposeOptions, Perm({1, 0}));
  shape.In<float>({2, 3}, std::vector<float>(6)).Out<float>({2, 3});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(shape.message(),
            "op 7 (Transpose 'node'): output shape [2,3] is not input shape [2,3] permuted "
            "(axis 0)");
}

// ---- Gather ----

TEST(Gather, NegativeIndicesCountFromTheEnd) {
  OpHarness h(OpType::Gather, efm::OpOptions::AxisOptions, Axis(0));
  h.In<float>({3, 2}, {1, 2, 3, 4, 5, 6}).In<int32_t>({3}, {-1, 0, -3}).Out<float>({3, 2});
  ExpectRuns<float>(h, {5, 6, 1, 2, 1, 2});
}

TEST(Gather, MatrixOfIndicesOnAnInnerAxis) {
  // data [2,3], indices [2,2] on axis 1 -> [2,2,2]
  OpHarness h(OpType::Gather, efm::OpOptions::AxisOptions, Axis(1));
  h.In<int32_t>({2, 3}, {10, 11, 12, 20, 21, 22}).In<int32_t>({2, 2}, {2, 0, 1, -1});
  h.Out<int32_t>({2, 2, 2});
  ExpectRuns<int32_t>(h, {12, 10, 11, 12, 22, 20, 21, 22});
}

TEST(Gather, ScalarIndexDropsTheAxis) {
  OpHarness h(OpType::Gather, efm::OpOptions::AxisOptions, Axis(0));
  h.In<int8_t>({3, 2}, {1, 2, 3, 4, 5, 6}).In<int32_t>(MakeShape({}), {1}).Out<int8_t>({2});
  ExpectRuns<int8_t>(h, {3, 4});
}

TEST(Gather, OutOfRangeIndexIsAnEvalErrorNotACrash) {
  for (int32_t bad : {3, -4, INT32_MAX, INT32_MIN}) {
    OpHarness h(OpType::Gather, efm::OpOptions::AxisOptions, Axis(0));
    h.In<float>({3}, {1, 2, 3}).In<int32_t>({2}, {0, bad}).Out<float>({2});
    ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
    EXPECT_EQ(h.Eval(), Status::InvalidArgument());
    EXPECT_EQ(h.message(), "op 7 (Gather 'node'): index " + std::to_string(bad) +
                               " (position 1) out of range [-3,3) for axis 0");
  }
}

TEST(Gather, PrepareRejectsWrongOutputShapeAndIndexDtype) {
  OpHarness shape(OpType::Gather, efm::OpOptions::AxisOptions, Axis(1));
  shape.In<float>({2, 3}, std::vector<float>(6)).In<int32_t>({4}, {0, 1, 2, 0});
  shape.Out<float>({4, 3});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(shape.message(),
            "op 7 (Gather 'node'): output shape [4,3] is not data [2,3] with axis 1 replaced by "
            "indices [4]");
  OpHarness dtype(OpType::Gather, efm::OpOptions::AxisOptions, Axis(0));
  dtype.In<float>({2}, {1, 2}).In<float>({1}, {0}).Out<float>({1});
  EXPECT_EQ(dtype.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(dtype.message(), "op 7 (Gather 'node'): indices are f32, expected i32");
}

// ---- Pad ----

const std::vector<float> k23 = {1, 2, 3, 4, 5, 6};  // [[1,2,3],[4,5,6]]

TEST(Pad, ConstantValue) {
  // numpy: np.pad(x, ((1, 0), (0, 2)), constant_values=9)
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions,
              PadOpts({1, 0, 0, 2}, efm::PadMode::Constant, 9));
  h.In<float>({2, 3}, k23).Out<float>({3, 5});
  ExpectRuns<float>(h, {9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 4, 5, 6, 9, 9});
}

TEST(Pad, Reflect) {
  // numpy: np.pad(x, ((1, 1), (2, 2)), mode='reflect')
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions,
              PadOpts({1, 2, 1, 2}, efm::PadMode::Reflect));
  h.In<float>({2, 3}, k23).Out<float>({4, 7});
  ExpectRuns<float>(
      h, {6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1});
}

TEST(Pad, ReflectWiderThanTheAxisRepeatsTheMirror) {
  // numpy: np.pad([1, 2, 3], (5, 4), mode='reflect')
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions, PadOpts({5, 4}, efm::PadMode::Reflect));
  h.In<float>({3}, {1, 2, 3}).Out<float>({12});
  ExpectRuns<float>(h, {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3});
}

TEST(Pad, Edge) {
  // numpy: np.pad(x, ((0, 1), (2, 1)), mode='edge')
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions, PadOpts({0, 2, 1, 1}, efm::PadMode::Edge));
  h.In<float>({2, 3}, k23).Out<float>({3, 6});
  ExpectRuns<float>(h, {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6});
}

TEST(Pad, NegativePadsCropBeforePadding) {
  // Crop row 0 and column 0, then edge-pad two columns on the right: [[5, 6, 6, 6]].
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions, PadOpts({-1, -1, 0, 2}, efm::PadMode::Edge));
  h.In<float>({2, 3}, k23).Out<float>({1, 4});
  ExpectRuns<float>(h, {5, 6, 6, 6});
}

TEST(Pad, NegativePadsOnlyCrop) {
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions,
              PadOpts({0, -1, 0, -1}, efm::PadMode::Constant));
  h.In<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}).Out<int32_t>({2, 1});
  ExpectRuns<int32_t>(h, {2, 5});
}

TEST(Pad, IntegerConstantIsRounded) {
  OpHarness h(OpType::Pad, efm::OpOptions::PadOptions,
              PadOpts({1, 1}, efm::PadMode::Constant, -7.0f));
  h.In<int32_t>({1}, {42}).Out<int32_t>({3});
  ExpectRuns<int32_t>(h, {-7, 42, -7});
}

TEST(Pad, PrepareRejectsWrongOutputShapeAndReflectOfNothing) {
  OpHarness shape(OpType::Pad, efm::OpOptions::PadOptions,
                  PadOpts({1, 0, 0, 2}, efm::PadMode::Constant));
  shape.In<float>({2, 3}, k23).Out<float>({3, 6});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(shape.message(), "op 7 (Pad 'node'): axis 1: 3 padded by 0,2 is 5, output has 6");
  OpHarness empty(OpType::Pad, efm::OpOptions::PadOptions, PadOpts({-3, 1}, efm::PadMode::Reflect));
  empty.In<float>({3}, {1, 2, 3}).Out<float>({1});
  EXPECT_EQ(empty.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(empty.message(),
            "op 7 (Pad 'node'): axis 0: reflect/edge padding needs at least one input element");
  OpHarness crop(OpType::Pad, efm::OpOptions::PadOptions, PadOpts({-4, 2}, efm::PadMode::Constant));
  crop.In<float>({3}, {1, 2, 3}).Out<float>({1});
  EXPECT_EQ(crop.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(crop.message(), "op 7 (Pad 'node'): axis 0: pads -4,2 crop more than its 3 elements");
}

// ---- Resize ----

using CT = efm::CoordinateTransform;
using NM = efm::NearestMode;

std::vector<float> RunResize(efm::ResizeMode mode, CT ct, NM nm, const Shape& in,
                             const std::vector<float>& x, const Shape& out,
                             std::vector<float> scales) {
  OpHarness h(OpType::Resize, efm::OpOptions::ResizeOptions, ResizeOpts(mode, ct, nm, scales));
  h.In<float>(in, x).Out<float>(out);
  EXPECT_EQ(h.Prepare(), OkStatus()) << h.message();
  EXPECT_EQ(h.Eval(), OkStatus()) << h.message();
  return h.Result<float>(0);
}

TEST(Resize, NearestEveryCoordinateTransformAndRounding) {
  // ONNX reference interpolate_nd with nearest_coeffs(mode); scales chosen so that input
  // coordinates hit exact halves as well as fractions on both sides of them.
  struct Case {
    CT ct;
    NM nm;
    std::vector<float> x;
    float scale;
    std::vector<float> want;
  };
  const std::vector<float> two = {1, 2};
  const std::vector<float> three = {1, 2, 3};
  const Case cases[] = {
      {CT::HalfPixel, NM::RoundPreferFloor, two, 2.5f, {1, 1, 1, 2, 2}},
      {CT::HalfPixel, NM::RoundPreferCeil, two, 2.5f, {1, 1, 2, 2, 2}},
      {CT::HalfPixel, NM::Floor, two, 2.5f, {1, 1, 1, 1, 2}},
      {CT::HalfPixel, NM::Ceil, two, 2.5f, {1, 2, 2, 2, 2}},
      {CT::PytorchHalfPixel, NM::RoundPreferFloor, two, 2.5f, {1, 1, 1, 2, 2}},
      {CT::PytorchHalfPixel, NM::RoundPreferCeil, two, 2.5f, {1, 1, 2, 2, 2}},
      {CT::PytorchHalfPixel, NM::Floor, two, 2.5f, {1, 1, 1, 1, 2}},
      {CT::PytorchHalfPixel, NM::Ceil, two, 2.5f, {1, 2, 2, 2, 2}},
      {CT::Asymmetric, NM::RoundPreferFloor, two, 4.0f, {1, 1, 1, 2, 2, 2, 2, 2}},
      {CT::Asymmetric, NM::RoundPreferCeil, two, 4.0f, {1, 1, 2, 2, 2, 2, 2, 2}},
      {CT::Asymmetric, NM::Floor, two, 4.0f, {1, 1, 1, 1, 2, 2, 2, 2}},
      {CT::Asymmetric, NM::Ceil, two, 4.0f, {1, 2, 2, 2, 2, 2, 2, 2}},
      {CT::AlignCorners, NM::RoundPreferFloor, three, 3.0f, {1, 1, 1, 2, 2, 2, 2, 3, 3}},
      {CT::AlignCorners, NM::RoundPreferCeil, three, 3.0f, {1, 1, 2, 2, 2, 2, 3, 3, 3}},
      {CT::AlignCorners, NM::Floor, three, 3.0f, {1, 1, 1, 1, 2, 2, 2, 2, 3}},
      {CT::AlignCorners, NM::Ceil, three, 3.0f, {1, 2, 2, 2, 2, 3, 3, 3, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(efm::EnumNameCoordinateTransform(c.ct)) + " " +
                 efm::EnumNameNearestMode(c.nm));
    const auto n_in = static_cast<int32_t>(c.x.size());
    const auto n_out = static_cast<int32_t>(c.want.size());
    ExpectNear(RunResize(efm::ResizeMode::Nearest, c.ct, c.nm, MakeShape({n_in}), c.x,
                         MakeShape({n_out}), {c.scale}),
               c.want, 0, 0);
  }
}

TEST(Resize, LinearEveryCoordinateTransformUpAndDown) {
  // ONNX reference interpolate_nd with linear_coeffs, input [1, 2, 3, 4, 5].
  struct Case {
    CT ct;
    float scale;
    std::vector<float> want;
  };
  const Case cases[] = {
      {CT::HalfPixel, 1.6f, {1.0f, 1.4375f, 2.0625f, 2.6875f, 3.3125f, 3.9375f, 4.5625f, 5.0f}},
      {CT::HalfPixel, 0.6f, {1.33333325f, 3.0f, 4.66666651f}},
      {CT::AlignCorners,
       1.6f,
       {1.0f, 1.57142854f, 2.14285707f, 2.71428561f, 3.28571415f, 3.85714293f, 4.42857122f, 5.0f}},
      {CT::AlignCorners, 0.6f, {1.0f, 3.0f, 5.0f}},
      {CT::Asymmetric, 1.6f, {1.0f, 1.625f, 2.25f, 2.875f, 3.5f, 4.125f, 4.75f, 5.0f}},
      {CT::Asymmetric, 0.6f, {1.0f, 2.66666651f, 4.33333302f}},
      {CT::PytorchHalfPixel,
       1.6f,
       {1.0f, 1.4375f, 2.0625f, 2.6875f, 3.3125f, 3.9375f, 4.5625f, 5.0f}},
      {CT::PytorchHalfPixel, 0.6f, {1.33333325f, 3.0f, 4.66666651f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(efm::EnumNameCoordinateTransform(c.ct)) + " scale " +
                 std::to_string(c.scale));
    const auto n_out = static_cast<int32_t>(c.want.size());
    ExpectNear(RunResize(efm::ResizeMode::Linear, c.ct, NM::RoundPreferFloor, MakeShape({5}),
                         {1, 2, 3, 4, 5}, MakeShape({n_out}), {c.scale}),
               c.want, 1e-6f, 1e-6f);
  }
}

TEST(Resize, AlignCornersUsesTheUnroundedScaledLength) {
  // ONNX test_resize_downsample_scales_linear_align_corners: [[1,2,3,4],[5,6,7,8]], scales 0.6.
  ExpectNear(RunResize(efm::ResizeMode::Linear, CT::AlignCorners, NM::RoundPreferFloor,
                       MakeShape({1, 1, 2, 4}), {1, 2, 3, 4, 5, 6, 7, 8}, MakeShape({1, 1, 1, 2}),
                       {1, 1, 0.6f, 0.6f}),
             {1.0f, 3.14285707f}, 1e-6f, 1e-6f);
}

TEST(Resize, BilinearOverTwoAxes) {
  // ONNX reference: [[1,2],[3,4]] scales [2,2], half_pixel.
  ExpectNear(
      RunResize(efm::ResizeMode::Linear, CT::HalfPixel, NM::RoundPreferFloor,
                MakeShape({1, 1, 2, 2}), {1, 2, 3, 4}, MakeShape({1, 1, 4, 4}), {1, 1, 2, 2}),
      {1.0f, 1.25f, 1.75f, 2.0f, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3.0f, 3.25f,
       3.75f, 4.0f},
      1e-6f, 1e-6f);
}

TEST(Resize, PytorchHalfPixelToOneElementReadsTheFirst) {
  // ONNX reference: 4x4 (1..16) to sizes [3, 1], pytorch_half_pixel.
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  ExpectNear(RunResize(efm::ResizeMode::Linear, CT::PytorchHalfPixel, NM::RoundPreferFloor,
                       MakeShape({4, 4}), x, MakeShape({3, 1}), {0.75f, 0.25f}),
             {1.66666663f, 7.0f, 12.333333f}, 1e-6f, 1e-6f);
}

TEST(Resize, NearestFromSizesOnTwoAxes) {
  // ONNX reference: [[1,2],[3,4]] to sizes [3, 5], asymmetric, floor (scales 1.5, 2.5).
  ExpectNear(RunResize(efm::ResizeMode::Nearest, CT::Asymmetric, NM::Floor, MakeShape({2, 2}),
                       {1, 2, 3, 4}, MakeShape({3, 5}), {1.5f, 2.5f}),
             {1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4}, 0, 0);
}

TEST(Resize, ImuToEegResamplerMatchesTorch) {
  // torch 1.13: F.interpolate(x, size=80, mode='linear', align_corners=True) on (1,6,20) with
  // x = (arange(120) * 37 % 41) / 8 - 2.5 (exact in float32); channels 0 and 5 checked.
  std::vector<float> x(120);
  for (int i = 0; i < 120; ++i)
    x[static_cast<size_t>(i)] = static_cast<float>(i * 37 % 41) / 8 - 2.5f;
  const std::vector<float> y =
      RunResize(efm::ResizeMode::Linear, CT::AlignCorners, NM::RoundPreferFloor,
                MakeShape({1, 6, 20}), x, MakeShape({1, 6, 80}), {1, 1, 4});
  ASSERT_EQ(y.size(), 480u);
  const std::vector<float> torch_channel0_then_5 = {
      -2.5f, -1.38765812f, -0.275316298f, 0.837025404f, 1.94936728f, 2.02373409f, 1.90348101f,
      1.7832278f, 1.66297472f, 1.54272151f, 1.4224683f, 1.30221522f, 1.18196201f, 1.06170881f,
      0.941455662f, 0.821202457f, 0.700949311f, 0.580696106f, 0.46044296f, 0.340189815f,
      0.219936639f, 0.099683471f, -0.020569697f, -0.140822858f, -0.261076033f, -0.381329209f,
      -0.501582384f, -0.62183553f, -0.742088675f, -0.862341881f, -0.982595086f, -1.10284817f,
      -1.22310138f, -1.34335458f, -1.46360767f, -1.58386087f, -1.70411408f, -1.82436728f,
      -1.94462037f, -2.06487346f, -2.18512678f, -2.30538011f, -1.90664411f, -0.794302464f,
      0.318039387f, 1.4303813f, 2.21835423f, 2.09810114f, 1.97784793f, 1.85759473f, 1.73734152f,
      1.61708844f, 1.49683523f, 1.37658203f, 1.25632882f, 1.13607574f, 1.01582265f, 0.895569444f,
      0.775316238f, 0.655063093f, 0.534809947f, 0.414556742f, 0.294303596f, 0.174050421f,
      0.053797245f, -0.0664559305f, -0.186709106f, -0.306962252f, -0.427215397f, -0.547468603f,
      -0.667721748f, -0.787974954f, -0.908228099f, -1.02848125f, -1.14873445f, -1.26898766f,
      -1.38924074f, -1.50949395f, -1.62974703f, -1.75f,
      // channel 5
      -1.25f, -1.37025321f, -1.49050629f, -1.6107595f, -1.7310127f, -1.85126579f, -1.97151899f,
      -2.09177208f, -2.21202517f, -1.48892367f, -0.376581907f, 0.735759854f, 1.84810174f,
      2.31170869f, 2.1914556f, 2.07120252f, 1.95094931f, 1.83069611f, 1.7104429f, 1.59018981f,
      1.46993661f, 1.3496834f, 1.22943032f, 1.10917711f, 0.988923967f, 0.868670762f, 0.748417616f,
      0.62816447f, 0.507911325f, 0.387658119f, 0.267404974f, 0.147151798f, 0.0268986225f,
      -0.093354553f, -0.213607714f, -0.333860874f, -0.45411405f, -0.574367225f, -0.694620371f,
      -0.814873576f, -0.935126722f, -1.05537987f, -1.17563307f, -1.29588628f, -1.41613936f,
      -1.53639257f, -1.65664577f, -1.77689886f, -1.89715207f, -2.01740527f, -2.00790977f,
      -0.895568013f, 0.216773868f, 1.32911563f, 2.44145727f, 2.38607574f, 2.26582265f, 2.14556932f,
      2.02531624f, 1.90506315f, 1.78480995f, 1.66455674f, 1.54430366f, 1.42405045f, 1.30379725f,
      1.18354404f, 1.06329083f, 0.943037748f, 0.822784543f, 0.702531397f, 0.582278252f,
      0.462025076f, 0.341771901f, 0.221518725f, 0.10126555f, -0.0189876035f, -0.139240772f,
      -0.259493947f, -0.379747093f, -0.5f};
  std::vector<float> got(y.begin(), y.begin() + 80);
  got.insert(got.end(), y.begin() + 400, y.end());
  ExpectNear(got, torch_channel0_then_5, 1e-6f, 0.0f);
}

TEST(Resize, NearestMovesOneByteElements) {
  OpHarness h(OpType::Resize, efm::OpOptions::ResizeOptions,
              ResizeOpts(efm::ResizeMode::Nearest, CT::Asymmetric, NM::Floor, {1, 2}));
  h.In<int8_t>({2, 2}, {1, 2, 3, 4}).Out<int8_t>({2, 4});
  ExpectRuns<int8_t>(h, {1, 1, 2, 2, 3, 3, 4, 4});
}

TEST(Resize, PrepareReportsScratchForTheTapTables) {
  OpHarness h(OpType::Resize, efm::OpOptions::ResizeOptions,
              ResizeOpts(efm::ResizeMode::Linear, CT::AlignCorners, NM::Floor, {1, 1, 4}));
  h.In<float>({1, 6, 20}, std::vector<float>(120)).Out<float>({1, 6, 80});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  EXPECT_EQ(h.scratch_bytes(), 80u * 16u);  // one 16-byte tap per position of the resized axis
}

TEST(Resize, PrepareRejectsLinearOnIntegersAndBadScales) {
  OpHarness ints(OpType::Resize, efm::OpOptions::ResizeOptions,
                 ResizeOpts(efm::ResizeMode::Linear, CT::HalfPixel, NM::Floor, {2}));
  ints.In<int32_t>({2}, {1, 2}).Out<int32_t>({4});
  EXPECT_EQ(ints.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(ints.message(), "op 7 (Resize 'node'): linear mode needs f32, got i32");
  OpHarness count(OpType::Resize, efm::OpOptions::ResizeOptions,
                  ResizeOpts(efm::ResizeMode::Nearest, CT::HalfPixel, NM::Floor, {2}));
  count.In<float>({1, 2}, {1, 2}).Out<float>({1, 4});
  EXPECT_EQ(count.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(count.message(), "op 7 (Resize 'node'): scales has 1 entries, expected 2");
  OpHarness zero(OpType::Resize, efm::OpOptions::ResizeOptions,
                 ResizeOpts(efm::ResizeMode::Nearest, CT::HalfPixel, NM::Floor, {0}));
  zero.In<float>({2}, {1, 2}).Out<float>({4});
  EXPECT_EQ(zero.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(zero.message(), "op 7 (Resize 'node'): scale of axis 0 must be positive and finite");
}

// ---- Reduce ----

// (arange(24) - 7) * 0.5 as [2,3,4]
std::vector<float> ReduceInput() {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i - 7) * 0.5f;
  return v;
}

struct ReduceCase {
  OpType type;
  std::vector<int32_t> axes;
  bool keepdims;
  Shape out;
  std::vector<float> want;
};

TEST(Reduce, AxesAndKeepdimsOnBothPaths) {
  // numpy on ReduceInput()
  const ReduceCase cases[] = {
      {OpType::ReduceMean,
       {1},
       true,
       MakeShape({2, 1, 4}),
       {-1.5f, -1.0f, -0.5f, 0.0f, 4.5f, 5.0f, 5.5f, 6.0f}},
      {OpType::ReduceSum, {0, 2}, false, MakeShape({3}), {2.0f, 18.0f, 34.0f}},
      {OpType::ReduceSum, {1, 2}, true, MakeShape({2, 1, 1}), {-9.0f, 63.0f}},
      {OpType::ReduceMax, {}, false, MakeShape({}), {8.0f}},
      {OpType::ReduceMax, {}, true, MakeShape({1, 1, 1}), {8.0f}},
      {OpType::ReduceMin, {2}, false, MakeShape({2, 3}), {-3.5f, -1.5f, 0.5f, 2.5f, 4.5f, 6.5f}},
  };
  for (const ReduceCase& c : cases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(OpTypeName(c.type)) + (reference ? " reference" : " optimised"));
      OpHarness h(c.type, efm::OpOptions::ReduceOptions, ReduceOpts(c.axes, c.keepdims));
      h.In<float>({2, 3, 4}, ReduceInput()).Out<float>(c.out);
      ExpectRuns<float>(h, c.want, reference);
    }
  }
}

TEST(Reduce, MeanOfALongRowKeepsPrecision) {
  // 1000 values 0.1 + 0.001 i; numpy (float64) mean = 0.59950006 after rounding to float32.
  std::vector<float> x(1000);
  for (int i = 0; i < 1000; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i) * 0.001f + 0.1f;
  OpHarness h(OpType::ReduceMean, efm::OpOptions::ReduceOptions, ReduceOpts({0}, false));
  h.In<float>({1000}, x).Out<float>(MakeShape({}));
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus());
  ExpectNear(h.Result<float>(0), {0.59950006f}, 0.0f, 1e-6f);
}

TEST(Reduce, I32SumWrapsAndMaxMinAreExact) {
  const std::vector<int32_t> x = {INT32_MAX, 1, -5, 7, INT32_MIN, 3};
  struct Case {
    OpType type;
    std::vector<int32_t> want;
  };
  const Case cases[] = {
      {OpType::ReduceSum, {INT32_MAX - 4, INT32_MIN + 10}},  // wraps like the elementwise Add
      {OpType::ReduceMax, {INT32_MAX, 7}},
      {OpType::ReduceMin, {-5, INT32_MIN}},
  };
  for (const Case& c : cases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(OpTypeName(c.type));
      OpHarness h(c.type, efm::OpOptions::ReduceOptions, ReduceOpts({1}, false));
      h.In<int32_t>({2, 3}, x).Out<int32_t>({2});
      ExpectRuns<int32_t>(h, c.want, reference);
    }
  }
}

TEST(Reduce, EmptyAxisGivesTheIdentity) {
  const struct {
    OpType type;
    float want;
  } cases[] = {{OpType::ReduceSum, 0.0f},
               {OpType::ReduceMean, kNaN},
               {OpType::ReduceMax, -kInf},
               {OpType::ReduceMin, kInf}};
  for (const auto& c : cases) {
    SCOPED_TRACE(OpTypeName(c.type));
    OpHarness h(c.type, efm::OpOptions::ReduceOptions, ReduceOpts({1}, true));
    h.In<float>({2, 0}, {}).Out<float>({2, 1});
    ExpectRuns<float>(h, {c.want, c.want});
  }
}

TEST(Reduce, NaNPropagatesThroughMaxAndMin) {
  for (OpType t : {OpType::ReduceMax, OpType::ReduceMin}) {
    SCOPED_TRACE(OpTypeName(t));
    OpHarness h(t, efm::OpOptions::ReduceOptions, ReduceOpts({}, false));
    h.In<float>({3}, {1, kNaN, 2}).Out<float>(MakeShape({}));
    ExpectRuns<float>(h, {kNaN});
  }
}

TEST(Reduce, AbsentOptionsReduceEveryAxisKeepingDims) {
  OpHarness h(OpType::ReduceSum);
  h.In<float>({2, 2}, {1, 2, 3, 4}).Out<float>({1, 1});
  ExpectRuns<float>(h, {10});
}

TEST(Reduce, PrepareRejectsWrongOutputShapeBadAxesAndIntegerMean) {
  OpHarness shape(OpType::ReduceSum, efm::OpOptions::ReduceOptions, ReduceOpts({1}, false));
  shape.In<float>({2, 3, 4}, ReduceInput()).Out<float>({2, 1, 4});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(shape.message(),
            "op 7 (ReduceSum 'node'): output shape [2,1,4], expected [2,4] (no keepdims)");
  OpHarness axes(OpType::ReduceMax, efm::OpOptions::ReduceOptions, ReduceOpts({2, 1}, true));
  axes.In<float>({2, 3, 4}, ReduceInput()).Out<float>({2, 1, 1});
  EXPECT_EQ(axes.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(axes.message(),
            "op 7 (ReduceMax 'node'): axes must be increasing and in [0,3), entry 1 is 1");
  OpHarness mean(OpType::ReduceMean, efm::OpOptions::ReduceOptions, ReduceOpts({0}, false));
  mean.In<int32_t>({2}, {1, 2}).Out<int32_t>(MakeShape({}));
  EXPECT_EQ(mean.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(mean.message(), "op 7 (ReduceMean 'node'): dtype i32 not supported (f32 only)");
}

}  // namespace
}  // namespace edge::runtime
