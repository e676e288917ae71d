// Checks and message helpers shared by the kernel files (ops_*.cc): input/output counts, dtype and
// shape text for OpFail messages, row-major strides. Not API; header-only so that it needs no build
// change. Everything here runs in Prepare (or formats a message), never in a hot loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/runtime/internal/op_context.h"
#include "edge/runtime/tensor.h"
#include "edge/status/try.h"

namespace edge::runtime {

// "[2,3,5]" ("[]" for a scalar). Pass `ShapeText(s).str` to OpFail: the temporary lives until the
// end of the full expression, i.e. until the message is written.
struct ShapeText {
  explicit ShapeText(const Shape& s) {
    size_t n = 0;
    str[n++] = '[';
    for (int i = 0; i < s.rank && i < kMaxRank; ++i) {
      if (i > 0) str[n++] = ',';
      char digits[12];
      int k = 0;
      int64_t v = s.dims[i];
      const bool negative = v < 0;
      if (negative) v = -v;
      do {
        digits[k++] = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v != 0 && k < 11);
      if (negative) str[n++] = '-';
      while (k > 0) str[n++] = digits[--k];
    }
    str[n++] = ']';
    str[n] = '\0';
  }
  char str[kMaxRank * 13 + 3];  // '[' + 8 x (',' + '-' + 11 digits) + ']' + NUL
};

inline const char* DTypeText(DType t) {
  switch (t) {
    case DType::kF32:
      return "f32";
    case DType::kI8:
      return "i8";
    case DType::kI32:
      return "i32";
  }
  return "unknown dtype";
}

// Input count in [min_inputs, max_inputs], exactly `outputs` outputs; inputs [0, min_inputs) and
// every output present.
inline Status CheckArity(const OpContext& ctx, int min_inputs, int max_inputs, int outputs) {
  if (ctx.num_inputs < min_inputs || ctx.num_inputs > max_inputs) {
    if (min_inputs == max_inputs) {
      return OpFail(ctx, "expects ", min_inputs, " inputs, got ", ctx.num_inputs);
    }
    return OpFail(ctx, "expects ", min_inputs, " to ", max_inputs, " inputs, got ", ctx.num_inputs);
  }
  if (ctx.num_outputs != outputs) {
    return OpFail(ctx, "expects ", outputs, " outputs, got ", ctx.num_outputs);
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (!ctx.inputs[i].present) return OpFail(ctx, "input ", i, " is required but absent");
  }
  for (int i = 0; i < outputs; ++i) {
    if (!ctx.outputs[i].present) return OpFail(ctx, "output ", i, " is required but absent");
  }
  return OkStatus();
}

// Every present input and every output has dtype `t`.
inline Status CheckAllDType(const OpContext& ctx, DType t) {
  for (int i = 0; i < ctx.num_inputs; ++i) {
    if (ctx.inputs[i].present && ctx.inputs[i].dtype != t) {
      return OpFail(ctx, "input ", i, " is ", DTypeText(ctx.inputs[i].dtype), ", expected ",
                    DTypeText(t));
    }
  }
  for (int i = 0; i < ctx.num_outputs; ++i) {
    if (ctx.outputs[i].dtype != t) {
      return OpFail(ctx, "output ", i, " is ", DTypeText(ctx.outputs[i].dtype), ", expected ",
                    DTypeText(t));
    }
  }
  return OkStatus();
}

// Element counts, indices and offsets in Eval loops: ptrdiff_t, i.e. 64-bit on hosts and 32-bit
// (one register, no carry arithmetic) on Cortex-M. Create bounds every tensor to 2 GiB and kernels
// return before looping over an empty output, so a non-empty tensor's indices always fit.
// Prepare keeps int64_t for arithmetic on dims and option values that could overflow 32 bits.
using Index = std::ptrdiff_t;

// Row-major element strides of `s` (strides[rank - 1] == 1).
inline void RowMajorStrides(const Shape& s, Index* strides) {
  Index n = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    strides[i] = n;
    n *= s.dims[i];
  }
}

// Product of dims [begin, end).
inline int64_t DimProduct(const Shape& s, int begin, int end) {
  int64_t n = 1;
  for (int i = begin; i < end; ++i) n *= s.dims[i];
  return n;
}

}  // namespace edge::runtime
