// Kernels for the ops appended to efm.fbs after GRU: ArgMax/ArgMin, LayerNormalization,
// InstanceNormalization, comparisons and logic (Equal Less LessOrEqual Greater GreaterOrEqual And
// Or Xor Not), Where, Mod, Cast, the unary functions Tan ThresholdedRelu Sign Round Shrink Celu,
// CumSum, Hardmax and LpNormalization.
//
// Dtypes: booleans are i32 tensors holding 0 or 1 (any non-zero input counts as true); ArgMax and
// ArgMin write i32 indices; comparisons take f32 or i32 operands; Where selects any dtype; Mod
// takes f32 (fmod only), i32 or i8; Cast converts between every pair of dtypes (CastOptions.to
// decides the integer width the value is wrapped to); Sign and CumSum take f32 or i32; the rest is
// f32.
//
// Broadcasting ops (comparisons, logic, Where, Mod) run per output row over per-input strides;
// with OpContext::reference every element's source offsets are recomputed from its flat index.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "edge/runtime/internal/kernel_checks.h"
#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::runtime {
namespace {

using efm::OpType;

// ---- numpy broadcasting over up to three inputs ----

constexpr int kMaxBroadcastIns = 3;

// Dim `i` of `in` with its dims right-aligned to `rank` axes (missing leading axes are 1).
int32_t AlignedDim(const Shape& in, int rank, int i) {
  const int lead = rank - in.rank;
  return i < lead ? 1 : in.dims[i - lead];
}

// Inputs [0, n) broadcast to the output, and the output is exactly their broadcast shape.
Status CheckBroadcast(const OpContext& ctx, int n) {
  const Shape& y = ctx.outputs[0].shape;
  int rank = 0;
  for (int k = 0; k < n; ++k) {
    const Shape& s = ctx.inputs[k].shape;
    rank = s.rank > rank ? s.rank : rank;
    bool ok = s.rank <= y.rank;
    for (int i = 0; i < y.rank && ok; ++i) {
      const int32_t d = AlignedDim(s, y.rank, i);
      ok = d == y.dims[i] || d == 1;
    }
    if (!ok) {
      return OpFail(ctx, "input ", k, " shape ", ShapeText(s).str, " does not broadcast to output ",
                    ShapeText(y).str);
    }
  }
  if (y.rank != rank) {
    return OpFail(ctx, "output rank ", y.rank, " is not the broadcast rank ", rank);
  }
  for (int i = 0; i < y.rank; ++i) {
    if (y.dims[i] == 1) continue;
    bool covered = false;
    for (int k = 0; k < n && !covered; ++k) {
      covered = AlignedDim(ctx.inputs[k].shape, y.rank, i) != 1;
    }
    if (!covered) {
      return OpFail(ctx, "output shape ", ShapeText(y).str,
                    " is not the broadcast of the input shapes");
    }
  }
  return OkStatus();
}

// Per input, the element stride along every output axis (0 where the input is broadcast).
struct Strides {
  int rank = 0;
  Index dims[kMaxRank] = {};
  Index s[kMaxBroadcastIns][kMaxRank] = {};
};

Strides MakeStrides(const OpContext& ctx, int n) {
  Strides st;
  const Shape& y = ctx.outputs[0].shape;
  st.rank = y.rank;
  for (int i = 0; i < y.rank; ++i) st.dims[i] = y.dims[i];
  for (int k = 0; k < n; ++k) {
    const Shape& in = ctx.inputs[k].shape;
    Index running = 1;
    for (int i = y.rank - 1; i >= 0; --i) {
      const int32_t d = AlignedDim(in, y.rank, i);
      st.s[k][i] = d == 1 ? 0 : running;
      running *= d;
    }
  }
  return st;
}

// Calls f(y_index, off[0], ..., off[n-1]) for every output element in order.
template <int N, class F>
void ForEachBroadcast(const OpContext& ctx, F f) {
  const Index total = ctx.outputs[0].elements();
  if (total == 0) return;
  const Strides st = MakeStrides(ctx, N);
  Index off[N] = {};
  if (ctx.reference || st.rank == 0) {
    for (Index i = 0; i < total; ++i) {
      Index flat = i;
      for (int k = 0; k < N; ++k) off[k] = 0;
      for (int d = st.rank - 1; d >= 0; --d) {
        const Index coord = flat % st.dims[d];
        flat /= st.dims[d];
        for (int k = 0; k < N; ++k) off[k] += coord * st.s[k][d];
      }
      f(i, off);
    }
    return;
  }
  const int last = st.rank - 1;
  const Index n = st.dims[last];
  Index inner[N];
  for (int k = 0; k < N; ++k) inner[k] = st.s[k][last];
  const Index rows = total / n;
  Index idx[kMaxRank] = {};
  Index row_off[N] = {};
  Index y = 0;
  for (Index r = 0; r < rows; ++r) {
    for (int k = 0; k < N; ++k) off[k] = row_off[k];
    for (Index j = 0; j < n; ++j, ++y) {
      f(y, off);
      for (int k = 0; k < N; ++k) off[k] += inner[k];
    }
    for (int d = last - 1; d >= 0; --d) {  // next row
      for (int k = 0; k < N; ++k) row_off[k] += st.s[k][d];
      if (++idx[d] < st.dims[d]) break;
      for (int k = 0; k < N; ++k) row_off[k] -= st.s[k][d] * st.dims[d];
      idx[d] = 0;
    }
  }
}

template <class T, class TY, class Op>
void RunBinaryBroadcast(const OpContext& ctx, Op op) {
  const auto* a = static_cast<const T*>(ctx.inputs[0].data);
  const auto* b = static_cast<const T*>(ctx.inputs[1].data);
  auto* y = static_cast<TY*>(ctx.outputs[0].data);
  ForEachBroadcast<2>(ctx, [&](Index i, const Index* off) { y[i] = op(a[off[0]], b[off[1]]); });
}

// ---- Compare / logic ----

bool IsComparison(OpType t) {
  return t == OpType::Equal || t == OpType::Less || t == OpType::LessOrEqual ||
         t == OpType::Greater || t == OpType::GreaterOrEqual;
}
bool IsLogic(OpType t) { return t == OpType::And || t == OpType::Or || t == OpType::Xor; }

template <class T>
Status RunCompare(const OpContext& ctx) {
  switch (ctx.type) {
    case OpType::Equal:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return a == b ? 1 : 0; });
      break;
    case OpType::Less:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return a < b ? 1 : 0; });
      break;
    case OpType::LessOrEqual:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return a <= b ? 1 : 0; });
      break;
    case OpType::Greater:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return a > b ? 1 : 0; });
      break;
    case OpType::GreaterOrEqual:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return a >= b ? 1 : 0; });
      break;
    case OpType::And:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return (a != 0 && b != 0) ? 1 : 0; });
      break;
    case OpType::Or:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return (a != 0 || b != 0) ? 1 : 0; });
      break;
    case OpType::Xor:
      RunBinaryBroadcast<T, int32_t>(ctx, [](T a, T b) { return ((a != 0) != (b != 0)) ? 1 : 0; });
      break;
    default:
      return Status::Unimplemented();
  }
  return OkStatus();
}

// ---- Mod ----

struct ModF {  // C fmod: the sign of the dividend
  static float Apply(float a, float b) { return std::fmod(a, b); }
};

// Integer remainder; x mod 0 is 0 (ONNX leaves it undefined) and INT_MIN mod -1 is 0.
template <class T>
T IntMod(T a, T b, bool fmod) {
  if (b == 0 || b == -1) return 0;
  const T r = static_cast<T>(a % b);
  if (!fmod && r != 0 && ((r < 0) != (b < 0))) return static_cast<T>(r + b);
  return r;
}

// ---- Cast ----

int32_t FloatToI32(float v) {  // NaN -> 0, truncation toward zero, saturating
  if (v != v) return 0;
  if (v >= 2147483648.0f) return INT32_MAX;
  if (v <= -2147483648.0f) return INT32_MIN;
  return static_cast<int32_t>(v);
}

// An i32 value wrapped to the target's width (two's complement), as the target is stored at
// run time (i32 for everything but Int8).
int32_t WrapTo(int32_t v, efm::CastTarget to) {
  switch (to) {
    case efm::CastTarget::Bool:
      return v != 0 ? 1 : 0;
    case efm::CastTarget::Uint8:
      return static_cast<int32_t>(static_cast<uint32_t>(v) & 0xffu);
    case efm::CastTarget::Int8: {
      const uint32_t u = static_cast<uint32_t>(v) & 0xffu;
      return u >= 0x80u ? static_cast<int32_t>(u) - 0x100 : static_cast<int32_t>(u);
    }
    case efm::CastTarget::Int16: {
      const uint32_t u = static_cast<uint32_t>(v) & 0xffffu;
      return u >= 0x8000u ? static_cast<int32_t>(u) - 0x10000 : static_cast<int32_t>(u);
    }
    default:
      return v;
  }
}

DType CastOutputDType(efm::CastTarget to) {
  switch (to) {
    case efm::CastTarget::Float:
      return DType::kF32;
    case efm::CastTarget::Int8:
      return DType::kI8;
    default:
      return DType::kI32;
  }
}

template <class TX>
void CastFrom(const TX* x, const Tensor& out, efm::CastTarget to, Index n) {
  for (Index i = 0; i < n; ++i) {
    int32_t v;
    if constexpr (std::is_same_v<TX, float>) {
      if (to == efm::CastTarget::Float) {
        out.f32()[i] = x[i];
        continue;
      }
      v = to == efm::CastTarget::Bool ? (x[i] != 0.0f ? 1 : 0) : FloatToI32(x[i]);
    } else {
      if (to == efm::CastTarget::Float) {
        out.f32()[i] = static_cast<float>(x[i]);
        continue;
      }
      v = static_cast<int32_t>(x[i]);
    }
    v = WrapTo(v, to);
    if (to == efm::CastTarget::Int8) {
      out.i8()[i] = static_cast<int8_t>(v);
    } else {
      out.i32()[i] = v;
    }
  }
}

// ---- extra unary ----

bool IsExtraUnary(OpType t) {
  return t == OpType::Not || t == OpType::Tan || t == OpType::ThresholdedRelu ||
         t == OpType::Sign || t == OpType::Round || t == OpType::Shrink || t == OpType::Celu;
}

template <class F>
EDGE_KERNEL_CLONES void MapF(const float* x, float* y, Index n, F f) {
  for (Index i = 0; i < n; ++i) y[i] = f(x[i]);
}

inline float RoundHalfEven(float v) {
  if (!std::isfinite(v)) return v;
  const float r = std::floor(v);
  const float diff = v - r;  // exact for |v| < 2^24; 0 above (already integral)
  if (diff > 0.5f) return r + 1.0f;
  if (diff < 0.5f) return r;
  return std::fmod(r, 2.0f) == 0.0f ? r : r + 1.0f;
}

// ---- shared axis helpers ----

// [outer, n, inner] around `axis` (legacy: [prod(dims[:axis]), prod(dims[axis:]), 1]).
void AxisSplit(const Shape& s, int axis, bool legacy, Index* outer, Index* n, Index* inner) {
  *outer = DimProduct(s, 0, axis);
  *n = legacy ? DimProduct(s, axis, s.rank) : s.dims[axis];
  *inner = legacy ? 1 : DimProduct(s, axis + 1, s.rank);
}

// Scale/bias of LayerNormalization: after dropping leading 1s its dims equal X's dims [axis, rank)
// after dropping leading 1s (so element k of the flattened normalised block uses element k).
bool MatchesTrailing(const Shape& p, const Shape& x, int axis) {
  int a = 0;
  while (a < p.rank && p.dims[a] == 1) ++a;
  int b = axis;
  while (b < x.rank && x.dims[b] == 1) ++b;
  if (p.rank - a != x.rank - b) return false;
  for (int i = 0; i < p.rank - a; ++i) {
    if (p.dims[a + i] != x.dims[b + i]) return false;
  }
  return true;
}

Status CheckSameShape(const OpContext& ctx) {
  if (ctx.inputs[0].shape != ctx.outputs[0].shape) {
    return OpFail(ctx, "output shape ", ShapeText(ctx.outputs[0].shape).str,
                  " differs from input shape ", ShapeText(ctx.inputs[0].shape).str);
  }
  return OkStatus();
}

}  // namespace

// ---- ArgMax / ArgMin ----

Status PrepareArg(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  if (x.dtype != DType::kF32 && x.dtype != DType::kI32) {
    return OpFail(ctx, "input is ", DTypeText(x.dtype), ", expected f32 or i32");
  }
  if (y.dtype != DType::kI32)
    return OpFail(ctx, "output is ", DTypeText(y.dtype), ", expected i32");
  const efm::ArgOptions* o = ctx.op != nullptr ? ctx.op->options_as_ArgOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs ArgOptions");
  if (x.shape.rank == 0) return OpFail(ctx, "input must have rank >= 1, got a scalar");
  if (o->axis() < 0 || o->axis() >= x.shape.rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", x.shape.rank);
  }
  Shape want;
  for (int i = 0; i < x.shape.rank; ++i) {
    if (i == o->axis()) {
      if (o->keepdims()) want.dims[want.rank++] = 1;
    } else {
      want.dims[want.rank++] = x.shape.dims[i];
    }
  }
  if (y.shape != want) {
    return OpFail(ctx, "output shape ", ShapeText(y.shape).str, ", expected ", ShapeText(want).str);
  }
  if (x.shape.dims[o->axis()] == 0 && y.elements() > 0) {
    return OpFail(ctx, "cannot reduce an empty axis ", o->axis());
  }
  return OkStatus();
}

namespace {
template <class T>
void RunArg(const OpContext& ctx, bool max, bool last) {
  const efm::ArgOptions* o = ctx.op->options_as_ArgOptions();
  Index outer, n, inner;
  AxisSplit(ctx.inputs[0].shape, o->axis(), false, &outer, &n, &inner);
  const T* x = static_cast<const T*>(ctx.inputs[0].data);
  int32_t* y = ctx.outputs[0].i32();
  for (Index i = 0; i < outer; ++i) {
    for (Index j = 0; j < inner; ++j) {
      const T* line = x + i * n * inner + j;
      T best = line[0];
      Index arg = 0;
      for (Index k = 1; k < n; ++k) {
        const T v = line[k * inner];
        const bool better = max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
        if (better) {
          best = v;
          arg = k;
        }
      }
      y[i * inner + j] = static_cast<int32_t>(arg);
    }
  }
}
}  // namespace

Status EvalArg(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  const efm::ArgOptions* o = ctx.op->options_as_ArgOptions();
  const bool max = ctx.type == OpType::ArgMax;
  if (ctx.inputs[0].dtype == DType::kF32) {
    RunArg<float>(ctx, max, o->select_last_index());
  } else {
    RunArg<int32_t>(ctx, max, o->select_last_index());
  }
  return OkStatus();
}

// ---- LayerNormalization ----

Status PrepareLayerNorm(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  if (ctx.num_inputs < 2 || ctx.num_inputs > 3 || ctx.num_outputs < 1 || ctx.num_outputs > 3) {
    return OpFail(ctx, "expects 2 to 3 inputs and 1 to 3 outputs, got ", ctx.num_inputs, " and ",
                  ctx.num_outputs);
  }
  for (int i = 0; i < 2; ++i) {
    if (!ctx.inputs[i].present) return OpFail(ctx, "input ", i, " is required but absent");
  }
  if (!ctx.outputs[0].present) return OpFail(ctx, "output 0 is required but absent");
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  EDGE_TRY(CheckSameShape(ctx));
  const efm::NormOptions* o = ctx.op != nullptr ? ctx.op->options_as_NormOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs NormOptions");
  const Shape& x = ctx.inputs[0].shape;
  if (o->axis() < 0 || o->axis() >= x.rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", x.rank);
  }
  for (int i = 1; i < ctx.num_inputs; ++i) {
    if (ctx.inputs[i].present && !MatchesTrailing(ctx.inputs[i].shape, x, o->axis())) {
      return OpFail(ctx, "input ", i, " shape ", ShapeText(ctx.inputs[i].shape).str,
                    " does not match the normalised dims of ", ShapeText(x).str, " from axis ",
                    o->axis());
    }
  }
  const int64_t outer = DimProduct(x, 0, o->axis());
  for (int i = 1; i < ctx.num_outputs; ++i) {
    const Tensor& t = ctx.outputs[i];
    if (!t.present) continue;
    bool ok = t.shape.rank == x.rank;
    for (int d = 0; d < x.rank && ok; ++d) {
      ok = t.shape.dims[d] == (d < o->axis() ? x.dims[d] : 1);
    }
    if (!ok || t.elements() != outer) {
      return OpFail(ctx, "output ", i, " shape ", ShapeText(t.shape).str,
                    " must be the input's dims before the axis followed by 1s");
    }
  }
  return OkStatus();
}

Status EvalLayerNorm(const OpContext& ctx) {
  const efm::NormOptions* o = ctx.op->options_as_NormOptions();
  const Shape& s = ctx.inputs[0].shape;
  const Index outer = DimProduct(s, 0, o->axis());
  const Index n = DimProduct(s, o->axis(), s.rank);
  const float eps = o->epsilon();
  const float* x = ctx.inputs[0].f32();
  const float* scale = ctx.inputs[1].f32();
  const float* bias = ctx.num_inputs > 2 && ctx.inputs[2].present ? ctx.inputs[2].f32() : nullptr;
  float* y = ctx.outputs[0].f32();
  float* mean_out = ctx.num_outputs > 1 && ctx.outputs[1].present ? ctx.outputs[1].f32() : nullptr;
  float* inv_out = ctx.num_outputs > 2 && ctx.outputs[2].present ? ctx.outputs[2].f32() : nullptr;
  for (Index i = 0; i < outer; ++i) {
    const float* xr = x + i * n;
    float* yr = y + i * n;
    float sum = 0.0f;
    for (Index k = 0; k < n; ++k) sum += xr[k];
    const float mean = sum / static_cast<float>(n);
    float sq = 0.0f;
    for (Index k = 0; k < n; ++k) {
      const float d = xr[k] - mean;
      sq += d * d;
    }
    const float inv = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
    for (Index k = 0; k < n; ++k) {
      const float v = (xr[k] - mean) * inv * scale[k];
      yr[k] = bias != nullptr ? v + bias[k] : v;
    }
    if (mean_out != nullptr) mean_out[i] = mean;
    if (inv_out != nullptr) inv_out[i] = inv;
  }
  return OkStatus();
}

// ---- InstanceNormalization ----

Status PrepareInstanceNorm(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 3, 3, 1));
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  EDGE_TRY(CheckSameShape(ctx));
  if (ctx.op == nullptr || ctx.op->options_as_NormOptions() == nullptr) {
    return OpFail(ctx, "needs NormOptions");
  }
  const Shape& x = ctx.inputs[0].shape;
  if (x.rank < 2) return OpFail(ctx, "input must be N x C x ..., got ", ShapeText(x).str);
  for (int i = 1; i < 3; ++i) {
    const Shape& p = ctx.inputs[i].shape;
    if (p.rank != 1 || p.dims[0] != x.dims[1]) {
      return OpFail(ctx, "input ", i, " shape ", ShapeText(p).str, " must be [", x.dims[1], "]");
    }
  }
  return OkStatus();
}

Status EvalInstanceNorm(const OpContext& ctx) {
  const float eps = ctx.op->options_as_NormOptions()->epsilon();
  const Shape& s = ctx.inputs[0].shape;
  const Index batch = s.dims[0];
  const Index channels = s.dims[1];
  const Index n = DimProduct(s, 2, s.rank);
  const float* scale = ctx.inputs[1].f32();
  const float* bias = ctx.inputs[2].f32();
  for (Index b = 0; b < batch; ++b) {
    for (Index c = 0; c < channels; ++c) {
      const float* xr = ctx.inputs[0].f32() + (b * channels + c) * n;
      float* yr = ctx.outputs[0].f32() + (b * channels + c) * n;
      float sum = 0.0f;
      for (Index k = 0; k < n; ++k) sum += xr[k];
      const float mean = sum / static_cast<float>(n);
      float sq = 0.0f;
      for (Index k = 0; k < n; ++k) {
        const float d = xr[k] - mean;
        sq += d * d;
      }
      const float mul = scale[c] / std::sqrt(sq / static_cast<float>(n) + eps);
      for (Index k = 0; k < n; ++k) yr[k] = (xr[k] - mean) * mul + bias[c];
    }
  }
  return OkStatus();
}

// ---- Equal Less LessOrEqual Greater GreaterOrEqual And Or Xor ----

Status PrepareCompare(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 2, 2, 1));
  if (!IsComparison(ctx.type) && !IsLogic(ctx.type)) return OpFail(ctx, "not a comparison");
  const DType a = ctx.inputs[0].dtype;
  const DType b = ctx.inputs[1].dtype;
  const bool ok_in = a == b && (a == DType::kI32 || (a == DType::kF32 && IsComparison(ctx.type)));
  if (!ok_in) {
    return OpFail(ctx, "inputs are ", DTypeText(a), " and ", DTypeText(b), ", expected ",
                  IsLogic(ctx.type) ? "i32 (bool)" : "two f32 or two i32");
  }
  if (ctx.outputs[0].dtype != DType::kI32) {
    return OpFail(ctx, "output is ", DTypeText(ctx.outputs[0].dtype), ", expected i32 (bool)");
  }
  return CheckBroadcast(ctx, 2);
}

Status EvalCompare(const OpContext& ctx) {
  if (ctx.inputs[0].dtype == DType::kF32) return RunCompare<float>(ctx);
  return RunCompare<int32_t>(ctx);
}

// ---- Where ----

Status PrepareWhere(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 3, 3, 1));
  if (ctx.inputs[0].dtype != DType::kI32) {
    return OpFail(ctx, "condition is ", DTypeText(ctx.inputs[0].dtype), ", expected i32 (bool)");
  }
  const DType t = ctx.outputs[0].dtype;
  if (ctx.inputs[1].dtype != t || ctx.inputs[2].dtype != t) {
    return OpFail(ctx, "X, Y and the output must have one dtype, got ",
                  DTypeText(ctx.inputs[1].dtype), ", ", DTypeText(ctx.inputs[2].dtype), " -> ",
                  DTypeText(t));
  }
  return CheckBroadcast(ctx, 3);
}

namespace {
template <class T>
void RunWhere(const OpContext& ctx) {
  const int32_t* c = ctx.inputs[0].i32();
  const auto* a = static_cast<const T*>(ctx.inputs[1].data);
  const auto* b = static_cast<const T*>(ctx.inputs[2].data);
  auto* y = static_cast<T*>(ctx.outputs[0].data);
  ForEachBroadcast<3>(
      ctx, [&](Index i, const Index* off) { y[i] = c[off[0]] != 0 ? a[off[1]] : b[off[2]]; });
}
}  // namespace

Status EvalWhere(const OpContext& ctx) {
  if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    RunWhere<uint8_t>(ctx);
  } else {
    RunWhere<uint32_t>(ctx);
  }
  return OkStatus();
}

// ---- Mod ----

Status PrepareMod(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 2, 2, 1));
  const DType t = ctx.outputs[0].dtype;
  if (ctx.inputs[0].dtype != t || ctx.inputs[1].dtype != t) {
    return OpFail(ctx, "inputs and output must have one dtype, got ",
                  DTypeText(ctx.inputs[0].dtype), ", ", DTypeText(ctx.inputs[1].dtype), " -> ",
                  DTypeText(t));
  }
  const efm::ModOptions* o = ctx.op != nullptr ? ctx.op->options_as_ModOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs ModOptions");
  if (t == DType::kF32 && !o->fmod()) return OpFail(ctx, "f32 Mod needs fmod = true");
  return CheckBroadcast(ctx, 2);
}

Status EvalMod(const OpContext& ctx) {
  const bool fmod = ctx.op->options_as_ModOptions()->fmod();
  switch (ctx.outputs[0].dtype) {
    case DType::kF32:
      RunBinaryBroadcast<float, float>(ctx, [](float a, float b) { return ModF::Apply(a, b); });
      break;
    case DType::kI32:
      RunBinaryBroadcast<int32_t, int32_t>(
          ctx, [fmod](int32_t a, int32_t b) { return IntMod<int32_t>(a, b, fmod); });
      break;
    case DType::kI8:
      RunBinaryBroadcast<int8_t, int8_t>(
          ctx, [fmod](int8_t a, int8_t b) { return IntMod<int8_t>(a, b, fmod); });
      break;
  }
  return OkStatus();
}

// ---- Cast ----

Status PrepareCast(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  EDGE_TRY(CheckSameShape(ctx));
  const efm::CastOptions* o = ctx.op != nullptr ? ctx.op->options_as_CastOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs CastOptions");
  if (o->to() < efm::CastTarget::MIN || o->to() > efm::CastTarget::MAX) {
    return OpFail(ctx, "unknown cast target ", static_cast<int>(o->to()));
  }
  const DType want = CastOutputDType(o->to());
  if (ctx.outputs[0].dtype != want) {
    return OpFail(ctx, "output is ", DTypeText(ctx.outputs[0].dtype), ", cast target ",
                  efm::EnumNameCastTarget(o->to()), " needs ", DTypeText(want));
  }
  return OkStatus();
}

Status EvalCast(const OpContext& ctx) {
  const efm::CastTarget to = ctx.op->options_as_CastOptions()->to();
  const Index n = ctx.outputs[0].elements();
  switch (ctx.inputs[0].dtype) {
    case DType::kF32:
      CastFrom(ctx.inputs[0].f32(), ctx.outputs[0], to, n);
      break;
    case DType::kI32:
      CastFrom(ctx.inputs[0].i32(), ctx.outputs[0], to, n);
      break;
    case DType::kI8:
      CastFrom(ctx.inputs[0].i8(), ctx.outputs[0], to, n);
      break;
  }
  return OkStatus();
}

// ---- Not Tan ThresholdedRelu Sign Round Shrink Celu ----

Status PrepareExtraUnary(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  if (!IsExtraUnary(ctx.type)) return OpFail(ctx, "not a unary op");
  const DType t = ctx.inputs[0].dtype;
  if (ctx.type == OpType::Not) {
    EDGE_TRY(CheckAllDType(ctx, DType::kI32));
  } else if (ctx.type == OpType::Sign && t == DType::kI32) {
    EDGE_TRY(CheckAllDType(ctx, DType::kI32));
  } else {
    EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  }
  EDGE_TRY(CheckSameShape(ctx));
  const bool needs_options =
      ctx.type == OpType::ThresholdedRelu || ctx.type == OpType::Shrink || ctx.type == OpType::Celu;
  if (needs_options && (ctx.op == nullptr || ctx.op->options_as_UnaryOptions() == nullptr)) {
    return OpFail(ctx, "needs UnaryOptions (alpha/beta)");
  }
  if (ctx.type == OpType::Celu && ctx.op->options_as_UnaryOptions()->alpha() == 0.0f) {
    return OpFail(ctx, "Celu alpha must not be 0");
  }
  return OkStatus();
}

Status EvalExtraUnary(const OpContext& ctx) {
  const Index n = ctx.outputs[0].elements();
  if (ctx.outputs[0].dtype == DType::kI32) {
    const int32_t* x = ctx.inputs[0].i32();
    int32_t* y = ctx.outputs[0].i32();
    if (ctx.type == OpType::Not) {
      for (Index i = 0; i < n; ++i) y[i] = x[i] == 0 ? 1 : 0;
    } else {  // Sign
      for (Index i = 0; i < n; ++i) y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0);
    }
    return OkStatus();
  }
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  const efm::UnaryOptions* o = ctx.op != nullptr ? ctx.op->options_as_UnaryOptions() : nullptr;
  const float alpha = o != nullptr ? o->alpha() : 0.0f;
  const float beta = o != nullptr ? o->beta() : 0.0f;
  switch (ctx.type) {
    case OpType::Tan:
      MapF(x, y, n, [](float v) { return std::tan(v); });
      break;
    case OpType::ThresholdedRelu:
      MapF(x, y, n, [alpha](float v) { return v > alpha ? v : 0.0f; });
      break;
    case OpType::Sign:  // NaN stays NaN
      MapF(x, y, n, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v * 0.0f); });
      break;
    case OpType::Round:
      MapF(x, y, n, [](float v) { return RoundHalfEven(v); });
      break;
    case OpType::Shrink:  // lambd = alpha, bias = beta
      MapF(x, y, n, [alpha, beta](float v) {
        return v < -alpha ? v + beta : (v > alpha ? v - beta : 0.0f);
      });
      break;
    case OpType::Celu:
      MapF(x, y, n, [alpha](float v) {
        const float neg = alpha * std::expm1(v / alpha);
        return (v > 0.0f ? v : 0.0f) + (neg < 0.0f ? neg : 0.0f);
      });
      break;
    default:
      return Status::Unimplemented();
  }
  return OkStatus();
}

// ---- CumSum ----

Status PrepareCumSum(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  const DType t = ctx.inputs[0].dtype;
  if (t != DType::kF32 && t != DType::kI32) {
    return OpFail(ctx, "input is ", DTypeText(t), ", expected f32 or i32");
  }
  EDGE_TRY(CheckAllDType(ctx, t));
  EDGE_TRY(CheckSameShape(ctx));
  const efm::CumSumOptions* o = ctx.op != nullptr ? ctx.op->options_as_CumSumOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs CumSumOptions");
  const int rank = ctx.inputs[0].shape.rank;
  if (rank == 0) return OpFail(ctx, "input must have rank >= 1, got a scalar");
  if (o->axis() < 0 || o->axis() >= rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", rank);
  }
  return OkStatus();
}

namespace {
template <class T, class Add>
void RunCumSum(const OpContext& ctx, Add add) {
  const efm::CumSumOptions* o = ctx.op->options_as_CumSumOptions();
  Index outer, n, inner;
  AxisSplit(ctx.inputs[0].shape, o->axis(), false, &outer, &n, &inner);
  const T* x = static_cast<const T*>(ctx.inputs[0].data);
  T* y = static_cast<T*>(ctx.outputs[0].data);
  for (Index i = 0; i < outer; ++i) {
    for (Index j = 0; j < inner; ++j) {
      const Index base = i * n * inner + j;
      T acc = 0;
      for (Index k = 0; k < n; ++k) {
        const Index at = base + (o->reverse() ? n - 1 - k : k) * inner;
        if (o->exclusive()) {
          y[at] = acc;
          acc = add(acc, x[at]);
        } else {
          acc = add(acc, x[at]);
          y[at] = acc;
        }
      }
    }
  }
}
}  // namespace

Status EvalCumSum(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  if (ctx.inputs[0].dtype == DType::kF32) {
    RunCumSum<float>(ctx, [](float a, float b) { return a + b; });
  } else {
    RunCumSum<int32_t>(ctx, [](int32_t a, int32_t b) {
      return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
    });
  }
  return OkStatus();
}

// ---- Hardmax ----

Status PrepareHardmax(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  EDGE_TRY(CheckSameShape(ctx));
  const efm::AxisOptions* o = ctx.op != nullptr ? ctx.op->options_as_AxisOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs AxisOptions");
  const int rank = ctx.inputs[0].shape.rank;
  if (rank == 0) return OpFail(ctx, "input must have rank >= 1, got a scalar");
  if (o->axis() < 0 || o->axis() >= rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", rank);
  }
  return OkStatus();
}

Status EvalHardmax(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  const efm::AxisOptions* o = ctx.op->options_as_AxisOptions();
  Index outer, n, inner;
  AxisSplit(ctx.inputs[0].shape, o->axis(), o->legacy_coerce(), &outer, &n, &inner);
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  for (Index i = 0; i < outer; ++i) {
    for (Index j = 0; j < inner; ++j) {
      const Index base = i * n * inner + j;
      Index arg = 0;
      for (Index k = 1; k < n; ++k) {
        if (x[base + k * inner] > x[base + arg * inner]) arg = k;
      }
      for (Index k = 0; k < n; ++k) y[base + k * inner] = k == arg ? 1.0f : 0.0f;
    }
  }
  return OkStatus();
}

// ---- LpNormalization ----

Status PrepareLpNorm(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  EDGE_TRY(CheckSameShape(ctx));
  const efm::LpNormOptions* o = ctx.op != nullptr ? ctx.op->options_as_LpNormOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs LpNormOptions");
  if (o->p() != 1 && o->p() != 2) return OpFail(ctx, "p must be 1 or 2, got ", o->p());
  const int rank = ctx.inputs[0].shape.rank;
  if (rank == 0) return OpFail(ctx, "input must have rank >= 1, got a scalar");
  if (o->axis() < 0 || o->axis() >= rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", rank);
  }
  return OkStatus();
}

Status EvalLpNorm(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  const efm::LpNormOptions* o = ctx.op->options_as_LpNormOptions();
  Index outer, n, inner;
  AxisSplit(ctx.inputs[0].shape, o->axis(), false, &outer, &n, &inner);
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  const bool l1 = o->p() == 1;
  for (Index i = 0; i < outer; ++i) {
    for (Index j = 0; j < inner; ++j) {
      const Index base = i * n * inner + j;
      float acc = 0.0f;
      for (Index k = 0; k < n; ++k) {
        const float v = x[base + k * inner];
        acc += l1 ? std::fabs(v) : v * v;
      }
      const float norm = l1 ? acc : std::sqrt(acc);  // 0 gives NaN/inf, as the ONNX reference
      for (Index k = 0; k < n; ++k) y[base + k * inner] = x[base + k * inner] / norm;
    }
  }
  return OkStatus();
}

}  // namespace edge::runtime
