// Tests for LSTM and GRU (ops_rnn.cc): golden values from torch and from the ONNX backend tests'
// numpy helpers (tests/fixtures/kernels/make_kernel_fixtures.py), optimised against reference
// kernels with random options, and Prepare's / Eval's checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "edge/runtime/internal/op_context.h"
#include "kernel_test_private.h"

namespace edge::runtime {
namespace {

using kernel_test::ExpectClose;
using kernel_test::HostT;
using kernel_test::OptionsFn;
using kernel_test::RnnCase;
using kernel_test::RunKernel;
using kernel_test::RunResult;

#include "../../tests/fixtures/kernels/rnn_fixtures.inc"

using Ints = std::vector<int32_t>;

OptionsFn RnnOpts(efm::RnnDirection dir, int hidden, float clip, bool input_forget, bool lbr,
                  int layout) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(
        efm::OpOptions::RnnOptions,
        efm::CreateRnnOptions(fbb, dir, hidden, clip, input_forget, lbr, layout).Union());
  };
}

TEST(RnnKernels, GoldenLstmAndGruMatchTorchAndOnnxHelpers) {
  for (const RnnCase& c : kRnnCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reference ? " (reference)" : ""));
      HostT x = c.x.host(), w = c.w.host(), r = c.r.host(), b = c.b.host();
      HostT lens =
          c.has_lens ? HostT::I32({static_cast<int32_t>(c.lens.size())}, c.lens) : HostT::Absent();
      HostT h0 = c.h0.host(), c0 = c.c0.host(), p = c.p.host();
      HostT y = c.y.zeros_like(), yh = c.yh.zeros_like(), yc = c.yc.zeros_like();
      std::vector<HostT*> ins = {&x, &w, &r, &b, &lens, &h0};
      std::vector<HostT*> outs = {&y, &yh};
      if (!c.gru) {
        ins.push_back(&c0);
        ins.push_back(&p);
        outs.push_back(&yc);
      }
      auto opts =
          RnnOpts(c.direction, c.hidden, c.clip, c.input_forget, c.linear_before_reset, c.layout);
      RunResult res =
          RunKernel(c.gru ? efm::OpType::GRU : efm::OpType::LSTM, opts, ins, outs, reference);
      ASSERT_TRUE(res.status.ok()) << res.diag;
      ExpectClose(y.f, c.y.data, 2e-5f, 1e-4f, "Y");
      ExpectClose(yh.f, c.yh.data, 2e-5f, 1e-4f, "Y_h");
      if (!c.gru) ExpectClose(yc.f, c.yc.data, 2e-5f, 1e-4f, "Y_c");
    }
  }
}

int Pick(std::mt19937* rng, int lo, int hi) {
  return lo + static_cast<int>((*rng)() % (hi - lo + 1));
}

// Random directions, layouts, options, optional inputs and outputs; optimised vs reference.
TEST(RnnKernels, OptimisedMatchesReferenceWithRandomOptions) {
  std::mt19937 rng(21);
  for (int iter = 0; iter < 160; ++iter) {
    const bool gru = iter % 2;
    const int g = gru ? 3 : 4;
    const auto dir = static_cast<efm::RnnDirection>(rng() % 3);
    const int dirs = dir == efm::RnnDirection::Bidirectional ? 2 : 1;
    const int layout = static_cast<int>(rng() % 2);
    const int seq = Pick(&rng, 1, 6), batch = Pick(&rng, 1, 4);
    const int in = Pick(&rng, 1, iter % 7 == 0 ? 40 : 9),
              hid = Pick(&rng, 1, iter % 5 == 0 ? 37 : 8);
    const float clip = rng() % 3 == 0 ? 0.5f : 0.0f;
    const bool input_forget = !gru && rng() % 4 == 0, lbr = gru && rng() % 2;
    auto maybe = [&](Ints shape) {
      return rng() % 3 == 0 ? HostT::Absent() : HostT::Random(std::move(shape), &rng);
    };
    HostT x = HostT::Random(layout == 0 ? Ints{seq, batch, in} : Ints{batch, seq, in}, &rng);
    HostT w = HostT::Random({dirs, g * hid, in}, &rng, -0.6f, 0.6f);
    HostT r = HostT::Random({dirs, g * hid, hid}, &rng, -0.6f, 0.6f);
    HostT b = maybe({dirs, 2 * g * hid});
    HostT lens = HostT::Absent();
    if (rng() % 2) {
      Ints l(batch);
      for (int32_t& v : l) v = Pick(&rng, 0, seq);
      lens = HostT::I32({batch}, l);
    }
    const Ints state = layout == 0 ? Ints{dirs, batch, hid} : Ints{batch, dirs, hid};
    HostT h0 = maybe(state), c0 = maybe(state), p = maybe({dirs, 3 * hid});
    const Ints y_shape = layout == 0 ? Ints{seq, dirs, batch, hid} : Ints{batch, seq, dirs, hid};
    const bool want_y = rng() % 4 != 0, want_yh = rng() % 4 != 0;
    HostT outs[2][3];
    for (auto& o : outs) {
      o[0] = want_y ? HostT::Zeros(y_shape) : HostT::Absent();
      o[1] = want_yh ? HostT::Zeros(state) : HostT::Absent();
      o[2] = HostT::Zeros(state);
    }
    auto opts = RnnOpts(dir, hid, clip, input_forget, lbr, layout);
    const auto type = gru ? efm::OpType::GRU : efm::OpType::LSTM;
    for (int k = 0; k < 2; ++k) {
      std::vector<HostT*> ins = {&x, &w, &r, &b, &lens, &h0};
      std::vector<HostT*> o = {&outs[k][0], &outs[k][1]};
      if (!gru) {
        ins.push_back(&c0);
        ins.push_back(&p);
        o.push_back(&outs[k][2]);
      }
      RunResult res = RunKernel(type, opts, ins, o, /*reference=*/k == 1);
      ASSERT_TRUE(res.status.ok()) << res.diag;
    }
    SCOPED_TRACE("iter " + std::to_string(iter));
    for (int j = 0; j < (gru ? 2 : 3); ++j) {
      if (outs[0][j].present) ExpectClose(outs[0][j].f, outs[1][j].f, 2e-5f, 1e-5f, "output");
    }
  }
}

TEST(RnnKernels, StepsPastASequenceEndAreZeroAndKeepTheState) {
  // Batch entry 1 has length 0: Y stays zero for it and Y_h equals initial_h.
  std::mt19937 rng(5);
  HostT x = HostT::Random({3, 2, 2}, &rng), w = HostT::Random({1, 12, 2}, &rng);
  HostT r = HostT::Random({1, 12, 4}, &rng), b = HostT::Absent();
  HostT lens = HostT::I32({2}, {3, 0}), h0 = HostT::Random({1, 2, 4}, &rng);
  HostT y = HostT::Zeros({3, 1, 2, 4}), yh = HostT::Zeros({1, 2, 4});
  for (float& v : y.f) v = 99.0f;
  RunResult res =
      RunKernel(efm::OpType::GRU, RnnOpts(efm::RnnDirection::Forward, 4, 0, false, true, 0),
                {&x, &w, &r, &b, &lens, &h0}, {&y, &yh}, false);
  ASSERT_TRUE(res.status.ok()) << res.diag;
  for (int t = 0; t < 3; ++t) {
    for (int j = 0; j < 4; ++j) EXPECT_EQ(y.f[(t * 2 + 1) * 4 + j], 0.0f);
  }
  for (int j = 0; j < 4; ++j) EXPECT_EQ(yh.f[4 + j], h0.f[4 + j]);
}

TEST(RnnKernels, EvalRejectsSequenceLengthsOutOfRange) {
  HostT x = HostT::Zeros({3, 2, 2}), w = HostT::Zeros({1, 16, 2}), r = HostT::Zeros({1, 16, 4});
  HostT b = HostT::Absent(), lens = HostT::I32({2}, {3, 4}), yh = HostT::Zeros({1, 2, 4});
  HostT y = HostT::Absent();
  RunResult res =
      RunKernel(efm::OpType::LSTM, RnnOpts(efm::RnnDirection::Forward, 4, 0, false, false, 0),
                {&x, &w, &r, &b, &lens}, {&y, &yh}, false);
  EXPECT_EQ(res.status, Status::InvalidArgument());
  EXPECT_NE(res.diag.find("sequence_lens[1] = 4 is outside [0, 3]"), std::string::npos) << res.diag;
}

void ExpectRejected(efm::OpType type, const OptionsFn& opts, std::vector<HostT> ins,
                    std::vector<HostT> outs, const std::string& message) {
  std::vector<HostT*> in, out;
  for (HostT& t : ins) in.push_back(&t);
  for (HostT& t : outs) out.push_back(&t);
  RunResult r = RunKernel(type, opts, in, out, false, /*eval=*/false);
  EXPECT_EQ(r.status, Status::InvalidArgument()) << message;
  EXPECT_NE(r.diag.find(message), std::string::npos) << "diag: " << r.diag;
}

TEST(RnnKernels, PrepareRejectsInconsistentShapesWithAMessage) {
  auto z = [](Ints s) { return HostT::Zeros(std::move(s)); };
  auto absent = HostT::Absent();
  auto fwd = RnnOpts(efm::RnnDirection::Forward, 4, 0, false, false, 0);
  auto bidir = RnnOpts(efm::RnnDirection::Bidirectional, 4, 0, false, false, 0);
  const auto kLstm = efm::OpType::LSTM;
  ExpectRejected(kLstm, fwd, {z({3, 2, 2}), z({1, 12, 2}), z({1, 16, 4})}, {absent, z({1, 2, 4})},
                 "W must be [1, 16, 2]");
  ExpectRejected(kLstm, bidir, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4})}, {absent, z({2, 2, 4})},
                 "W must be [2, 16, 2]");
  ExpectRejected(kLstm, fwd, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4}), z({1, 16})},
                 {absent, z({1, 2, 4})}, "B must be [1, 32]");
  ExpectRejected(kLstm, fwd, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4}), absent, z({2})},
                 {absent, z({1, 2, 4})}, "sequence_lens must be i32");
  ExpectRejected(kLstm, fwd, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4})},
                 {z({3, 2, 1, 4}), z({1, 2, 4})}, "Y has the wrong shape");
  ExpectRejected(kLstm, fwd, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4})}, {absent, z({2, 1, 4})},
                 "Y_h has the wrong shape");
  ExpectRejected(
      kLstm, fwd,
      {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4}), absent, absent, absent, absent, z({1, 16})},
      {absent, z({1, 2, 4})}, "P must be [1, 12]");
  ExpectRejected(kLstm, RnnOpts(efm::RnnDirection::Forward, 4, 0, false, false, 2),
                 {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4})}, {absent, z({1, 2, 4})},
                 "layout must be 0 or 1");
  ExpectRejected(kLstm, nullptr, {z({3, 2, 2}), z({1, 16, 2}), z({1, 16, 4})},
                 {absent, z({1, 2, 4})}, "missing RnnOptions");
  ExpectRejected(efm::OpType::GRU, fwd, {z({3, 2, 2}), z({1, 12, 2}), z({1, 12, 4})},
                 {absent, z({1, 2, 4}), z({1, 2, 4})}, "too many outputs");
  ExpectRejected(efm::OpType::GRU, fwd, {z({3, 2}), z({1, 12, 2}), z({1, 12, 4})},
                 {absent, z({1, 2, 4})}, "X must be 3-D");
}

}  // namespace
}  // namespace edge::runtime
