// Test-only (host): runs one kernel the way the interpreter does, without a model. OpHarness builds
// an efm::Op with flatbuffers, fills an OpContext over tensors it owns, and calls PrepareOp/EvalOp
// (dispatch.cc). Output buffers are poisoned before every Eval (so stale values never pass) and
// guarded by canary words after their end (so an out-of-bounds write fails the test).
//
//   OpHarness h(efm::OpType::Add);
//   h.In<float>({2, 3}, {...}).In<float>({3}, {...}).Out<float>({2, 3});
//   ASSERT_EQ(h.Prepare(), OkStatus()) << h.message();
//   ASSERT_EQ(h.Eval(), OkStatus()) << h.message();
//   ExpectNear(h.Result<float>(0), {...});
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "edge/runtime/internal/op_context.h"

namespace edge::runtime::testing {

inline Shape MakeShape(std::initializer_list<int32_t> dims) {
  Shape s;
  for (int32_t d : dims) s.dims[s.rank++] = d;
  return s;
}

template <class T>
constexpr DType DTypeOf() {
  if constexpr (std::is_same_v<T, float>) return DType::kF32;
  if constexpr (std::is_same_v<T, int32_t>) return DType::kI32;
  return DType::kI8;
}

class OpHarness {
 public:
  using OptionsFn = std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;

  explicit OpHarness(efm::OpType type, efm::OpOptions options_type = efm::OpOptions::NONE,
                     OptionsFn options = nullptr)
      : type_(type), options_type_(options_type), options_(std::move(options)) {}

  template <class T>
  OpHarness& In(std::initializer_list<int32_t> dims, std::vector<T> values) {
    return In<T>(MakeShape(dims), std::move(values));
  }
  template <class T>
  OpHarness& In(const Shape& shape, std::vector<T> values) {
    Buffer b;
    b.tensor.present = true;
    b.tensor.dtype = DTypeOf<T>();
    b.tensor.shape = shape;
    EXPECT_EQ(static_cast<int64_t>(values.size()), shape.elements()) << "input " << ins_.size();
    b.bytes.resize(values.size() * sizeof(T) + kCanaryBytes);
    if (!values.empty()) std::memcpy(b.bytes.data(), values.data(), values.size() * sizeof(T));
    ins_.push_back(std::move(b));
    return *this;
  }
  OpHarness& AbsentIn() {
    ins_.push_back(Buffer{});
    return *this;
  }
  template <class T>
  OpHarness& Out(std::initializer_list<int32_t> dims) {
    return Out<T>(MakeShape(dims));
  }
  template <class T>
  OpHarness& Out(const Shape& shape) {
    Buffer b;
    b.tensor.present = true;
    b.tensor.dtype = DTypeOf<T>();
    b.tensor.shape = shape;
    b.bytes.resize(static_cast<size_t>(shape.elements()) * sizeof(T) + kCanaryBytes);
    outs_.push_back(std::move(b));
    return *this;
  }

  // Builds the op and the context (data pointers null, as the interpreter's Create does) and runs
  // PrepareOp; on success allocates the scratch it asked for.
  Status Prepare() {
    fbb_.Clear();
    const flatbuffers::Offset<void> options = options_ ? options_(fbb_) : 0;
    const auto name = fbb_.CreateString("node");
    fbb_.Finish(efm::CreateOp(fbb_, type_, 0, 0, options_type_, options, 0, 0, name));
    ctx_ = OpContext{};
    ctx_.op = flatbuffers::GetRoot<efm::Op>(fbb_.GetBufferPointer());
    ctx_.type = type_;
    ctx_.index = 7;
    ctx_.num_inputs = static_cast<int>(ins_.size());
    ctx_.num_outputs = static_cast<int>(outs_.size());
    for (size_t i = 0; i < ins_.size(); ++i) ctx_.inputs[i] = ins_[i].tensor;
    for (size_t i = 0; i < outs_.size(); ++i) ctx_.outputs[i] = outs_[i].tensor;
    ctx_.diag = &diag_;
    diag_.Clear();
    size_t scratch_bytes = 0;
    const Status s = PrepareOp(ctx_, &scratch_bytes);
    if (s.ok()) {
      scratch_.assign((scratch_bytes + 15) / 16 + 1, Block{});
      scratch_bytes_ = scratch_bytes;
    }
    prepared_ = s.ok();
    return s;
  }

  // Runs EvalOp (Prepare must have succeeded) on poisoned outputs and checks the canaries.
  Status Eval(bool reference = false) {
    EXPECT_TRUE(prepared_) << "Prepare first";
    if (!prepared_) return Status::FailedPrecondition();
    for (size_t i = 0; i < ins_.size(); ++i) {
      ctx_.inputs[i].data = ins_[i].tensor.present ? ins_[i].bytes.data() : nullptr;
    }
    for (size_t i = 0; i < outs_.size(); ++i) {
      std::memset(outs_[i].bytes.data(), kPoison, outs_[i].bytes.size());
      ctx_.outputs[i].data = outs_[i].bytes.data();
    }
    ctx_.scratch = scratch_bytes_ > 0 ? scratch_.data() : nullptr;
    ctx_.scratch_bytes = scratch_bytes_;
    ctx_.reference = reference;
    diag_.Clear();
    const Status s = EvalOp(ctx_);
    for (size_t i = 0; i < outs_.size(); ++i) {
      const std::vector<uint8_t>& b = outs_[i].bytes;
      for (size_t k = b.size() - kCanaryBytes; k < b.size(); ++k) {
        EXPECT_EQ(b[k], kPoison) << "output " << i << " written past its end";
      }
    }
    return s;
  }

  template <class T>
  std::vector<T> Result(size_t i) const {
    std::vector<T> v(static_cast<size_t>(outs_[i].tensor.elements()));
    if (!v.empty()) std::memcpy(v.data(), outs_[i].bytes.data(), v.size() * sizeof(T));
    return v;
  }

  std::string message() const { return diag_.text(); }
  size_t scratch_bytes() const { return scratch_bytes_; }  // as reported by the last Prepare

 private:
  static constexpr size_t kCanaryBytes = 16;
  static constexpr uint8_t kPoison = 0xA5;  // 0xA5A5A5A5 as f32 is -2.9e-16: no expected value

  struct Buffer {
    Tensor tensor;
    std::vector<uint8_t> bytes;
  };
  struct alignas(16) Block {
    uint8_t b[16];
  };

  efm::OpType type_;
  efm::OpOptions options_type_;
  OptionsFn options_;
  std::vector<Buffer> ins_;
  std::vector<Buffer> outs_;
  flatbuffers::FlatBufferBuilder fbb_;
  OpContext ctx_;
  Diagnostic diag_;
  std::vector<Block> scratch_;
  size_t scratch_bytes_ = 0;
  bool prepared_ = false;
};

// |got - want| <= atol + rtol * |want| elementwise (the ONNX backend tests' rule); NaN == NaN.
inline void ExpectNear(const std::vector<float>& got, const std::vector<float>& want,
                       float atol = 1e-5f, float rtol = 1e-3f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": got " << got[i] << ", want NaN";
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    } else {
      EXPECT_LE(std::fabs(got[i] - want[i]), atol + rtol * std::fabs(want[i]))
          << "element " << i << ": got " << got[i] << ", want " << want[i];
    }
  }
}

}  // namespace edge::runtime::testing
