// Tests for MatMul and Gemm (ops_dense.cc) and the shared GEMM core (internal_gemm.h): golden
// values computed by torch (tests/fixtures/kernels/make_kernel_fixtures.py), optimised against
// reference kernels on random shapes and alignments, and Prepare's shape checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "edge/runtime/internal/op_context.h"
#include "internal_gemm.h"
#include "kernel_test_private.h"

namespace edge::runtime {
namespace {

using kernel_test::DenseCase;
using kernel_test::ExpectClose;
using kernel_test::Fx;
using kernel_test::HostT;
using kernel_test::OptionsFn;
using kernel_test::RunKernel;
using kernel_test::RunResult;

#include "../../tests/fixtures/kernels/dense_fixtures.inc"

OptionsFn GemmOpts(float alpha, float beta, bool ta, bool tb,
                   efm::FusedActivation act = efm::FusedActivation::None, float lo = 0.0f,
                   float hi = 0.0f) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(efm::OpOptions::GemmOptions,
                          efm::CreateGemmOptions(fbb, alpha, beta, ta, tb, act, lo, hi).Union());
  };
}

OptionsFn MatMulOpts(efm::FusedActivation act = efm::FusedActivation::None, float lo = 0.0f,
                     float hi = 0.0f) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(efm::OpOptions::MatMulOptions,
                          efm::CreateMatMulOptions(fbb, act, lo, hi).Union());
  };
}

RunResult RunCase(const DenseCase& c, bool reference, HostT* y,
                  efm::FusedActivation act = efm::FusedActivation::None, float lo = 0.0f,
                  float hi = 0.0f) {
  HostT a = c.a.host(), b = c.b.host(), cc = c.c.host();
  *y = c.y.zeros_like();
  if (c.gemm) {
    return RunKernel(efm::OpType::Gemm,
                     GemmOpts(c.alpha, c.beta, c.trans_a, c.trans_b, act, lo, hi), {&a, &b, &cc},
                     {y}, reference);
  }
  return RunKernel(efm::OpType::MatMul, MatMulOpts(act, lo, hi), {&a, &b}, {y}, reference);
}

TEST(DenseKernels, GoldenCasesMatchTorch) {
  for (const DenseCase& c : kDenseCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reference ? " (reference)" : ""));
      HostT y;
      RunResult r = RunCase(c, reference, &y);
      ASSERT_TRUE(r.status.ok()) << r.diag;
      ExpectClose(y.f, c.y.data, 1e-5f, 1e-4f, c.name);
    }
  }
}

TEST(DenseKernels, FusedReluAndClipApplyAfterBias) {
  const DenseCase& c = kDenseCases[0];  // gemm_bias_vector
  for (bool reference : {false, true}) {
    HostT y;
    ASSERT_TRUE(RunCase(c, reference, &y, efm::FusedActivation::Relu).status.ok());
    std::vector<float> want = c.y.data;
    for (float& v : want) v = std::max(v, 0.0f);
    ExpectClose(y.f, want, 1e-5f, 1e-4f, "relu");
    ASSERT_TRUE(RunCase(c, reference, &y, efm::FusedActivation::Clip, -0.25f, 0.5f).status.ok());
    want = c.y.data;
    for (float& v : want) v = std::min(std::max(v, -0.25f), 0.5f);
    ExpectClose(y.f, want, 1e-5f, 1e-4f, "clip");
  }
}

// Optimised and reference Gemm agree on random shapes, transposes, C broadcasts and activations.
TEST(DenseKernels, GemmOptimisedMatchesReferenceOnRandomShapes) {
  std::mt19937 rng(42);
  const int sizes[] = {1,  2,  3,  4,  5,  7,  8,   15,  16,  17, 31,
                       32, 33, 47, 63, 64, 65, 100, 128, 129, 200};
  auto pick = [&](int limit) {
    int v;
    do {
      v = sizes[rng() % (sizeof(sizes) / sizeof(sizes[0]))];
    } while (v > limit);
    return v;
  };
  for (int iter = 0; iter < 300; ++iter) {
    const int m = pick(iter % 3 == 0 ? 1 : 40), n = pick(200), k = pick(200);
    const bool ta = rng() % 4 == 0, tb = rng() % 3 == 0;
    const int c_kind = static_cast<int>(rng() % 6);
    const float alpha = (rng() % 2) ? 1.0f : 0.75f, beta = (rng() % 2) ? 1.0f : -0.5f;
    const auto act = static_cast<efm::FusedActivation>(rng() % 3);
    HostT a = HostT::Random(ta ? std::vector<int32_t>{k, m} : std::vector<int32_t>{m, k}, &rng);
    HostT b = HostT::Random(tb ? std::vector<int32_t>{n, k} : std::vector<int32_t>{k, n}, &rng);
    std::vector<int32_t> cs[] = {{}, {n}, {1}, {m, n}, {m, 1}, {1, n}};
    HostT c = c_kind == 5 && rng() % 2 ? HostT::Absent() : HostT::Random(cs[c_kind], &rng);
    HostT y0 = HostT::Zeros({m, n}), y1 = HostT::Zeros({m, n});
    SCOPED_TRACE("m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                 " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                 " c=" + std::to_string(c_kind));
    auto opts = GemmOpts(alpha, beta, ta, tb, act, -0.5f, 0.75f);
    RunResult r0 = RunKernel(efm::OpType::Gemm, opts, {&a, &b, &c}, {&y0}, false);
    RunResult r1 = RunKernel(efm::OpType::Gemm, opts, {&a, &b, &c}, {&y1}, true);
    ASSERT_TRUE(r0.status.ok()) << r0.diag;
    ASSERT_TRUE(r1.status.ok()) << r1.diag;
    ExpectClose(y0.f, y1.f, 2e-5f, 1e-5f, "gemm");
  }
}

// The GEMM core at every 16-byte alignment of B and Y (the model format guarantees 16), with
// row strides that are and are not multiples of 16 floats.
TEST(DenseKernels, GemmCoreMatchesReferenceAtEveryAlignment) {
  std::mt19937 rng(7);
  struct Shape {
    int m, n, k;
  } shapes[] = {{1, 128, 784}, {1, 64, 128}, {1, 10, 64}, {1, 144, 9},  {1, 272, 5},
                {1, 48, 3},    {1, 33, 2},   {1, 3, 3},   {8, 784, 9},  {16, 196, 72},
                {5, 37, 13},   {4, 20, 6},   {6, 64, 1},  {3, 300, 17}, {2, 16, 0}};
  for (const Shape& s : shapes) {
    for (int off = 0; off < 16; off += 4) {
      for (int extra : {0, 3}) {
        const int ldb = s.n + extra;
        std::vector<float> buf(static_cast<size_t>(s.k) * ldb + 64);
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        for (float& v : buf) v = d(rng);
        const uintptr_t base = reinterpret_cast<uintptr_t>(buf.data());
        float* b = buf.data() + ((64 - base % 64) % 64) / 4 + off;
        std::vector<float> a(static_cast<size_t>(s.m) * s.k), bias(s.n);
        for (float& v : a) v = d(rng);
        for (float& v : bias) v = d(rng);
        std::vector<float> y0(static_cast<size_t>(s.m) * s.n + 16, 9.0f), y1 = y0;
        internal::GemmArgs g;
        g.m = s.m;
        g.n = s.n;
        g.k = s.k;
        g.a = a.data();
        g.a_rs = s.k;
        g.a_cs = 1;
        g.b = b;
        g.b_rs = ldb;
        g.b_cs = 1;
        g.y = y0.data() + off;
        g.y_rs = s.n;
        g.c = bias.data();
        g.c_rs = 0;
        g.c_cs = 1;
        internal::Gemm(g);
        g.y = y1.data() + off;
        internal::GemmReference(g);
        SCOPED_TRACE("m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                     " k=" + std::to_string(s.k) + " off=" + std::to_string(off) +
                     " ldb=" + std::to_string(ldb));
        ExpectClose(y0, y1, 2e-5f, 1e-5f, "gemm core");  // also checks nothing outside Y moved
      }
    }
  }
}

TEST(DenseKernels, MatMulOptimisedMatchesReferenceWithBatchBroadcast) {
  std::mt19937 rng(3);
  struct Case {
    std::vector<int32_t> a, b, y;
  } cases[] = {
      {{2, 3, 5, 7}, {3, 7, 40}, {2, 3, 5, 40}}, {{1, 4, 33}, {2, 1, 33, 17}, {2, 1, 4, 17}},
      {{6, 1, 64}, {6, 64, 130}, {6, 1, 130}},   {{70}, {3, 70, 9}, {3, 9}},
      {{2, 2, 8, 16}, {16}, {2, 2, 8}},
  };
  for (auto& c : cases) {
    HostT a = HostT::Random(c.a, &rng), b = HostT::Random(c.b, &rng);
    HostT y0 = HostT::Zeros(c.y), y1 = HostT::Zeros(c.y);
    auto opts = MatMulOpts(efm::FusedActivation::Relu);
    RunResult r0 = RunKernel(efm::OpType::MatMul, opts, {&a, &b}, {&y0}, false);
    RunResult r1 = RunKernel(efm::OpType::MatMul, opts, {&a, &b}, {&y1}, true);
    ASSERT_TRUE(r0.status.ok()) << r0.diag;
    ASSERT_TRUE(r1.status.ok()) << r1.diag;
    ExpectClose(y0.f, y1.f, 2e-5f, 1e-5f, "matmul");
  }
}

void ExpectRejected(efm::OpType type, const OptionsFn& opts, std::vector<HostT> ins,
                    std::vector<HostT> outs, const std::string& message) {
  std::vector<HostT*> in, out;
  for (HostT& t : ins) in.push_back(&t);
  for (HostT& t : outs) out.push_back(&t);
  RunResult r = RunKernel(type, opts, in, out, false, /*eval=*/false);
  EXPECT_EQ(r.status, Status::InvalidArgument()) << message;
  EXPECT_NE(r.diag.find(message), std::string::npos) << "diag: " << r.diag;
  EXPECT_EQ(r.diag.rfind("op 7 (", 0), 0u) << "diag: " << r.diag;
}

TEST(DenseKernels, PrepareRejectsInconsistentShapesWithAMessage) {
  auto z = [](std::vector<int32_t> s) { return HostT::Zeros(std::move(s)); };
  auto gemm = GemmOpts(1, 1, false, false);
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3}), z({4, 5})}, {z({2, 5})},
                 "inner dimensions differ: A has 3, B has 4");
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3}), z({3, 5}), z({3})}, {z({2, 5})},
                 "C does not broadcast to [2, 5]");
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3}), z({3, 5})}, {z({5, 2})},
                 "output Y must be [2, 5]");
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3, 1}), z({3, 5})}, {z({2, 5})},
                 "A and B must be 2-D");
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3})}, {z({2, 5})}, "expects inputs A, B");
  ExpectRejected(efm::OpType::Gemm, gemm, {z({2, 3}), HostT::I32({3, 5}, std::vector<int32_t>(15))},
                 {z({2, 5})}, "B must be f32");
  ExpectRejected(efm::OpType::Gemm, GemmOpts(1, 1, false, false, efm::FusedActivation::Clip, 1, 0),
                 {z({2, 3}), z({3, 5})}, {z({2, 5})}, "invalid fused activation");
  ExpectRejected(efm::OpType::MatMul, MatMulOpts(), {z({2, 3, 4}), z({3, 4, 5})}, {z({3, 3, 5})},
                 "batch dimension 0 does not broadcast: 2 vs 3");
  ExpectRejected(efm::OpType::MatMul, MatMulOpts(), {z({3, 4}), z({5})}, {z({3})},
                 "inner dimensions differ");
  ExpectRejected(efm::OpType::MatMul, MatMulOpts(), {z({3, 4}), z({4, 5})}, {z({3, 4})},
                 "output Y has the wrong shape");
  ExpectRejected(efm::OpType::MatMul, MatMulOpts(), {z({}), z({4, 5})}, {z({5})}, "rank >= 1");
}

}  // namespace
}  // namespace edge::runtime
