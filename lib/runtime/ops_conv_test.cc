// Tests for Conv, ConvTranspose, pooling and BatchNormalization (ops_conv.cc): golden values
// computed by torch (tests/fixtures/kernels/make_kernel_fixtures.py), optimised against
// reference kernels on random geometries, and Prepare's checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "edge/runtime/internal/op_context.h"
#include "kernel_test_private.h"

namespace edge::runtime {
namespace {

using kernel_test::BatchNormCase;
using kernel_test::ConvCase;
using kernel_test::ExpectClose;
using kernel_test::HostT;
using kernel_test::OptionsFn;
using kernel_test::PoolCase;
using kernel_test::RunKernel;
using kernel_test::RunResult;

#include "../../tests/fixtures/kernels/batchnorm_fixtures.inc"
#include "../../tests/fixtures/kernels/conv_fixtures.inc"
#include "../../tests/fixtures/kernels/pool_fixtures.inc"

using Ints = std::vector<int32_t>;

OptionsFn ConvOpts(Ints strides, Ints pads, Ints dilations, int group, Ints output_padding = {},
                   efm::FusedActivation act = efm::FusedActivation::None, float lo = 0.0f,
                   float hi = 0.0f, Ints kernel_shape = {}) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    auto o =
        efm::CreateConvOptionsDirect(fbb, kernel_shape.empty() ? nullptr : &kernel_shape, &strides,
                                     &pads, &dilations, group, &output_padding, act, lo, hi);
    return std::make_pair(efm::OpOptions::ConvOptions, o.Union());
  };
}

OptionsFn PoolOpts(Ints kernel, Ints strides, Ints pads, Ints dilations, bool include_pad) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    auto o = efm::CreatePoolOptionsDirect(fbb, &kernel, &strides, &pads, &dilations, include_pad);
    return std::make_pair(efm::OpOptions::PoolOptions, o.Union());
  };
}

OptionsFn BatchNormOpts(float eps, efm::FusedActivation act = efm::FusedActivation::None) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(efm::OpOptions::BatchNormOptions,
                          efm::CreateBatchNormOptions(fbb, eps, act).Union());
  };
}

RunResult RunConvCase(const ConvCase& c, bool reference, HostT* y,
                      efm::FusedActivation act = efm::FusedActivation::None) {
  HostT x = c.x.host(), w = c.w.host(), b = c.b.host();
  *y = c.y.zeros_like();
  return RunKernel(c.transpose ? efm::OpType::ConvTranspose : efm::OpType::Conv,
                   ConvOpts(c.strides, c.pads, c.dilations, c.group, c.output_padding, act),
                   {&x, &w, &b}, {y}, reference);
}

TEST(ConvKernels, GoldenConvAndConvTransposeMatchTorch) {
  for (const ConvCase& c : kConvCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reference ? " (reference)" : ""));
      HostT y;
      RunResult r = RunConvCase(c, reference, &y);
      ASSERT_TRUE(r.status.ok()) << r.diag;
      ExpectClose(y.f, c.y.data, 2e-5f, 1e-4f, c.name);
    }
  }
}

TEST(ConvKernels, FusedReluIsAppliedToConvAndConvTranspose) {
  for (const ConvCase& c : kConvCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(c.name);
      HostT y;
      ASSERT_TRUE(RunConvCase(c, reference, &y, efm::FusedActivation::Relu).status.ok());
      std::vector<float> want = c.y.data;
      for (float& v : want) v = std::max(v, 0.0f);
      ExpectClose(y.f, want, 2e-5f, 1e-4f, c.name);
    }
  }
}

TEST(ConvKernels, GoldenPoolingMatchesTorch) {
  for (const PoolCase& c : kPoolCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reference ? " (reference)" : ""));
      HostT x = c.x.host(), y = c.y.zeros_like();
      OptionsFn opts;
      if (!c.kernel.empty()) {
        opts = PoolOpts(c.kernel, c.strides, c.pads, c.dilations, c.count_include_pad);
      }
      RunResult r = RunKernel(c.type, opts, {&x}, {&y}, reference);
      ASSERT_TRUE(r.status.ok()) << r.diag;
      ExpectClose(y.f, c.y.data, 1e-5f, 1e-5f, c.name);
    }
  }
}

TEST(ConvKernels, GoldenBatchNormMatchesTorch) {
  for (const BatchNormCase& c : kBatchNormCases) {
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reference ? " (reference)" : ""));
      HostT x = c.x.host(), s = c.scale.host(), b = c.b.host(), m = c.mean.host();
      HostT v = c.var.host(), y = c.y.zeros_like();
      RunResult r = RunKernel(efm::OpType::BatchNormalization, BatchNormOpts(c.epsilon),
                              {&x, &s, &b, &m, &v}, {&y}, reference);
      ASSERT_TRUE(r.status.ok()) << r.diag;
      ExpectClose(y.f, c.y.data, 1e-5f, 1e-5f, c.name);
      r = RunKernel(efm::OpType::BatchNormalization,
                    BatchNormOpts(c.epsilon, efm::FusedActivation::Relu), {&x, &s, &b, &m, &v},
                    {&y}, reference);
      ASSERT_TRUE(r.status.ok()) << r.diag;
      std::vector<float> want = c.y.data;
      for (float& f : want) f = std::max(f, 0.0f);
      ExpectClose(y.f, want, 1e-5f, 1e-5f, c.name);
    }
  }
}

int Pick(std::mt19937* rng, int lo, int hi) {
  return lo + static_cast<int>((*rng)() % (hi - lo + 1));
}

// Optimised (im2col + GEMM, several tiles when large) and reference Conv agree on random 1-D and
// 2-D geometries.
TEST(ConvKernels, ConvOptimisedMatchesReferenceOnRandomGeometries) {
  std::mt19937 rng(11);
  int tested = 0;
  for (int iter = 0; iter < 400 && tested < 150; ++iter) {
    const int sp = Pick(&rng, 1, 2);
    const int group = (rng() % 3 == 0) ? Pick(&rng, 2, 4) : 1;
    const int cg = Pick(&rng, 1, iter % 10 == 0 ? 40 : 5), ocg = Pick(&rng, 1, 6);
    const int n = Pick(&rng, 1, 2);
    Ints x_shape = {n, cg * group}, w_shape = {ocg * group, cg}, y_shape = {n, ocg * group};
    Ints strides, dil, pads(2 * sp);
    bool ok = true;
    for (int i = 0; i < sp; ++i) {
      const int in = Pick(&rng, 1, sp == 1 ? 70 : 24), k = Pick(&rng, 1, 4);
      const int s = Pick(&rng, 1, 3), d = Pick(&rng, 1, 3);
      pads[i] = Pick(&rng, 0, 3);
      pads[sp + i] = Pick(&rng, 0, 3);
      const int num = in + pads[i] + pads[sp + i] - (d * (k - 1) + 1);
      if (num < 0) ok = false;
      x_shape.push_back(in);
      w_shape.push_back(k);
      y_shape.push_back(num < 0 ? 1 : num / s + 1);
      strides.push_back(s);
      dil.push_back(d);
    }
    if (!ok) continue;
    ++tested;
    HostT x = HostT::Random(x_shape, &rng), w = HostT::Random(w_shape, &rng);
    HostT b = rng() % 2 ? HostT::Random({ocg * group}, &rng) : HostT::Absent();
    HostT y0 = HostT::Zeros(y_shape), y1 = HostT::Zeros(y_shape);
    const auto act = static_cast<efm::FusedActivation>(rng() % 3);
    auto opts = ConvOpts(strides, pads, dil, group, {}, act, -0.5f, 0.5f);
    RunResult r0 = RunKernel(efm::OpType::Conv, opts, {&x, &w, &b}, {&y0}, false);
    RunResult r1 = RunKernel(efm::OpType::Conv, opts, {&x, &w, &b}, {&y1}, true);
    ASSERT_TRUE(r0.status.ok()) << r0.diag;
    ASSERT_TRUE(r1.status.ok()) << r1.diag;
    SCOPED_TRACE("iter " + std::to_string(iter));
    ExpectClose(y0.f, y1.f, 2e-5f, 1e-5f, "conv");
  }
  EXPECT_GE(tested, 100);
}

TEST(ConvKernels, ConvTransposeOptimisedMatchesReferenceOnRandomGeometries) {
  std::mt19937 rng(12);
  for (int iter = 0; iter < 120; ++iter) {
    const int sp = Pick(&rng, 1, 2);
    const int group = (rng() % 3 == 0) ? Pick(&rng, 2, 3) : 1;
    const int cg = Pick(&rng, 1, iter % 10 == 0 ? 30 : 4), ocg = Pick(&rng, 1, 4);
    const int n = Pick(&rng, 1, 2);
    Ints x_shape = {n, cg * group}, w_shape = {cg * group, ocg}, y_shape = {n, ocg * group};
    Ints strides, dil, pads(2 * sp), out_pad;
    bool ok = true;
    for (int i = 0; i < sp; ++i) {
      const int in = Pick(&rng, 1, sp == 1 ? 60 : 20), k = Pick(&rng, 1, 4);
      const int s = Pick(&rng, 1, 3), d = Pick(&rng, 1, 2);
      const int op = Pick(&rng, 0, std::max(s, d) - 1);
      pads[i] = Pick(&rng, 0, 2);
      pads[sp + i] = Pick(&rng, 0, 2);
      const int out = s * (in - 1) + op + (k - 1) * d + 1 - pads[i] - pads[sp + i];
      if (out < 1) ok = false;
      x_shape.push_back(in);
      w_shape.push_back(k);
      y_shape.push_back(out);
      strides.push_back(s);
      dil.push_back(d);
      out_pad.push_back(op);
    }
    if (!ok) continue;
    HostT x = HostT::Random(x_shape, &rng), w = HostT::Random(w_shape, &rng);
    HostT b = rng() % 2 ? HostT::Random({ocg * group}, &rng) : HostT::Absent();
    HostT y0 = HostT::Zeros(y_shape), y1 = HostT::Zeros(y_shape);
    auto opts = ConvOpts(strides, pads, dil, group, out_pad);
    RunResult r0 = RunKernel(efm::OpType::ConvTranspose, opts, {&x, &w, &b}, {&y0}, false);
    RunResult r1 = RunKernel(efm::OpType::ConvTranspose, opts, {&x, &w, &b}, {&y1}, true);
    ASSERT_TRUE(r0.status.ok()) << r0.diag;
    ASSERT_TRUE(r1.status.ok()) << r1.diag;
    SCOPED_TRACE("iter " + std::to_string(iter));
    ExpectClose(y0.f, y1.f, 2e-5f, 1e-5f, "convtranspose");
  }
}

// Windows clipped at both ends, floor and ceil output sizes, dilations, 1-D to 3-D.
TEST(ConvKernels, PoolOptimisedMatchesReferenceOnRandomGeometries) {
  std::mt19937 rng(13);
  for (int iter = 0; iter < 300; ++iter) {
    const int sp = Pick(&rng, 1, 3);
    const bool is_max = rng() % 2;
    Ints x_shape = {Pick(&rng, 1, 2), Pick(&rng, 1, 3)}, y_shape = x_shape;
    Ints k, s, d, pads(2 * sp);
    bool ok = true;
    for (int i = 0; i < sp; ++i) {
      const int in = Pick(&rng, 1, sp == 3 ? 6 : 12);
      k.push_back(Pick(&rng, 1, 4));
      s.push_back(Pick(&rng, 1, 3));
      d.push_back(Pick(&rng, 1, 2));
      pads[i] = Pick(&rng, 0, 2);
      pads[sp + i] = Pick(&rng, 0, 2);
      const int num = in + pads[i] + pads[sp + i] - (d[i] * (k[i] - 1) + 1);
      if (num < 0) ok = false;
      const bool ceil = rng() % 2;
      x_shape.push_back(in);
      y_shape.push_back(num < 0 ? 1 : (ceil ? (num + s[i] - 1) / s[i] : num / s[i]) + 1);
    }
    if (!ok) continue;
    HostT x = HostT::Random(x_shape, &rng);
    HostT y0 = HostT::Zeros(y_shape), y1 = HostT::Zeros(y_shape);
    const auto type = is_max ? efm::OpType::MaxPool : efm::OpType::AveragePool;
    auto opts = PoolOpts(k, s, pads, d, rng() % 2);
    RunResult r0 = RunKernel(type, opts, {&x}, {&y0}, false);
    RunResult r1 = RunKernel(type, opts, {&x}, {&y1}, true);
    ASSERT_TRUE(r0.status.ok()) << r0.diag;
    ASSERT_TRUE(r1.status.ok()) << r1.diag;
    SCOPED_TRACE("iter " + std::to_string(iter));
    // A window entirely in the padding averages nothing: NaN in both.
    for (size_t i = 0; i < y0.f.size(); ++i) {
      if (std::isnan(y1.f[i])) {
        EXPECT_TRUE(std::isnan(y0.f[i]));
        y0.f[i] = y1.f[i] = 0.0f;
      }
    }
    ExpectClose(y0.f, y1.f, 1e-6f, 1e-6f, "pool");
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
}

TEST(ConvKernels, PrepareRejectsInconsistentShapesWithAMessage) {
  auto z = [](Ints s) { return HostT::Zeros(std::move(s)); };
  auto conv = ConvOpts({1, 1}, {0, 0, 0, 0}, {1, 1}, 1);
  const auto kConv = efm::OpType::Conv;
  ExpectRejected(kConv, conv, {z({1, 3, 5, 5}), z({4, 3, 3, 3})}, {z({1, 4, 4, 3})},
                 "output Y spatial dims 4x3 differ from expected 3x3");
  ExpectRejected(kConv, conv, {z({1, 3, 5, 5}), z({4, 2, 3, 3})}, {z({1, 4, 3, 3})},
                 "W.dims[1] must be C/group = 3");
  ExpectRejected(kConv, ConvOpts({1, 1}, {0, 0, 0, 0}, {1, 1}, 2),
                 {z({1, 3, 5, 5}), z({4, 1, 3, 3})}, {z({1, 4, 3, 3})},
                 "channels 3 not divisible by group");
  ExpectRejected(kConv, conv, {z({1, 3, 5, 5}), z({4, 3, 3, 3}), z({3})}, {z({1, 4, 3, 3})},
                 "B must be [4]");
  ExpectRejected(kConv, conv, {z({1, 3, 2, 2}), z({4, 3, 3, 3})}, {z({1, 4, 1, 1})},
                 "the kernel does not fit");
  ExpectRejected(kConv, ConvOpts({1, 1, 1}, {0, 0, 0, 0, 0, 0}, {1, 1, 1}, 1),
                 {z({1, 1, 3, 3, 3}), z({1, 1, 1, 1, 1})}, {z({1, 1, 3, 3, 3})},
                 "only 1-D and 2-D");
  ExpectRejected(kConv, ConvOpts({1}, {0, 0}, {1}, 1), {z({1, 3, 5, 5}), z({4, 3, 3, 3})},
                 {z({1, 4, 3, 3})}, "length");
  ExpectRejected(kConv, ConvOpts({0, 1}, {0, 0, 0, 0}, {1, 1}, 1),
                 {z({1, 3, 5, 5}), z({4, 3, 3, 3})}, {z({1, 4, 3, 3})}, "strides and dilations");
  ExpectRejected(
      kConv,
      ConvOpts({1, 1}, {0, 0, 0, 0}, {1, 1}, 1, {}, efm::FusedActivation::None, 0, 0, {2, 2}),
      {z({1, 3, 5, 5}), z({4, 3, 3, 3})}, {z({1, 4, 3, 3})}, "kernel_shape does not match W");
  ExpectRejected(efm::OpType::ConvTranspose, ConvOpts({2, 2}, {0, 0, 0, 0}, {1, 1}, 1),
                 {z({1, 3, 4, 4}), z({3, 2, 3, 3})}, {z({1, 2, 8, 8})},
                 "output Y spatial dims 8x8 differ from expected 9x9");
  ExpectRejected(efm::OpType::ConvTranspose, ConvOpts({2, 2}, {0, 0, 0, 0}, {1, 1}, 1, {2, 0}),
                 {z({1, 3, 4, 4}), z({3, 2, 3, 3})}, {z({1, 2, 11, 9})},
                 "output_padding must be smaller");
  auto pool = PoolOpts({3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, false);
  ExpectRejected(efm::OpType::MaxPool, pool, {z({1, 2, 7, 7})}, {z({1, 2, 5, 4})},
                 "output Y spatial dim 0 is 5, expected 4 (floor) or 4 (ceil)");
  ExpectRejected(efm::OpType::MaxPool, pool, {z({1, 2, 7, 7})}, {z({1, 2, 4, 4}), z({1, 2, 4, 4})},
                 "Indices output is not supported");
  ExpectRejected(efm::OpType::AveragePool, nullptr, {z({1, 2, 7, 7})}, {z({1, 2, 4, 4})},
                 "missing kernel_shape");
  ExpectRejected(efm::OpType::GlobalAveragePool, nullptr, {z({1, 2, 7, 7})}, {z({1, 2, 1})},
                 "same rank");
  ExpectRejected(efm::OpType::GlobalMaxPool, nullptr, {z({1, 2, 7, 7})}, {z({1, 3, 1, 1})},
                 "output Y must be [N, C, 1, ...]");
  ExpectRejected(efm::OpType::BatchNormalization, BatchNormOpts(1e-5f),
                 {z({1, 3, 4}), z({3}), z({3}), z({2}), z({3})}, {z({1, 3, 4})},
                 "scale, B, mean and var must be [C]");
  ExpectRejected(efm::OpType::BatchNormalization, BatchNormOpts(1e-5f),
                 {z({1, 3, 4}), z({3}), z({3}), z({3})}, {z({1, 3, 4})}, "expects inputs");
}

}  // namespace
}  // namespace edge::runtime
