// Elementwise kernels: Copy, the numpy-broadcasting binary ops (Add Sub Mul Div Pow Min Max PRelu),
// the unary activations and math functions, Softmax/LogSoftmax and Expand.
//
// Dtypes: Copy and Expand move any dtype; Add Sub Mul Div Min Max take f32 or i32 (integer
// arithmetic wraps, Div truncates like C and x / 0 is 0); Pow takes an f32 base with an f32 or i32
// exponent; everything else is f32.
//
// Broadcasting (Binary, Expand) is planned once per Eval: output axes of size 1 are dropped and
// neighbouring axes that broadcast the same way for every input are merged, so that
// [N,C,H,W] + [1,C,1,1] runs as rows of H*W with one scalar per row and same-shape operands run as
// one contiguous loop. With OpContext::reference the plain per-element index arithmetic runs
// instead (the cross-check for the planned loops).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "edge/runtime/internal/kernel_checks.h"
#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::runtime {
namespace {

using efm::OpType;

// ---- numpy broadcasting ----

// Dim `i` of `in` when its dims are right-aligned to `rank` axes (missing leading axes are 1).
int32_t AlignedDim(const Shape& in, int rank, int i) {
  const int lead = rank - in.rank;
  return i < lead ? 1 : in.dims[i - lead];
}

bool BroadcastsTo(const Shape& in, const Shape& out) {
  if (in.rank > out.rank) return false;
  for (int i = 0; i < out.rank; ++i) {
    const int32_t d = AlignedDim(in, out.rank, i);
    if (d != out.dims[i] && d != 1) return false;
  }
  return true;
}

// Offset in `in` of the element that broadcasts to flat output index `flat` (reference loops).
Index BroadcastSource(const Shape& out, const Shape& in, Index flat) {
  Index offset = 0;
  Index stride = 1;
  for (int d = out.rank - 1; d >= 0; --d) {
    const Index coord = flat % out.dims[d];
    flat /= out.dims[d];
    const int32_t dim = AlignedDim(in, out.rank, d);
    if (dim != 1) offset += coord * stride;
    stride *= dim;
  }
  return offset;
}

constexpr int kMaxBroadcastInputs = 2;

// The output as rows of dims[rank - 1] elements over merged axes; per input, the element stride
// along each merged axis (0 where the input is broadcast).
struct BroadcastPlan {
  int rank = 1;
  Index dims[kMaxRank] = {1};
  Index stride[kMaxBroadcastInputs][kMaxRank] = {};

  Index rows() const {
    Index n = 1;
    for (int i = 0; i < rank - 1; ++i) n *= dims[i];
    return n;
  }
};

// `ins` must broadcast to `out` (checked in Prepare).
BroadcastPlan MakeBroadcastPlan(const Shape& out, const Shape* const* ins, int num_ins) {
  BroadcastPlan p;
  bool broadcast[kMaxRank][kMaxBroadcastInputs] = {};
  int g = -1;
  for (int i = 0; i < out.rank; ++i) {
    if (out.dims[i] == 1) continue;  // contributes nothing to any offset
    bool b[kMaxBroadcastInputs] = {};
    for (int k = 0; k < num_ins; ++k) b[k] = AlignedDim(*ins[k], out.rank, i) == 1;
    bool same = g >= 0;
    for (int k = 0; k < num_ins && same; ++k) same = broadcast[g][k] == b[k];
    if (same) {
      p.dims[g] *= out.dims[i];
    } else {
      ++g;
      p.dims[g] = out.dims[i];
      for (int k = 0; k < num_ins; ++k) broadcast[g][k] = b[k];
    }
  }
  if (g < 0) {  // every output axis has size 1: one element, every input a scalar
    p.rank = 1;
    p.dims[0] = 1;
    return p;
  }
  p.rank = g + 1;
  for (int k = 0; k < num_ins; ++k) {
    Index running = 1;
    for (int a = g; a >= 0; --a) {
      p.stride[k][a] = broadcast[a][k] ? 0 : running;
      if (!broadcast[a][k]) running *= p.dims[a];
    }
  }
  return p;
}

// Advances the row odometer over plan axes [0, rank - 1) and the per-input offsets with it.
inline void NextRow(const BroadcastPlan& p, Index* idx, Index* off, int num_ins) {
  for (int d = p.rank - 2; d >= 0; --d) {
    for (int k = 0; k < num_ins; ++k) off[k] += p.stride[k][d];
    if (++idx[d] < p.dims[d]) return;
    for (int k = 0; k < num_ins; ++k) off[k] -= p.stride[k][d] * p.dims[d];
    idx[d] = 0;
  }
}

// ---- binary ops ----

inline int32_t WrapI32(uint32_t v) { return static_cast<int32_t>(v); }  // two's complement

struct AddF {
  static float Apply(float a, float b) { return a + b; }
};
struct SubF {
  static float Apply(float a, float b) { return a - b; }
};
struct MulF {
  static float Apply(float a, float b) { return a * b; }
};
struct DivF {
  static float Apply(float a, float b) { return a / b; }
};
struct PowF {
  static float Apply(float a, float b) { return std::pow(a, b); }
};
struct PowFI {
  static float Apply(float a, int32_t b) { return std::pow(a, static_cast<float>(b)); }
};
struct MinF {  // NaN in either operand gives NaN, as numpy.minimum
  static float Apply(float a, float b) { return (a != a || a < b) ? a : b; }
};
struct MaxF {
  static float Apply(float a, float b) { return (a != a || a > b) ? a : b; }
};
struct PReluF {  // a = x, b = slope
  static float Apply(float a, float b) { return a < 0.0f ? a * b : a; }
};
struct AddI {
  static int32_t Apply(int32_t a, int32_t b) {
    return WrapI32(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  }
};
struct SubI {
  static int32_t Apply(int32_t a, int32_t b) {
    return WrapI32(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
  }
};
struct MulI {
  static int32_t Apply(int32_t a, int32_t b) {
    return WrapI32(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
  }
};
struct DivI {  // truncates; x / 0 = 0; INT32_MIN / -1 wraps to INT32_MIN
  static int32_t Apply(int32_t a, int32_t b) {
    if (b == 0) return 0;
    if (b == -1) return WrapI32(0u - static_cast<uint32_t>(a));
    return a / b;
  }
};
struct MinI {
  static int32_t Apply(int32_t a, int32_t b) { return a < b ? a : b; }
};
struct MaxI {
  static int32_t Apply(int32_t a, int32_t b) { return a > b ? a : b; }
};

template <class F, class TA, class TB, class TY>
EDGE_KERNEL_CLONES void BinaryRows(const BroadcastPlan& p, const TA* a, const TB* b, TY* y) {
  const int last = p.rank - 1;
  const Index n = p.dims[last];
  const bool a_scalar = p.stride[0][last] == 0;
  const bool b_scalar = p.stride[1][last] == 0;
  Index idx[kMaxRank] = {};
  Index off[2] = {0, 0};
  const Index rows = p.rows();
  for (Index r = 0; r < rows; ++r, y += n) {
    const TA* ra = a + off[0];
    const TB* rb = b + off[1];
    if (a_scalar && b_scalar) {
      const TY v = F::Apply(ra[0], rb[0]);
      for (Index j = 0; j < n; ++j) y[j] = v;
    } else if (a_scalar) {
      const TA a0 = ra[0];
      for (Index j = 0; j < n; ++j) y[j] = F::Apply(a0, rb[j]);
    } else if (b_scalar) {
      const TB b0 = rb[0];
      for (Index j = 0; j < n; ++j) y[j] = F::Apply(ra[j], b0);
    } else {
      for (Index j = 0; j < n; ++j) y[j] = F::Apply(ra[j], rb[j]);
    }
    NextRow(p, idx, off, 2);
  }
}

template <class F, class TA, class TB, class TY>
void BinaryReference(const OpContext& ctx, const TA* a, const TB* b, TY* y) {
  const Shape& out = ctx.outputs[0].shape;
  const Index total = out.elements();
  for (Index i = 0; i < total; ++i) {
    y[i] = F::Apply(a[BroadcastSource(out, ctx.inputs[0].shape, i)],
                    b[BroadcastSource(out, ctx.inputs[1].shape, i)]);
  }
}

template <class F, class TA, class TB, class TY>
void RunBinary(const OpContext& ctx) {
  const auto* a = static_cast<const TA*>(ctx.inputs[0].data);
  const auto* b = static_cast<const TB*>(ctx.inputs[1].data);
  auto* y = static_cast<TY*>(ctx.outputs[0].data);
  if (ctx.outputs[0].elements() == 0) return;
  if (ctx.reference) {
    BinaryReference<F>(ctx, a, b, y);
    return;
  }
  const Shape* ins[2] = {&ctx.inputs[0].shape, &ctx.inputs[1].shape};
  BinaryRows<F>(MakeBroadcastPlan(ctx.outputs[0].shape, ins, 2), a, b, y);
}

bool BinaryTakesI32(OpType t) {
  return t == OpType::Add || t == OpType::Sub || t == OpType::Mul || t == OpType::Div ||
         t == OpType::Min || t == OpType::Max;
}

// ---- unary ops ----

bool UnaryNeedsOptions(OpType t) {
  return t == OpType::LeakyRelu || t == OpType::Elu || t == OpType::Selu ||
         t == OpType::HardSigmoid || t == OpType::Clip;
}

template <class F>
EDGE_KERNEL_CLONES void Map(const float* x, float* y, Index n, F f) {
  for (Index i = 0; i < n; ++i) y[i] = f(x[i]);
}

inline float Sigmoid(float v) {  // never evaluates exp of a large positive number
  if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.0f + e);
}

inline float Softplus(float v) {  // log(1 + exp(v)) without overflow
  return v > 0.0f ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

// ---- softmax ----

// Normalises `n` elements at stride `stride`.
void SoftmaxLine(const float* x, float* y, Index n, Index stride, bool log) {
  float m = -INFINITY;
  for (Index k = 0; k < n; ++k) m = x[k * stride] > m ? x[k * stride] : m;
  float sum = 0.0f;
  if (log) {
    for (Index k = 0; k < n; ++k) sum += std::exp(x[k * stride] - m);
    const float shift = m + std::log(sum);
    for (Index k = 0; k < n; ++k) y[k * stride] = x[k * stride] - shift;
    return;
  }
  for (Index k = 0; k < n; ++k) {
    const float e = std::exp(x[k * stride] - m);
    y[k * stride] = e;
    sum += e;
  }
  for (Index k = 0; k < n; ++k) y[k * stride] = y[k * stride] / sum;
}

// ---- expand ----

template <class T>
EDGE_KERNEL_CLONES void ExpandRows(const BroadcastPlan& p, const T* x, T* y) {
  const int last = p.rank - 1;
  const Index n = p.dims[last];
  const bool x_scalar = p.stride[0][last] == 0;
  Index idx[kMaxRank] = {};
  Index off[1] = {0};
  const Index rows = p.rows();
  for (Index r = 0; r < rows; ++r, y += n) {
    if (x_scalar) {
      const T v = x[off[0]];
      for (Index j = 0; j < n; ++j) y[j] = v;
    } else {
      std::memcpy(y, x + off[0], static_cast<size_t>(n) * sizeof(T));
    }
    NextRow(p, idx, off, 1);
  }
}

template <class T>
void RunExpand(const OpContext& ctx) {
  const auto* x = static_cast<const T*>(ctx.inputs[0].data);
  auto* y = static_cast<T*>(ctx.outputs[0].data);
  const Shape& out = ctx.outputs[0].shape;
  if (out.elements() == 0) return;
  if (ctx.reference) {
    const Index total = out.elements();
    for (Index i = 0; i < total; ++i) y[i] = x[BroadcastSource(out, ctx.inputs[0].shape, i)];
    return;
  }
  const Shape* ins[1] = {&ctx.inputs[0].shape};
  ExpandRows(MakeBroadcastPlan(out, ins, 1), x, y);
}

}  // namespace

// ---- Copy ----

Status PrepareCopy(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  if (x.dtype != y.dtype) {
    return OpFail(ctx, "input is ", DTypeText(x.dtype), " but output is ", DTypeText(y.dtype));
  }
  if (x.elements() != y.elements()) {
    return OpFail(ctx, "input shape ", ShapeText(x.shape).str, " and output shape ",
                  ShapeText(y.shape).str, " have different element counts");
  }
  return OkStatus();
}

Status EvalCopy(const OpContext& ctx) {
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  if (x.data != y.data && y.bytes() != 0) std::memmove(y.data, x.data, y.bytes());
  return OkStatus();
}

// ---- Binary ----

Status PrepareBinary(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 2, 2, 1));
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  const Tensor& y = ctx.outputs[0];
  const bool pow_int_exponent =
      ctx.type == OpType::Pow && a.dtype == DType::kF32 && b.dtype == DType::kI32;
  if (!pow_int_exponent && (a.dtype != b.dtype || a.dtype != y.dtype)) {
    return OpFail(ctx, "inputs and output must have one dtype, got ", DTypeText(a.dtype), ", ",
                  DTypeText(b.dtype), " -> ", DTypeText(y.dtype));
  }
  if (y.dtype != DType::kF32 && !(y.dtype == DType::kI32 && BinaryTakesI32(ctx.type))) {
    return OpFail(ctx, "dtype ", DTypeText(y.dtype), " not supported (",
                  BinaryTakesI32(ctx.type) ? "f32 or i32" : "f32 only", ")");
  }
  for (int i = 0; i < 2; ++i) {
    if (!BroadcastsTo(ctx.inputs[i].shape, y.shape)) {
      return OpFail(ctx, "input ", i, " shape ", ShapeText(ctx.inputs[i].shape).str,
                    " does not broadcast to output ", ShapeText(y.shape).str);
    }
  }
  // The output must be exactly the broadcast shape, not something the inputs merely expand to.
  const int rank = a.shape.rank > b.shape.rank ? a.shape.rank : b.shape.rank;
  bool exact = y.shape.rank == rank;
  for (int i = 0; i < y.shape.rank && exact; ++i) {
    exact = y.shape.dims[i] == 1 || AlignedDim(a.shape, y.shape.rank, i) != 1 ||
            AlignedDim(b.shape, y.shape.rank, i) != 1;
  }
  if (!exact) {
    return OpFail(ctx, "output shape ", ShapeText(y.shape).str,
                  " is not the broadcast of the input shapes ", ShapeText(a.shape).str, " and ",
                  ShapeText(b.shape).str);
  }
  if (ctx.type == OpType::PRelu && y.shape != a.shape) {
    return OpFail(ctx, "output shape ", ShapeText(y.shape).str, " must equal input 0 shape ",
                  ShapeText(a.shape).str, " (the slope broadcasts to x)");
  }
  switch (ctx.type) {
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul:
    case OpType::Div:
    case OpType::Pow:
    case OpType::Min:
    case OpType::Max:
    case OpType::PRelu:
      return OkStatus();
    default:
      return OpFail(ctx, "not a binary op");
  }
}

Status EvalBinary(const OpContext& ctx) {
  if (ctx.outputs[0].dtype == DType::kI32) {
    switch (ctx.type) {
      case OpType::Add:
        RunBinary<AddI, int32_t, int32_t, int32_t>(ctx);
        break;
      case OpType::Sub:
        RunBinary<SubI, int32_t, int32_t, int32_t>(ctx);
        break;
      case OpType::Mul:
        RunBinary<MulI, int32_t, int32_t, int32_t>(ctx);
        break;
      case OpType::Div:
        RunBinary<DivI, int32_t, int32_t, int32_t>(ctx);
        break;
      case OpType::Min:
        RunBinary<MinI, int32_t, int32_t, int32_t>(ctx);
        break;
      case OpType::Max:
        RunBinary<MaxI, int32_t, int32_t, int32_t>(ctx);
        break;
      default:
        return Status::Unimplemented();
    }
    return OkStatus();
  }
  switch (ctx.type) {
    case OpType::Add:
      RunBinary<AddF, float, float, float>(ctx);
      break;
    case OpType::Sub:
      RunBinary<SubF, float, float, float>(ctx);
      break;
    case OpType::Mul:
      RunBinary<MulF, float, float, float>(ctx);
      break;
    case OpType::Div:
      RunBinary<DivF, float, float, float>(ctx);
      break;
    case OpType::Pow:
      if (ctx.inputs[1].dtype == DType::kI32) {
        RunBinary<PowFI, float, int32_t, float>(ctx);
      } else {
        RunBinary<PowF, float, float, float>(ctx);
      }
      break;
    case OpType::Min:
      RunBinary<MinF, float, float, float>(ctx);
      break;
    case OpType::Max:
      RunBinary<MaxF, float, float, float>(ctx);
      break;
    case OpType::PRelu:
      RunBinary<PReluF, float, float, float>(ctx);
      break;
    default:
      return Status::Unimplemented();
  }
  return OkStatus();
}

// ---- Unary ----

Status PrepareUnary(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  if (ctx.inputs[0].shape != ctx.outputs[0].shape) {
    return OpFail(ctx, "output shape ", ShapeText(ctx.outputs[0].shape).str,
                  " differs from input shape ", ShapeText(ctx.inputs[0].shape).str);
  }
  if (UnaryNeedsOptions(ctx.type) &&
      (ctx.op == nullptr || ctx.op->options_as_UnaryOptions() == nullptr)) {
    return OpFail(ctx, "needs UnaryOptions (alpha/beta)");
  }
  if (ctx.type < OpType::Relu || ctx.type > OpType::Cos) return OpFail(ctx, "not a unary op");
  return OkStatus();
}

Status EvalUnary(const OpContext& ctx) {
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  const Index n = ctx.outputs[0].elements();
  const efm::UnaryOptions* o = ctx.op != nullptr ? ctx.op->options_as_UnaryOptions() : nullptr;
  const float alpha = o != nullptr ? o->alpha() : 0.0f;
  const float beta = o != nullptr ? o->beta() : 0.0f;
  switch (ctx.type) {
    case OpType::Relu:
      Map(x, y, n, [](float v) { return v < 0.0f ? 0.0f : v; });
      break;
    case OpType::LeakyRelu:
      Map(x, y, n, [alpha](float v) { return v < 0.0f ? alpha * v : v; });
      break;
    case OpType::Sigmoid:
      Map(x, y, n, [](float v) { return Sigmoid(v); });
      break;
    case OpType::Tanh:
      Map(x, y, n, [](float v) { return std::tanh(v); });
      break;
    case OpType::HardSigmoid:
      Map(x, y, n, [alpha, beta](float v) {
        const float t = alpha * v + beta;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
      });
      break;
    case OpType::HardSwish:  // x * HardSigmoid(x) with alpha = 1/6, beta = 0.5
      Map(x, y, n, [](float v) {
        const float t = v * (1.0f / 6.0f) + 0.5f;
        return v * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
      });
      break;
    case OpType::Elu:
      Map(x, y, n, [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
      break;
    case OpType::Selu:  // alpha, gamma = beta
      Map(x, y, n,
          [alpha, beta](float v) { return v > 0.0f ? beta * v : beta * alpha * std::expm1(v); });
      break;
    case OpType::Softplus:
      Map(x, y, n, [](float v) { return Softplus(v); });
      break;
    case OpType::Clip:  // min = alpha, max = beta; min > max gives max, as numpy.clip
      Map(x, y, n, [alpha, beta](float v) {
        const float t = v < alpha ? alpha : v;
        return t > beta ? beta : t;
      });
      break;
    case OpType::Exp:
      Map(x, y, n, [](float v) { return std::exp(v); });
      break;
    case OpType::Sqrt:
      Map(x, y, n, [](float v) { return std::sqrt(v); });
      break;
    case OpType::Neg:
      Map(x, y, n, [](float v) { return -v; });
      break;
    case OpType::Abs:
      Map(x, y, n, [](float v) { return std::fabs(v); });
      break;
    case OpType::Log:
      Map(x, y, n, [](float v) { return std::log(v); });
      break;
    case OpType::Reciprocal:
      Map(x, y, n, [](float v) { return 1.0f / v; });
      break;
    case OpType::Floor:
      Map(x, y, n, [](float v) { return std::floor(v); });
      break;
    case OpType::Ceil:
      Map(x, y, n, [](float v) { return std::ceil(v); });
      break;
    case OpType::Erf:
      Map(x, y, n, [](float v) { return std::erf(v); });
      break;
    case OpType::Softsign:
      Map(x, y, n, [](float v) { return v / (1.0f + std::fabs(v)); });
      break;
    case OpType::Sin:
      Map(x, y, n, [](float v) { return std::sin(v); });
      break;
    case OpType::Cos:
      Map(x, y, n, [](float v) { return std::cos(v); });
      break;
    default:
      return Status::Unimplemented();
  }
  return OkStatus();
}

// ---- Softmax / LogSoftmax ----

Status PrepareSoftmax(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  EDGE_TRY(CheckAllDType(ctx, DType::kF32));
  const Shape& s = ctx.inputs[0].shape;
  if (s != ctx.outputs[0].shape) {
    return OpFail(ctx, "output shape ", ShapeText(ctx.outputs[0].shape).str,
                  " differs from input shape ", ShapeText(s).str);
  }
  const efm::AxisOptions* o = ctx.op != nullptr ? ctx.op->options_as_AxisOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs AxisOptions");
  if (s.rank == 0) return OpFail(ctx, "input must have rank >= 1, got a scalar");
  if (o->axis() < 0 || o->axis() >= s.rank) {
    return OpFail(ctx, "axis ", o->axis(), " out of range for rank ", s.rank);
  }
  return OkStatus();
}

Status EvalSoftmax(const OpContext& ctx) {
  const efm::AxisOptions* o = ctx.op->options_as_AxisOptions();
  const Shape& s = ctx.inputs[0].shape;
  if (s.elements() == 0) return OkStatus();  // `outer` alone may be huge when another dim is 0
  const int axis = o->axis();
  // Opset >= 13: normalise along `axis` (n elements at stride `inner`). Legacy: the input viewed
  // as 2-D [prod(dims[:axis]), prod(dims[axis:])], normalised along the second.
  const Index outer = DimProduct(s, 0, axis);
  const Index n = o->legacy_coerce() ? DimProduct(s, axis, s.rank) : s.dims[axis];
  const Index inner = o->legacy_coerce() ? 1 : DimProduct(s, axis + 1, s.rank);
  const bool log = ctx.type == OpType::LogSoftmax;
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  for (Index i = 0; i < outer; ++i) {
    for (Index j = 0; j < inner; ++j) {
      const Index base = i * n * inner + j;
      SoftmaxLine(x + base, y + base, n, inner, log);
    }
  }
  return OkStatus();
}

// ---- Expand ----

Status PrepareExpand(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  // Input 1 (ONNX's `shape`) may still be attached; the output tensor's shape is what counts.
  EDGE_TRY(CheckArity(ctx, 1, 2, 1));
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  if (x.dtype != y.dtype) {
    return OpFail(ctx, "input is ", DTypeText(x.dtype), " but output is ", DTypeText(y.dtype));
  }
  if (!BroadcastsTo(x.shape, y.shape)) {
    return OpFail(ctx, "input shape ", ShapeText(x.shape).str, " does not broadcast to output ",
                  ShapeText(y.shape).str);
  }
  return OkStatus();
}

Status EvalExpand(const OpContext& ctx) {
  if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    RunExpand<uint8_t>(ctx);
  } else {
    RunExpand<uint32_t>(ctx);
  }
  return OkStatus();
}

}  // namespace edge::runtime
