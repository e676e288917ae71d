// Private to lib/runtime: small helpers shared by the dense, convolution and recurrent kernels
// (ops_dense.cc, ops_conv.cc, ops_rnn.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::runtime::internal {

// Scratch sub-buffers start on 64-byte boundaries so that rows the kernels stream are aligned.
inline constexpr size_t kScratchAlign = 64;
inline constexpr size_t AlignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

// Carves consecutive float buffers out of the op's scratch. Used with a null base in Prepare
// to count the bytes (the base is only 16-byte aligned, so one alignment gap is reserved).
class ScratchCarver {
 public:
  explicit ScratchCarver(void* base) : base_(static_cast<uint8_t*>(base)) {}
  float* Take(size_t floats) {
    size_t at = AlignUp(used_ + Skew(), kScratchAlign) - Skew();
    used_ = at + floats * sizeof(float);
    return base_ == nullptr ? nullptr : reinterpret_cast<float*>(base_ + at);
  }
  // Bytes to request in Prepare (covers any 16-byte aligned base).
  size_t bytes() const { return used_ == 0 ? 0 : used_ + kScratchAlign; }
  // Bytes actually used from this base (Eval checks it against ctx.scratch_bytes).
  size_t used() const { return used_; }

 private:
  size_t Skew() const { return reinterpret_cast<uintptr_t>(base_) % kScratchAlign; }
  uint8_t* base_;
  size_t used_ = 0;
};

// Optional inputs/outputs: present and within the op's count.
inline bool HasInput(const OpContext& ctx, int i) {
  return i < ctx.num_inputs && ctx.inputs[i].present;
}
inline bool HasOutput(const OpContext& ctx, int i) {
  return i < ctx.num_outputs && ctx.outputs[i].present;
}

template <typename Options>
FusedAct FusedActOf(const Options* o) {
  FusedAct act;
  if (o != nullptr) {
    act.kind = o->activation();
    act.lo = o->act_min();
    act.hi = o->act_max();
  }
  return act;
}

inline bool FusedActValid(const FusedAct& act) {
  switch (act.kind) {
    case efm::FusedActivation::None:
    case efm::FusedActivation::Relu:
      return true;
    case efm::FusedActivation::Clip:
      return !(act.lo > act.hi);
  }
  return false;
}

}  // namespace edge::runtime::internal
