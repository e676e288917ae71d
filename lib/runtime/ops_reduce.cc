// ReduceMean, ReduceSum, ReduceMax, ReduceMin over ReduceOptions.axes (sorted, non-negative;
// empty = every axis) with keepdims. f32; i32 too for Sum (wrapping), Max and Min.
//
// Empty reductions give the identity: Sum 0, Mean NaN (0/0), Max -inf / INT32_MIN, Min +inf /
// INT32_MAX. NaN propagates through Max and Min, as numpy's.
//
// The optimised loop merges neighbouring axes that are all reduced or all kept, initialises the
// output and streams the input once: rows along a reduced innermost axis collapse to one value
// (f32 sums in 8 lanes, which vectorises and loses less precision than one running sum), rows
// along a kept innermost axis accumulate elementwise into the output. With OpContext::reference
// every input element is mapped to its output element by plain index arithmetic instead.
#include <cmath>
#include <cstdint>

#include "edge/runtime/internal/kernel_checks.h"
#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::runtime {
namespace {

using efm::OpType;

struct SumF {
  static float Init() { return 0.0f; }
  static float Apply(float acc, float v) { return acc + v; }
};
struct MaxF {
  static float Init() { return -INFINITY; }
  static float Apply(float acc, float v) { return (v > acc || v != v) ? v : acc; }
};
struct MinF {
  static float Init() { return INFINITY; }
  static float Apply(float acc, float v) { return (v < acc || v != v) ? v : acc; }
};
struct SumI {
  static int32_t Init() { return 0; }
  static int32_t Apply(int32_t acc, int32_t v) {
    return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(v));
  }
};
struct MaxI {
  static int32_t Init() { return INT32_MIN; }
  static int32_t Apply(int32_t acc, int32_t v) { return v > acc ? v : acc; }
};
struct MinI {
  static int32_t Init() { return INT32_MAX; }
  static int32_t Apply(int32_t acc, int32_t v) { return v < acc ? v : acc; }
};

template <class R, class T>
T ReduceRow(const T* x, Index n) {
  T acc = R::Init();
  for (Index i = 0; i < n; ++i) acc = R::Apply(acc, x[i]);
  return acc;
}

template <>
float ReduceRow<SumF, float>(const float* x, Index n) {
  constexpr int kLanes = 8;
  float lane[kLanes] = {};
  Index i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lane[l] += x[i + l];
  }
  float acc =
      ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; i < n; ++i) acc += x[i];
  return acc;
}

// Which input axes are reduced (every axis when `axes` is empty or absent).
void ReducedAxes(const efm::ReduceOptions* o, int rank, bool* reduced) {
  const bool all = o == nullptr || o->axes() == nullptr || o->axes()->size() == 0;
  for (int a = 0; a < rank; ++a) reduced[a] = all;
  if (all) return;
  for (uint32_t i = 0; i < o->axes()->size(); ++i) reduced[o->axes()->Get(i)] = true;
}

template <class R, class T>
EDGE_KERNEL_CLONES void ReduceRows(const T* x, T* y, int m, const Index* dims, const bool* red,
                                   const Index* out_stride) {
  const Index n = dims[m - 1];
  Index rows = 1;
  for (int g = 0; g < m - 1; ++g) rows *= dims[g];
  Index idx[kMaxRank] = {};
  Index off = 0;
  for (Index row = 0; row < rows; ++row, x += n) {
    if (red[m - 1]) {
      y[off] = R::Apply(y[off], ReduceRow<R>(x, n));
    } else {
      T* yr = y + off;
      for (Index j = 0; j < n; ++j) yr[j] = R::Apply(yr[j], x[j]);
    }
    for (int g = m - 2; g >= 0; --g) {
      off += out_stride[g];
      if (++idx[g] < dims[g]) break;
      off -= out_stride[g] * dims[g];
      idx[g] = 0;
    }
  }
}

template <class R, class T>
void ReduceRun(const OpContext& ctx, const bool* reduced) {
  const Shape& s = ctx.inputs[0].shape;
  const auto* x = static_cast<const T*>(ctx.inputs[0].data);
  auto* y = static_cast<T*>(ctx.outputs[0].data);
  const Index out_n = ctx.outputs[0].elements();
  for (Index i = 0; i < out_n; ++i) y[i] = R::Init();
  const Index in_n = s.elements();
  if (in_n == 0) return;
  if (ctx.reference) {
    Index out_stride[kMaxRank] = {};  // 0 along reduced axes
    Index running = 1;
    for (int a = s.rank - 1; a >= 0; --a) {
      out_stride[a] = reduced[a] ? 0 : running;
      if (!reduced[a]) running *= s.dims[a];
    }
    for (Index i = 0; i < in_n; ++i) {
      Index rem = i;
      Index o = 0;
      for (int a = s.rank - 1; a >= 0; --a) {
        o += (rem % s.dims[a]) * out_stride[a];
        rem /= s.dims[a];
      }
      y[o] = R::Apply(y[o], x[i]);
    }
    return;
  }
  // Merge neighbouring axes that are all reduced or all kept; size-1 axes change nothing.
  Index dims[kMaxRank] = {};
  bool red[kMaxRank] = {};
  int m = 0;
  for (int a = 0; a < s.rank; ++a) {
    if (s.dims[a] == 1) continue;
    if (m > 0 && red[m - 1] == reduced[a]) {
      dims[m - 1] *= s.dims[a];
    } else {
      dims[m] = s.dims[a];
      red[m] = reduced[a];
      ++m;
    }
  }
  if (m == 0) {  // one element
    y[0] = R::Apply(y[0], x[0]);
    return;
  }
  Index out_stride[kMaxRank] = {};
  Index running = 1;
  for (int g = m - 1; g >= 0; --g) {
    out_stride[g] = red[g] ? 0 : running;
    if (!red[g]) running *= dims[g];
  }
  ReduceRows<R>(x, y, m, dims, red, out_stride);
}

}  // namespace

Status PrepareReduce(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  // Input 1 (ONNX's `axes` input, opset 18) may still be attached; the options hold the axes.
  EDGE_TRY(CheckArity(ctx, 1, 2, 1));
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  if (in.dtype != out.dtype) {
    return OpFail(ctx, "input is ", DTypeText(in.dtype), " but output is ", DTypeText(out.dtype));
  }
  const bool int_ok = ctx.type != OpType::ReduceMean;
  if (in.dtype != DType::kF32 && !(in.dtype == DType::kI32 && int_ok)) {
    return OpFail(ctx, "dtype ", DTypeText(in.dtype), " not supported (",
                  int_ok ? "f32 or i32" : "f32 only", ")");
  }
  if (ctx.type < OpType::ReduceMean || ctx.type > OpType::ReduceMin) {
    return OpFail(ctx, "not a reduce op");
  }
  // Absent options are ONNX's defaults: every axis, keepdims.
  const efm::ReduceOptions* o = ctx.op != nullptr ? ctx.op->options_as_ReduceOptions() : nullptr;
  const int r = in.shape.rank;
  if (o != nullptr && o->axes() != nullptr) {
    int prev = -1;
    for (uint32_t i = 0; i < o->axes()->size(); ++i) {
      const int a = o->axes()->Get(i);
      if (a <= prev || a >= r) {
        return OpFail(ctx, "axes must be increasing and in [0,", r, "), entry ", i, " is ", a);
      }
      prev = a;
    }
  }
  bool reduced[kMaxRank] = {};
  ReducedAxes(o, r, reduced);
  const bool keepdims = o == nullptr || o->keepdims();
  Shape want;
  for (int a = 0; a < r; ++a) {
    if (!reduced[a]) {
      want.dims[want.rank++] = in.shape.dims[a];
    } else if (keepdims) {
      want.dims[want.rank++] = 1;
    }
  }
  if (out.shape != want) {
    return OpFail(ctx, "output shape ", ShapeText(out.shape).str, ", expected ",
                  ShapeText(want).str, keepdims ? " (keepdims)" : " (no keepdims)");
  }
  return OkStatus();
}

Status EvalReduce(const OpContext& ctx) {
  const efm::ReduceOptions* o = ctx.op != nullptr ? ctx.op->options_as_ReduceOptions() : nullptr;
  const Shape& s = ctx.inputs[0].shape;
  bool reduced[kMaxRank] = {};
  ReducedAxes(o, s.rank, reduced);
  if (ctx.inputs[0].dtype == DType::kI32) {
    switch (ctx.type) {
      case OpType::ReduceSum:
        ReduceRun<SumI, int32_t>(ctx, reduced);
        break;
      case OpType::ReduceMax:
        ReduceRun<MaxI, int32_t>(ctx, reduced);
        break;
      case OpType::ReduceMin:
        ReduceRun<MinI, int32_t>(ctx, reduced);
        break;
      default:
        return Status::Unimplemented();
    }
    return OkStatus();
  }
  switch (ctx.type) {
    case OpType::ReduceMean: {
      ReduceRun<SumF, float>(ctx, reduced);
      Index count = 1;
      for (int a = 0; a < s.rank; ++a) count *= reduced[a] ? s.dims[a] : 1;
      const auto divisor = static_cast<float>(count);
      float* y = ctx.outputs[0].f32();
      const Index n = ctx.outputs[0].elements();
      for (Index i = 0; i < n; ++i) y[i] = y[i] / divisor;
      break;
    }
    case OpType::ReduceSum:
      ReduceRun<SumF, float>(ctx, reduced);
      break;
    case OpType::ReduceMax:
      ReduceRun<MaxF, float>(ctx, reduced);
      break;
    case OpType::ReduceMin:
      ReduceRun<MinF, float>(ctx, reduced);
      break;
    default:
      return Status::Unimplemented();
  }
  return OkStatus();
}

}  // namespace edge::runtime
