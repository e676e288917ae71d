// Kernel tests for ops_extra.cc. Each test runs PrepareOp/EvalOp through the dispatch table
// (op_test_util.h). Expected values are hand-computed unless a comment says they come from numpy
// 1.24 / torch 1.13 (/usr/bin/python3, float32 inputs) and were pasted in.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "edge/runtime/internal/op_context.h"
#include "op_test_util.h"

namespace edge::runtime {
namespace {

using ::edge::runtime::testing::ExpectNear;
using ::edge::runtime::testing::OpHarness;
using efm::OpType;

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
OpHarness::OptionsFn Arg(int axis, bool keepdims, bool last) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateArgOptions(fbb, axis, keepdims, last).Union();
  };
}
OpHarness::OptionsFn Norm(int axis, float epsilon) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateNormOptions(fbb, axis, epsilon).Union();
  };
}
OpHarness::OptionsFn Mod(bool fmod) {
  return
      [=](flatbuffers::FlatBufferBuilder& fbb) { return efm::CreateModOptions(fbb, fmod).Union(); };
}
OpHarness::OptionsFn Cast(efm::CastTarget to) {
  return
      [=](flatbuffers::FlatBufferBuilder& fbb) { return efm::CreateCastOptions(fbb, to).Union(); };
}
OpHarness::OptionsFn CumSum(int axis, bool exclusive, bool reverse) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateCumSumOptions(fbb, axis, exclusive, reverse).Union();
  };
}
OpHarness::OptionsFn LpNorm(int axis, int p) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return efm::CreateLpNormOptions(fbb, axis, p).Union();
  };
}

// Prepare, then Eval with the optimised and with the reference loops; both must give `want` in
// output 0.
template <class T>
void ExpectBothPaths(OpHarness& h, const std::vector<T>& want, float rtol = 1e-6f) {
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  for (bool reference : {false, true}) {
    SCOPED_TRACE(reference ? "reference loops" : "optimised loops");
    ASSERT_EQ(h.Eval(reference), OkStatus()) << h.message();
    if constexpr (std::is_same_v<T, float>) {
      ExpectNear(h.Result<float>(0), want, 1e-6f, rtol);
    } else {
      EXPECT_EQ(h.Result<T>(0), want);
    }
  }
}

// ---- ArgMax / ArgMin ----

TEST(ArgMax, TiesGiveTheFirstIndexOrTheLastWithSelectLastIndex) {
  // numpy: argmax([[1,5,5],[7,2,7]], 1) = [1, 0]; last occurrence = [2, 2].
  const std::vector<float> x = {1, 5, 5, 7, 2, 7};
  OpHarness first(OpType::ArgMax, efm::OpOptions::ArgOptions, Arg(1, true, false));
  first.In<float>({2, 3}, x).Out<int32_t>({2, 1});
  ExpectBothPaths<int32_t>(first, {1, 0});
  OpHarness last(OpType::ArgMax, efm::OpOptions::ArgOptions, Arg(1, false, true));
  last.In<float>({2, 3}, x).Out<int32_t>({2});
  ExpectBothPaths<int32_t>(last, {2, 2});
}

TEST(ArgMin, ReducesAxisZeroOfI32WithoutKeepdims) {
  // numpy: argmin([[1,5,5],[7,2,7]], 0) = [0, 1, 0].
  OpHarness h(OpType::ArgMin, efm::OpOptions::ArgOptions, Arg(0, false, false));
  h.In<int32_t>({2, 3}, {1, 5, 5, 7, 2, 7}).Out<int32_t>({3});
  ExpectBothPaths<int32_t>(h, {0, 1, 0});
}

TEST(ArgMax, PrepareRejectsWrongOutputShapeAndEmptyAxis) {
  OpHarness h(OpType::ArgMax, efm::OpOptions::ArgOptions, Arg(1, true, false));
  h.In<float>({2, 3}, std::vector<float>(6)).Out<int32_t>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (ArgMax 'node'): output shape [2], expected [2,1]");
  OpHarness empty(OpType::ArgMax, efm::OpOptions::ArgOptions, Arg(1, true, false));
  empty.In<float>({2, 0}, {}).Out<int32_t>({2, 1});
  EXPECT_EQ(empty.Prepare(), Status::InvalidArgument());
  OpHarness f32_out(OpType::ArgMax, efm::OpOptions::ArgOptions, Arg(0, true, false));
  f32_out.In<float>({2}, {1, 2}).Out<float>({1});
  EXPECT_EQ(f32_out.Prepare(), Status::InvalidArgument());
}

// ---- LayerNormalization / InstanceNormalization ----

// torch.nn.functional.layer_norm(x [2,3,4], (3,4), w, b, 1e-5); Mean and 1/sqrt(var + eps) per
// row from numpy (float64).
const std::vector<float> kLnX = {
    -1.694766879081726f,  1.1196751594543457f,      -0.2463630735874176f,  0.8938606977462769f,
    1.91195809841156f,    0.1539834886789322f,      0.004481854848563671f, -1.711795449256897f,
    -0.9262440800666809f, -0.00046999671030789614f, 0.7169199585914612f,   1.2149561643600464f,
    -0.4762354791164398f, -1.7362545728683472f,     -0.8474175930023193f,  1.6383740901947021f,
    -1.146458625793457f,  -0.19150415062904358f,    1.724824070930481f,    -1.9004031419754028f,
    0.40219566226005554f, 1.8005180358886719f,      -1.0787885189056396f,  0.19395968317985535f};
const std::vector<float> kLnW = {1.4091284275054932f, 0.6331694722175598f, 1.0234125852584839f,
                                 1.2504098415374756f, 1.169013261795044f,  0.9677528738975525f,
                                 0.7048490643501282f, 0.9907658696174622f, 0.8723846673965454f,
                                 0.9774011373519897f, 0.865890383720398f,  1.3379180431365967f};
const std::vector<float> kLnB = {0.5372949838638306f,  -0.37201064825057983f, 0.14525066316127777f,
                                 -0.4479019045829773f, -0.09431413561105728f, -0.29404327273368835f,
                                 0.31479892134666443f, -0.25929784774780273f, -0.08181404322385788f,
                                 0.4386482536792755f,  -0.1740163415670395f,  0.8128465414047241f};

TEST(LayerNormalization, MatchesTorchWithMeanAndInvStdDevOutputs) {
  OpHarness h(OpType::LayerNormalization, efm::OpOptions::NormOptions, Norm(1, 1e-5f));
  h.In<float>({2, 3, 4}, kLnX).In<float>({3, 4}, kLnW).In<float>({3, 4}, kLnB);
  h.Out<float>({2, 3, 4}).Out<float>({2, 1, 1}).Out<float>({2, 1, 1});
  ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
  ASSERT_EQ(h.Eval(), OkStatus()) << h.message();
  ExpectNear(
      h.Result<float>(0),
      {-1.8072189092636108f, 0.20858511328697205f,  -0.1982627958059311f,  0.4397656321525574f,
       1.8269248008728027f,  -0.2636048495769501f,  0.24034112691879272f,  -1.9232089519500732f,
       -0.9185081720352173f, 0.3309609293937683f,   0.3001894950866699f,   2.1565680503845215f,
       0.1545795202255249f,  -1.1785345077514648f,  -0.43484747409820557f, 1.3155709505081177f,
       -1.0349931716918945f, -0.33771637082099915f, 1.3573243618011475f,   -1.650678277015686f,
       0.2907702624797821f,  1.9431437253952026f,   -0.8241740465164185f,  1.1626598834991455f});
  ExpectNear(h.Result<float>(1), {0.11968299746513367f, -0.1347658783197403f});
  ExpectNear(h.Result<float>(2), {0.916974663734436f, 0.7953776121139526f});
}

TEST(LayerNormalization, LastAxisWithoutBiasMatchesTorch) {
  // torch.nn.functional.layer_norm(x, (4,), w[0], None, 1e-3).
  OpHarness h(OpType::LayerNormalization, efm::OpOptions::NormOptions, Norm(2, 1e-3f));
  h.In<float>({2, 3, 4}, kLnX)
      .In<float>({1, 4}, {kLnW[0], kLnW[1], kLnW[2], kLnW[3]})
      .Out<float>({2, 3, 4});
  ExpectBothPaths<float>(
      h, {-2.1613705158233643f,  0.6245801448822021f,   -0.2423667013645172f,  0.9805996417999268f,
          2.0018954277038574f,   0.031752653419971466f, -0.0679570734500885f,  -1.7560864686965942f,
          -2.0583295822143555f,  -0.19774171710014343f, 0.591128408908844f,    1.4947528839111328f,
          -0.13742299377918243f, -0.7055500149726868f,  -0.40635040402412415f, 2.011774778366089f,
          -0.7974108457565308f,  0.08717956393957138f,  1.585850477218628f,    -1.40217125415802f,
          0.100309357047081f,    0.9117110371589661f,   -1.410731315612793f,   -0.165859192609787f},
      1e-4f);
}

TEST(LayerNormalization, PrepareRejectsScaleOfTheWrongShape) {
  OpHarness h(OpType::LayerNormalization, efm::OpOptions::NormOptions, Norm(1, 1e-5f));
  h.In<float>({2, 3, 4}, kLnX).In<float>({4, 3}, kLnW).Out<float>({2, 3, 4});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(),
            "op 7 (LayerNormalization 'node'): input 1 shape [4,3] does not match the normalised "
            "dims of [2,3,4] from axis 1");
  OpHarness mean(OpType::LayerNormalization, efm::OpOptions::NormOptions, Norm(1, 1e-5f));
  mean.In<float>({2, 3, 4}, kLnX).In<float>({3, 4}, kLnW);
  mean.Out<float>({2, 3, 4}).Out<float>({2, 3, 1});
  EXPECT_EQ(mean.Prepare(), Status::InvalidArgument());
}

TEST(InstanceNormalization, MatchesTorch) {
  // torch.nn.functional.instance_norm(x [2,2,5], weight=[1.5,-0.5], bias=[0.25,2], eps=1e-5).
  OpHarness h(OpType::InstanceNormalization, efm::OpOptions::NormOptions, Norm(0, 1e-5f));
  h.In<float>(
       {2, 2, 5},
       {-1.9172903299331665f, 1.4467132091522217f,  -0.46575573086738586f, -0.4412785768508911f,
        0.806279182434082f,   0.13743720948696136f, -0.5106841325759888f,  -2.991438627243042f,
        -2.4464259147644043f, 1.2563663721084595f,  0.146073579788208f,    1.1769627332687378f,
        2.7328100204467773f,  1.0974831581115723f,  -2.681227922439575f,   -1.1468838453292847f,
        0.5555680990219116f,  -1.5892775058746338f, 2.789825916290283f,    2.6702892780303955f})
      .In<float>({2}, {1.5f, -0.5f})
      .In<float>({2}, {0.25f, 2.0f})
      .Out<float>({2, 2, 5});
  ExpectBothPaths<float>(
      h, {-2.0750279426574707f, 2.2629079818725586f, -0.20325098931789398f, -0.1716873198747635f,
          1.4370582103729248f,  1.6703482866287231f, 1.874141812324524f,    2.6541836261749268f,
          2.482811212539673f,   1.3185151815414429f, -0.04167795926332474f, 0.821506917476654f,
          2.1242501735687256f,  0.7549570202827454f, -2.409036159515381f,   2.490114450454712f,
          2.027277946472168f,   2.6103856563568115f, 1.4198622703552246f,   1.4523600339889526f},
      1e-4f);
}

// ---- comparisons, logic, Where ----

TEST(Compare, LessBroadcastsARowAgainstAMatrix) {
  OpHarness h(OpType::Less);
  h.In<float>({2, 3}, {1, 2, 3, 4, 5, kNaN}).In<float>({3}, {2, 2, 2}).Out<int32_t>({2, 3});
  ExpectBothPaths<int32_t>(h, {1, 0, 0, 0, 0, 0});
}

TEST(Compare, EqualAndGreaterOrEqualOnI32WithAScalar) {
  OpHarness eq(OpType::Equal);
  eq.In<int32_t>({}, {3}).In<int32_t>({2, 2}, {3, -3, 0, 3}).Out<int32_t>({2, 2});
  ExpectBothPaths<int32_t>(eq, {1, 0, 0, 1});
  OpHarness ge(OpType::GreaterOrEqual);
  ge.In<int32_t>({2, 1}, {0, 5}).In<int32_t>({1, 3}, {-1, 0, 6}).Out<int32_t>({2, 3});
  ExpectBothPaths<int32_t>(ge, {1, 1, 0, 1, 1, 0});
}

TEST(Compare, LogicOpsTreatAnyNonZeroAsTrue) {
  const std::vector<int32_t> a = {0, 0, 1, 7};
  const std::vector<int32_t> b = {0, 1, 0, 2};
  OpHarness and_op(OpType::And);
  and_op.In<int32_t>({4}, a).In<int32_t>({4}, b).Out<int32_t>({4});
  ExpectBothPaths<int32_t>(and_op, {0, 0, 0, 1});
  OpHarness or_op(OpType::Or);
  or_op.In<int32_t>({4}, a).In<int32_t>({4}, b).Out<int32_t>({4});
  ExpectBothPaths<int32_t>(or_op, {0, 1, 1, 1});
  OpHarness xor_op(OpType::Xor);
  xor_op.In<int32_t>({4}, a).In<int32_t>({4}, b).Out<int32_t>({4});
  ExpectBothPaths<int32_t>(xor_op, {0, 1, 1, 0});
  OpHarness not_op(OpType::Not);
  not_op.In<int32_t>({4}, a).Out<int32_t>({4});
  ExpectBothPaths<int32_t>(not_op, {1, 1, 0, 0});
}

TEST(Compare, PrepareRejectsFloatLogicFloatOutputAndNonBroadcastShape) {
  OpHarness logic(OpType::And);
  logic.In<float>({2}, {0, 1}).In<float>({2}, {1, 1}).Out<int32_t>({2});
  EXPECT_EQ(logic.Prepare(), Status::InvalidArgument());
  OpHarness out(OpType::Equal);
  out.In<float>({2}, {0, 1}).In<float>({2}, {1, 1}).Out<float>({2});
  EXPECT_EQ(out.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(out.message(), "op 7 (Equal 'node'): output is f32, expected i32 (bool)");
  OpHarness shape(OpType::Less);
  shape.In<float>({2}, {0, 1}).In<float>({3}, {1, 1, 1}).Out<int32_t>({3});
  EXPECT_EQ(shape.Prepare(), Status::InvalidArgument());
  OpHarness wide(OpType::Less);  // bigger than the broadcast shape
  wide.In<float>({2}, {0, 1}).In<float>({2}, {1, 1}).Out<int32_t>({3, 2});
  EXPECT_EQ(wide.Prepare(), Status::InvalidArgument());
}

TEST(Where, BroadcastsConditionAndBothBranches) {
  // cond [2,1], x [3], y scalar -> [2,3].
  OpHarness h(OpType::Where);
  h.In<int32_t>({2, 1}, {1, 0}).In<float>({3}, {1, 2, 3}).In<float>({}, {-1}).Out<float>({2, 3});
  ExpectBothPaths<float>(h, {1, 2, 3, -1, -1, -1});
  OpHarness i(OpType::Where);
  i.In<int32_t>({2, 2}, {1, 0, 0, 5})
      .In<int32_t>({2, 2}, {INT32_MIN, 2, 3, 4})
      .In<int32_t>({2, 1}, {10, 20})
      .Out<int32_t>({2, 2});
  ExpectBothPaths<int32_t>(i, {INT32_MIN, 10, 20, 4});
}

TEST(Where, PrepareRejectsFloatConditionAndMixedBranches) {
  OpHarness c(OpType::Where);
  c.In<float>({2}, {1, 0}).In<float>({2}, {1, 2}).In<float>({2}, {3, 4}).Out<float>({2});
  EXPECT_EQ(c.Prepare(), Status::InvalidArgument());
  OpHarness m(OpType::Where);
  m.In<int32_t>({2}, {1, 0}).In<float>({2}, {1, 2}).In<int32_t>({2}, {3, 4}).Out<float>({2});
  EXPECT_EQ(m.Prepare(), Status::InvalidArgument());
}

// ---- Mod ----

TEST(Mod, IntegerModTakesTheSignOfTheDivisorAndFmodOfTheDividend) {
  // numpy: mod([-7,7,-7,7,5,-4,0], [3,-3,-3,3,2,4,5]) = [2,-2,-1,1,1,0,0]; fmod =
  // [-1,1,-1,1,1,0,0].
  const std::vector<int32_t> a = {-7, 7, -7, 7, 5, -4, 0};
  const std::vector<int32_t> b = {3, -3, -3, 3, 2, 4, 5};
  OpHarness py(OpType::Mod, efm::OpOptions::ModOptions, Mod(false));
  py.In<int32_t>({7}, a).In<int32_t>({7}, b).Out<int32_t>({7});
  ExpectBothPaths<int32_t>(py, {2, -2, -1, 1, 1, 0, 0});
  OpHarness c(OpType::Mod, efm::OpOptions::ModOptions, Mod(true));
  c.In<int32_t>({7}, a).In<int32_t>({7}, b).Out<int32_t>({7});
  ExpectBothPaths<int32_t>(c, {-1, 1, -1, 1, 1, 0, 0});
}

TEST(Mod, DivisionByZeroAndIntMinByMinusOneGiveZero) {
  OpHarness h(OpType::Mod, efm::OpOptions::ModOptions, Mod(false));
  h.In<int32_t>({2}, {5, INT32_MIN}).In<int32_t>({2}, {0, -1}).Out<int32_t>({2});
  ExpectBothPaths<int32_t>(h, {0, 0});
  OpHarness i8(OpType::Mod, efm::OpOptions::ModOptions, Mod(false));
  i8.In<int8_t>({3}, {-128, -7, 100}).In<int8_t>({1}, {3}).Out<int8_t>({3});
  ExpectBothPaths<int8_t>(i8, {1, 2, 1});  // numpy int8: [-128,-7,100] % 3
}

TEST(Mod, FloatFmodMatchesNumpyAndNeedsFmod) {
  // numpy.fmod(float32 [-4.3,7.2,5,-4.3], [2.1,-3.4,2.5,-2.1]).
  OpHarness h(OpType::Mod, efm::OpOptions::ModOptions, Mod(true));
  h.In<float>({4}, {-4.3f, 7.2f, 5.0f, -4.3f}).In<float>({4}, {2.1f, -3.4f, 2.5f, -2.1f});
  h.Out<float>({4});
  ExpectBothPaths<float>(
      h, {-0.10000038146972656f, 0.39999961853027344f, 0.0f, -0.10000038146972656f});
  OpHarness bad(OpType::Mod, efm::OpOptions::ModOptions, Mod(false));
  bad.In<float>({1}, {1}).In<float>({1}, {1}).Out<float>({1});
  EXPECT_EQ(bad.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(bad.message(), "op 7 (Mod 'node'): f32 Mod needs fmod = true");
}

// ---- Cast ----

TEST(Cast, FloatToIntTruncatesTowardZeroAndWrapsToTheTargetWidth) {
  // numpy: trunc([-2.7,-0.5,0,0.9,3.99,300.5,-129.5]) as int64, then astype(uint8 / int8).
  const std::vector<float> x = {-2.7f, -0.5f, 0.0f, 0.9f, 3.99f, 300.5f, -129.5f};
  OpHarness i32(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int32));
  i32.In<float>({7}, x).Out<int32_t>({7});
  ExpectBothPaths<int32_t>(i32, {-2, 0, 0, 0, 3, 300, -129});
  OpHarness u8(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Uint8));
  u8.In<float>({7}, x).Out<int32_t>({7});
  ExpectBothPaths<int32_t>(u8, {254, 0, 0, 0, 3, 44, 127});
  OpHarness i8(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int8));
  i8.In<float>({7}, x).Out<int8_t>({7});
  ExpectBothPaths<int8_t>(i8, {-2, 0, 0, 0, 3, 44, 127});
}

TEST(Cast, FloatToBoolIsNonZeroIncludingNaN) {
  OpHarness h(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Bool));
  h.In<float>({5}, {0.0f, -0.0f, 0.25f, -3.0f, kNaN}).Out<int32_t>({5});
  ExpectBothPaths<int32_t>(h, {0, 0, 1, 1, 1});
}

TEST(Cast, FloatToI32SaturatesAndMapsNaNToZero) {
  OpHarness h(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int32));
  h.In<float>({4}, {3e9f, -3e9f, kNaN, -2147483648.0f}).Out<int32_t>({4});
  ExpectBothPaths<int32_t>(h, {INT32_MAX, INT32_MIN, 0, INT32_MIN});
}

TEST(Cast, IntToNarrowerIntWrapsAndIntToFloatConverts) {
  // numpy: int64 [70000,-70000,255,256,-1,0].astype(int16) = [4464,-4464,255,256,-1,0],
  // .astype(uint8) = [112,144,255,0,255,0].
  const std::vector<int32_t> x = {70000, -70000, 255, 256, -1, 0};
  OpHarness i16(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int16));
  i16.In<int32_t>({6}, x).Out<int32_t>({6});
  ExpectBothPaths<int32_t>(i16, {4464, -4464, 255, 256, -1, 0});
  OpHarness u8(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Uint8));
  u8.In<int32_t>({6}, x).Out<int32_t>({6});
  ExpectBothPaths<int32_t>(u8, {112, 144, 255, 0, 255, 0});
  OpHarness f(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Float));
  f.In<int32_t>({3}, {-5, 16777217, 0}).Out<float>({3});
  ExpectBothPaths<float>(f, {-5.0f, 16777216.0f, 0.0f});
  OpHarness from_i8(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int32));
  from_i8.In<int8_t>({2}, {-128, 127}).Out<int32_t>({2});
  ExpectBothPaths<int32_t>(from_i8, {-128, 127});
}

TEST(Cast, PrepareRejectsOutputDtypeThatIsNotTheTargets) {
  OpHarness h(OpType::Cast, efm::OpOptions::CastOptions, Cast(efm::CastTarget::Int8));
  h.In<float>({2}, {1, 2}).Out<int32_t>({2});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (Cast 'node'): output is i32, cast target Int8 needs i8");
  OpHarness none(OpType::Cast);
  none.In<float>({2}, {1, 2}).Out<float>({2});
  EXPECT_EQ(none.Prepare(), Status::InvalidArgument());
}

// ---- Tan ThresholdedRelu Sign Round Shrink Celu ----

TEST(ExtraUnary, RoundHalvesToEven) {
  // numpy.round(float32 [...]).
  OpHarness h(OpType::Round);
  h.In<float>({12}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.4f, 2.6f, -2.6f, 0.49999997f,
                     8388609.0f, -0.0f})
      .Out<float>({12});
  ExpectBothPaths<float>(
      h, {-2.0f, -2.0f, -0.0f, 0.0f, 2.0f, 2.0f, 2.0f, 3.0f, -3.0f, 0.0f, 8388609.0f, -0.0f});
}

TEST(ExtraUnary, TanSignAndThresholdedReluMatchNumpy) {
  // numpy.tan(float64 of float32 [-1.2,-0.3,0,0.7,1.5]).
  OpHarness tan(OpType::Tan);
  tan.In<float>({5}, {-1.2f, -0.3f, 0.0f, 0.7f, 1.5f}).Out<float>({5});
  ExpectBothPaths<float>(
      tan,
      {-2.5721518993377686f, -0.30933627486228943f, 0.0f, 0.8422883749008179f, 14.101420402526855f},
      1e-5f);
  OpHarness sign(OpType::Sign);
  sign.In<float>({4}, {-3.5f, 0.0f, 2.0f, kNaN}).Out<float>({4});
  ExpectBothPaths<float>(sign, {-1.0f, 0.0f, 1.0f, kNaN});
  OpHarness isign(OpType::Sign);
  isign.In<int32_t>({3}, {INT32_MIN, 0, 9}).Out<int32_t>({3});
  ExpectBothPaths<int32_t>(isign, {-1, 0, 1});
  OpHarness tr(OpType::ThresholdedRelu, efm::OpOptions::UnaryOptions, Unary(1.0f, 0.0f));
  tr.In<float>({7}, {-2, -1, -0.5f, 0, 0.5f, 1, 2}).Out<float>({7});
  ExpectBothPaths<float>(tr, {0, 0, 0, 0, 0, 0, 2});
}

TEST(ExtraUnary, ShrinkAndCeluMatchTorch) {
  // torch.nn.functional.softshrink(x, 1.0) = Shrink(lambd=1, bias=1); hardshrink = bias 0.
  const std::vector<float> x = {-2, -1, -0.5f, 0, 0.5f, 1, 2};
  OpHarness soft(OpType::Shrink, efm::OpOptions::UnaryOptions, Unary(1.0f, 1.0f));
  soft.In<float>({7}, x).Out<float>({7});
  ExpectBothPaths<float>(soft, {-1, 0, 0, 0, 0, 0, 1});
  OpHarness hard(OpType::Shrink, efm::OpOptions::UnaryOptions, Unary(1.0f, 0.0f));
  hard.In<float>({7}, x).Out<float>({7});
  ExpectBothPaths<float>(hard, {-2, 0, 0, 0, 0, 0, 2});
  // torch.celu([-3,-1,-0.1,0,0.5,2], alpha=2).
  OpHarness celu(OpType::Celu, efm::OpOptions::UnaryOptions, Unary(2.0f, 0.0f));
  celu.In<float>({6}, {-3, -1, -0.1f, 0, 0.5f, 2}).Out<float>({6});
  ExpectBothPaths<float>(
      celu, {-1.5537396669387817f, -0.7869386672973633f, -0.09754109382629395f, 0.0f, 0.5f, 2.0f},
      1e-5f);
}

TEST(ExtraUnary, PrepareRejectsMissingOptionsAndWrongDtypes) {
  OpHarness celu(OpType::Celu);
  celu.In<float>({1}, {1}).Out<float>({1});
  EXPECT_EQ(celu.Prepare(), Status::InvalidArgument());
  OpHarness not_f(OpType::Not);
  not_f.In<float>({1}, {1}).Out<float>({1});
  EXPECT_EQ(not_f.Prepare(), Status::InvalidArgument());
  OpHarness tan_i(OpType::Tan);
  tan_i.In<int32_t>({1}, {1}).Out<int32_t>({1});
  EXPECT_EQ(tan_i.Prepare(), Status::InvalidArgument());
}

// ---- CumSum ----

TEST(CumSum, ExclusiveAndReverseAlongEitherAxis) {
  // torch.cumsum on [[1,2,3],[4,5,6]] (flipped for reverse; minus x for exclusive).
  struct Case {
    int axis;
    bool exclusive, reverse;
    std::vector<float> want;
  };
  const Case cases[] = {
      {0, false, false, {1, 2, 3, 5, 7, 9}},  {0, false, true, {5, 7, 9, 4, 5, 6}},
      {0, true, false, {0, 0, 0, 1, 2, 3}},   {0, true, true, {4, 5, 6, 0, 0, 0}},
      {1, false, false, {1, 3, 6, 4, 9, 15}}, {1, false, true, {6, 5, 3, 15, 11, 6}},
      {1, true, false, {0, 1, 3, 0, 4, 9}},   {1, true, true, {5, 3, 0, 11, 6, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "axis " << c.axis << " exclusive " << c.exclusive << " reverse " << c.reverse);
    OpHarness h(OpType::CumSum, efm::OpOptions::CumSumOptions,
                CumSum(c.axis, c.exclusive, c.reverse));
    h.In<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Out<float>({2, 3});
    ExpectBothPaths<float>(h, c.want);
  }
}

TEST(CumSum, I32WrapsOnOverflow) {
  OpHarness h(OpType::CumSum, efm::OpOptions::CumSumOptions, CumSum(0, false, false));
  h.In<int32_t>({3}, {INT32_MAX, 1, 5}).Out<int32_t>({3});
  ExpectBothPaths<int32_t>(h, {INT32_MAX, INT32_MIN, INT32_MIN + 5});
}

TEST(CumSum, PrepareRejectsAxisOutOfRange) {
  OpHarness h(OpType::CumSum, efm::OpOptions::CumSumOptions, CumSum(2, false, false));
  h.In<float>({2, 3}, std::vector<float>(6)).Out<float>({2, 3});
  EXPECT_EQ(h.Prepare(), Status::InvalidArgument());
  EXPECT_EQ(h.message(), "op 7 (CumSum 'node'): axis 2 out of range for rank 2");
}

// ---- Hardmax / LpNormalization ----

TEST(Hardmax, OneHotAtTheFirstMaximumAlongTheAxis) {
  OpHarness h(OpType::Hardmax, efm::OpOptions::AxisOptions, Axis(0, false));
  h.In<float>({2, 3}, {1, 5, 3, 4, 5, -1}).Out<float>({2, 3});
  ExpectBothPaths<float>(h, {0, 1, 1, 1, 0, 0});
  // Legacy (opset < 13): [2,3] viewed as [1,6] at axis 0.
  OpHarness legacy(OpType::Hardmax, efm::OpOptions::AxisOptions, Axis(0, true));
  legacy.In<float>({2, 3}, {1, 5, 3, 4, 5, -1}).Out<float>({2, 3});
  ExpectBothPaths<float>(legacy, {0, 1, 0, 0, 0, 0});
}

TEST(LpNormalization, L2AndL1MatchTorchNormalize) {
  // torch.nn.functional.normalize(x, p=2, dim=1) and (x, p=1, dim=0), eps=0.
  const std::vector<float> x = {1.3936035633087158f,  -0.11070401221513748f, 1.365906834602356f,
                                -1.4755574464797974f, -0.7650653719902039f,  -0.14801442623138428f};
  OpHarness l2(OpType::LpNormalization, efm::OpOptions::LpNormOptions, LpNorm(1, 2));
  l2.In<float>({2, 3}, x).Out<float>({2, 3});
  ExpectBothPaths<float>(l2,
                         {0.7130213975906372f, -0.05664044991135597f, 0.698850691318512f,
                          -0.8842646479606628f, -0.4584845304489136f, -0.08870134502649307f},
                         1e-5f);
  OpHarness l1(OpType::LpNormalization, efm::OpOptions::LpNormOptions, LpNorm(0, 1));
  l1.In<float>({2, 3}, x).Out<float>({2, 3});
  ExpectBothPaths<float>(l1,
                         {0.48571813106536865f, -0.12640772759914398f, 0.9022310972213745f,
                          -0.5142818093299866f, -0.8735922574996948f, -0.09776891022920609f},
                         1e-5f);
  OpHarness p3(OpType::LpNormalization, efm::OpOptions::LpNormOptions, LpNorm(0, 3));
  p3.In<float>({2, 3}, x).Out<float>({2, 3});
  EXPECT_EQ(p3.Prepare(), Status::InvalidArgument());
}

}  // namespace
}  // namespace edge::runtime
