// Test-only helpers for the kernel tests (ops_dense_test.cc, ops_conv_test.cc, ops_rnn_test.cc):
// owning host tensors, an Op flatbuffer builder, Prepare + Eval through the dispatch table with
// real scratch, tolerance checks, and the case structs that the generated golden fixtures in
// tests/fixtures/kernels/*.inc initialise.
#pragma once

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "edge/runtime/diagnostic.h"
#include "edge/runtime/efm_generated.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/runtime/tensor.h"

namespace edge::runtime::kernel_test {

// An f32 (or i32) tensor owned by the test; absent when !present.
struct HostT {
  bool present = true;
  DType dtype = DType::kF32;
  std::vector<int32_t> shape;
  std::vector<float> f;
  std::vector<int32_t> i;

  static HostT F32(std::vector<int32_t> shape, std::vector<float> data) {
    HostT t;
    t.shape = std::move(shape);
    t.f = std::move(data);
    return t;
  }
  static HostT Zeros(std::vector<int32_t> shape) {
    HostT t;
    t.shape = std::move(shape);
    t.f.assign(static_cast<size_t>(t.elements()), 0.0f);
    return t;
  }
  static HostT Random(std::vector<int32_t> shape, std::mt19937* rng, float lo = -1.0f,
                      float hi = 1.0f) {
    HostT t = Zeros(std::move(shape));
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& v : t.f) v = d(*rng);
    return t;
  }
  static HostT I32(std::vector<int32_t> shape, std::vector<int32_t> data) {
    HostT t;
    t.dtype = DType::kI32;
    t.shape = std::move(shape);
    t.i = std::move(data);
    return t;
  }
  static HostT Absent() {
    HostT t;
    t.present = false;
    return t;
  }
  int64_t elements() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
  Tensor view() {
    Tensor v;
    v.present = present;
    if (!present) return v;
    v.dtype = dtype;
    v.shape.rank = static_cast<int>(shape.size());
    for (size_t k = 0; k < shape.size(); ++k) v.shape.dims[k] = shape[k];
    v.data = dtype == DType::kI32 ? static_cast<void*>(i.data()) : static_cast<void*>(f.data());
    return v;
  }
};

// A serialized efm::Op. `options` builds the options table (may be null).
using OptionsFn = std::function<std::pair<efm::OpOptions, flatbuffers::Offset<void>>(
    flatbuffers::FlatBufferBuilder&)>;

class OpBuf {
 public:
  OpBuf(efm::OpType type, const OptionsFn& options, const char* name = "node") {
    std::pair<efm::OpOptions, flatbuffers::Offset<void>> o{efm::OpOptions::NONE, 0};
    if (options) o = options(fbb_);
    auto n = fbb_.CreateString(name);
    fbb_.Finish(efm::CreateOp(fbb_, type, 0, 0, o.first, o.second, 0, 0, n));
    op_ = flatbuffers::GetRoot<efm::Op>(fbb_.GetBufferPointer());
  }
  const efm::Op* op() const { return op_; }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
  const efm::Op* op_ = nullptr;
};

struct RunResult {
  Status status;
  std::string diag;
  size_t scratch_bytes = 0;
};

// Prepare with null data pointers, then (if that succeeded and `eval`) Eval with a scratch buffer
// of exactly the reported size whose start is 16-byte aligned but deliberately not 64-aligned.
inline RunResult RunKernel(efm::OpType type, const OptionsFn& options,
                           const std::vector<HostT*>& inputs, const std::vector<HostT*>& outputs,
                           bool reference, bool eval = true) {
  OpBuf buf(type, options);
  Diagnostic diag;
  OpContext ctx;
  ctx.op = buf.op();
  ctx.type = type;
  ctx.index = 7;
  ctx.num_inputs = static_cast<int>(inputs.size());
  ctx.num_outputs = static_cast<int>(outputs.size());
  ctx.diag = &diag;
  ctx.reference = reference;
  for (size_t k = 0; k < inputs.size(); ++k) {
    ctx.inputs[k] = inputs[k]->view();
    ctx.inputs[k].data = nullptr;
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    ctx.outputs[k] = outputs[k]->view();
    ctx.outputs[k].data = nullptr;
  }
  RunResult r;
  r.status = PrepareOp(ctx, &r.scratch_bytes);
  r.diag = diag.text();
  if (!r.status.ok() || !eval) return r;
  for (size_t k = 0; k < inputs.size(); ++k) ctx.inputs[k] = inputs[k]->view();
  for (size_t k = 0; k < outputs.size(); ++k) ctx.outputs[k] = outputs[k]->view();
  std::vector<uint8_t> scratch(r.scratch_bytes + 128, 0xAB);
  uintptr_t base = reinterpret_cast<uintptr_t>(scratch.data());
  base = (base + 63) / 64 * 64 + 16;  // 16-byte aligned, not 64-byte aligned
  ctx.scratch = r.scratch_bytes > 0 ? reinterpret_cast<void*>(base) : nullptr;
  ctx.scratch_bytes = r.scratch_bytes;
  r.status = EvalOp(ctx);
  r.diag = diag.text();
  return r;
}

// |got - want| <= atol + rtol * |want| for every element.
inline void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, float atol,
                        float rtol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const float tol = atol + rtol * std::fabs(want[k]);
    if (!(std::fabs(got[k] - want[k]) <= tol)) {
      if (++bad <= 5) {
        ADD_FAILURE() << what << ": element " << k << " is " << got[k] << ", want " << want[k];
      }
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << got.size() << " elements differ";
}

// ---- golden fixture cases (tests/fixtures/kernels/*.inc) ----

struct Fx {
  bool present;
  std::vector<int32_t> shape;
  std::vector<float> data;
  HostT host() const { return present ? HostT::F32(shape, data) : HostT::Absent(); }
  HostT zeros_like() const { return present ? HostT::Zeros(shape) : HostT::Absent(); }
};

struct DenseCase {
  const char* name;
  bool gemm;  // else MatMul
  float alpha, beta;
  bool trans_a, trans_b;
  Fx a, b, c, y;
};

struct ConvCase {
  const char* name;
  bool transpose;
  std::vector<int32_t> strides, pads, dilations, output_padding;
  int group;
  Fx x, w, b, y;
};

struct PoolCase {
  const char* name;
  efm::OpType type;
  std::vector<int32_t> kernel, strides, pads, dilations;
  bool count_include_pad;
  Fx x, y;
};

struct BatchNormCase {
  const char* name;
  float epsilon;
  Fx x, scale, b, mean, var, y;
};

struct RnnCase {
  const char* name;
  bool gru;
  efm::RnnDirection direction;
  int hidden;
  int layout;
  float clip;
  bool input_forget;
  bool linear_before_reset;
  Fx x, w, r, b;
  std::vector<int32_t> lens;
  bool has_lens;
  Fx h0, c0, p, y, yh, yc;
};

}  // namespace edge::runtime::kernel_test
