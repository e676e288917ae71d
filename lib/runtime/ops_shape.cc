// Data-movement kernels: Concat, Slice, Split, Transpose, Gather, Pad, Resize.
//
// All of them move any dtype (elements are copied as raw 1- or 4-byte words) except Resize in
// Linear mode, which is f32. The compiler has normalised ONNX attributes into the options (axes
// non-negative, Slice ranges concrete, pads explicit), so extra ONNX inputs that carried those
// values (Slice starts/ends/axes/steps, Pad pads/constant_value/axes, Resize roi/scales/sizes,
// Split split) may still be attached and are ignored. Output shapes come from the output tensors;
// Prepare proves every read is inside the input. Outputs must not overlap inputs.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "edge/runtime/internal/kernel_checks.h"
#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::runtime {
namespace {

// `in` and `out` have one dtype.
Status CheckSameDType(const OpContext& ctx, const Tensor& in, const Tensor& out) {
  if (in.dtype != out.dtype) {
    return OpFail(ctx, "input is ", DTypeText(in.dtype), " but output is ", DTypeText(out.dtype));
  }
  return OkStatus();
}

const efm::AxisOptions* AxisOptionsOf(const OpContext& ctx) {
  return ctx.op != nullptr ? ctx.op->options_as_AxisOptions() : nullptr;
}

// Checks that `part` has `whole`'s rank and dims except along `axis`.
Status CheckDimsExceptAxis(const OpContext& ctx, const char* what, int i, const Shape& part,
                           const Shape& whole, int axis) {
  bool same = part.rank == whole.rank;
  for (int d = 0; d < whole.rank && same; ++d) same = d == axis || part.dims[d] == whole.dims[d];
  if (!same) {
    return OpFail(ctx, what, " ", i, " shape ", ShapeText(part).str, " does not match ",
                  ShapeText(whole).str, " outside axis ", axis);
  }
  return OkStatus();
}

// Advances `idx` over dims [0, end) of `dims` (row-major odometer).
inline void Next(Index* idx, const int32_t* dims, int end) {
  for (int d = end - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return;
    idx[d] = 0;
  }
}

// ---- Slice ----

template <class T>
void SliceRun(const OpContext& ctx, const efm::SliceOptions* o) {
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  const auto* x = static_cast<const T*>(in.data);
  auto* y = static_cast<T*>(out.data);
  const int r = out.shape.rank;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  Index stride[kMaxRank] = {};
  RowMajorStrides(in.shape, stride);
  Index base = 0;
  Index step[kMaxRank] = {};  // element stride of one output step along each axis
  for (int a = 0; a < r; ++a) {
    const Index s = o->steps() != nullptr && o->steps()->size() > 0 ? o->steps()->Get(a) : 1;
    base += static_cast<Index>(o->starts()->Get(a)) * stride[a];
    step[a] = s * stride[a];
  }
  const Index n = out.shape.dims[r - 1];
  const Index inner_step = step[r - 1];
  const Index rows = DimProduct(out.shape, 0, r - 1);
  Index idx[kMaxRank] = {};
  for (Index row = 0; row < rows; ++row, y += n) {
    Index off = base;
    for (int a = 0; a < r - 1; ++a) off += idx[a] * step[a];
    if (inner_step == 1) {
      std::memcpy(y, x + off, static_cast<size_t>(n) * sizeof(T));
    } else {
      for (Index j = 0; j < n; ++j) y[j] = x[off + j * inner_step];
    }
    Next(idx, out.shape.dims, r - 1);
  }
}

// ---- Transpose ----

// perm[i] = input axis of output axis i; an absent or empty perm reverses the axes (ONNX default).
int PermAt(const efm::TransposeOptions* o, int rank, int i) {
  if (o == nullptr || o->perm() == nullptr || o->perm()->size() == 0) return rank - 1 - i;
  return o->perm()->Get(static_cast<uint32_t>(i));
}

template <class T>
EDGE_KERNEL_CLONES void TransposeRows(const T* x, T* y, int rank, const Index* dims,
                                      const Index* in_stride) {
  const Index n = dims[rank - 1];
  const Index s = in_stride[rank - 1];
  Index rows = 1;
  for (int a = 0; a < rank - 1; ++a) rows *= dims[a];
  Index idx[kMaxRank] = {};
  Index off = 0;
  for (Index row = 0; row < rows; ++row, y += n) {
    if (s == 1) {
      std::memcpy(y, x + off, static_cast<size_t>(n) * sizeof(T));
    } else {
      for (Index j = 0; j < n; ++j) y[j] = x[off + j * s];
    }
    for (int d = rank - 2; d >= 0; --d) {
      off += in_stride[d];
      if (++idx[d] < dims[d]) break;
      off -= in_stride[d] * dims[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void TransposeRun(const OpContext& ctx) {
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_TransposeOptions() : nullptr;
  const auto* x = static_cast<const T*>(in.data);
  auto* y = static_cast<T*>(out.data);
  const int r = out.shape.rank;
  const Index total = out.elements();
  if (total == 0) return;
  Index stride[kMaxRank] = {};
  RowMajorStrides(in.shape, stride);
  if (ctx.reference) {
    for (Index i = 0; i < total; ++i) {
      Index rem = i;
      Index off = 0;
      for (int a = r - 1; a >= 0; --a) {
        off += (rem % out.shape.dims[a]) * stride[PermAt(o, r, a)];
        rem /= out.shape.dims[a];
      }
      y[i] = x[off];
    }
    return;
  }
  // Drop size-1 axes; merge output axes that are also adjacent, in order, in the input.
  Index dims[kMaxRank] = {};
  Index in_stride[kMaxRank] = {};
  int m = 0;
  for (int a = 0; a < r; ++a) {
    const Index d = out.shape.dims[a];
    if (d == 1) continue;
    const Index s = stride[PermAt(o, r, a)];
    if (m > 0 && in_stride[m - 1] == s * d) {
      dims[m - 1] *= d;
      in_stride[m - 1] = s;
    } else {
      dims[m] = d;
      in_stride[m] = s;
      ++m;
    }
  }
  if (m == 0) {  // a single element
    y[0] = x[0];
    return;
  }
  TransposeRows(x, y, m, dims, in_stride);
}

// ---- Gather ----

template <class T>
void GatherRun(const OpContext& ctx, int axis) {
  const Tensor& data = ctx.inputs[0];
  const auto* x = static_cast<const T*>(data.data);
  const int32_t* index = ctx.inputs[1].i32();
  auto* y = static_cast<T*>(ctx.outputs[0].data);
  const Index k = data.shape.dims[axis];
  const Index n = ctx.inputs[1].elements();
  const Index outer = DimProduct(data.shape, 0, axis);
  const Index inner = DimProduct(data.shape, axis + 1, data.shape.rank);
  for (Index o = 0; o < outer; ++o) {
    for (Index j = 0; j < n; ++j, y += inner) {
      const Index v = index[j] < 0 ? index[j] + k : index[j];  // checked by EvalGather
      const T* src = x + (o * k + v) * inner;
      if (inner == 1) {
        y[0] = src[0];
      } else {
        std::memcpy(y, src, static_cast<size_t>(inner) * sizeof(T));
      }
    }
  }
}

// ---- Pad ----

struct PadAxis {
  Index before;  // output positions before the (cropped) input along this axis
  Index crop;    // input positions removed at the start (negative begin pad)
  Index len;     // input positions kept
};

// Input index read for output position `o` along an axis, or -1 for the constant value.
inline Index PadSource(const PadAxis& p, efm::PadMode mode, Index o) {
  Index rel = o - p.before;
  if (rel < 0 || rel >= p.len) {
    if (mode == efm::PadMode::Constant) return -1;
    if (mode == efm::PadMode::Edge) {
      rel = rel < 0 ? 0 : p.len - 1;
    } else if (p.len == 1) {  // Reflect of one element repeats it (numpy.pad)
      rel = 0;
    } else {  // Reflect: the axis mirrored without repeating the edge, periodically (numpy.pad)
      const Index period = 2 * (p.len - 1);
      rel %= period;
      if (rel < 0) rel += period;
      if (rel >= p.len) rel = period - rel;
    }
  }
  return p.crop + rel;
}

// The constant value for an integer tensor: rounded to nearest, saturated, NaN -> 0.
int32_t RoundSaturate(float v, int32_t lo, int32_t hi) {
  if (v != v) return 0;
  const float r = std::nearbyint(v);
  if (r <= static_cast<float>(lo)) return lo;
  if (r >= static_cast<float>(hi)) return hi;
  return static_cast<int32_t>(r);
}

template <class T>
void PadRun(const OpContext& ctx, const efm::PadOptions* o, T value) {
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  const auto* x = static_cast<const T*>(in.data);
  auto* y = static_cast<T*>(out.data);
  const int r = out.shape.rank;
  if (out.elements() == 0) return;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  const efm::PadMode mode = o->mode();
  PadAxis ax[kMaxRank];
  for (int a = 0; a < r; ++a) {
    const Index begin = o->pads()->Get(a);
    const Index end = o->pads()->Get(a + r);
    ax[a].before = begin > 0 ? begin : 0;
    ax[a].crop = begin < 0 ? -begin : 0;
    ax[a].len = in.shape.dims[a] - ax[a].crop - (end < 0 ? -end : 0);
  }
  Index stride[kMaxRank] = {};
  RowMajorStrides(in.shape, stride);
  const PadAxis& last = ax[r - 1];
  const Index n = out.shape.dims[r - 1];
  const Index copy_end = last.before + last.len < n ? last.before + last.len : n;
  const Index rows = DimProduct(out.shape, 0, r - 1);
  Index idx[kMaxRank] = {};
  for (Index row = 0; row < rows; ++row, y += n) {
    Index off = 0;
    bool constant_row = false;
    for (int a = 0; a < r - 1 && !constant_row; ++a) {
      const Index s = PadSource(ax[a], mode, idx[a]);
      constant_row = s < 0;
      off += s * stride[a];
    }
    Next(idx, out.shape.dims, r - 1);
    if (constant_row) {
      for (Index j = 0; j < n; ++j) y[j] = value;
      continue;
    }
    const T* src = x + off;
    for (Index j = 0; j < last.before && j < n; ++j) {
      const Index s = PadSource(last, mode, j);
      y[j] = s < 0 ? value : src[s];
    }
    if (copy_end > last.before) {
      std::memcpy(y + last.before, src + last.crop,
                  static_cast<size_t>(copy_end - last.before) * sizeof(T));
    }
    for (Index j = copy_end > last.before ? copy_end : last.before; j < n; ++j) {
      const Index s = PadSource(last, mode, j);
      y[j] = s < 0 ? value : src[s];
    }
  }
}

// ---- Resize ----

// Linear mode interpolates over at most this many axes (bilinear and trilinear fit).
constexpr int kMaxLinearAxes = 4;

// Per output position along one resized axis: the input taps and their weights.
struct ResizeTap {
  int32_t i0;
  int32_t i1;
  float w0;
  float w1;
};

bool AxisResized(const Shape& in, const Shape& out, const efm::ResizeOptions* o, int a) {
  return in.dims[a] != out.dims[a] || o->scales()->Get(static_cast<uint32_t>(a)) != 1.0f;
}

// The input coordinate of output position `x` along an axis (ONNX Resize
// coordinate_transformation_mode). A scale that is output/input up to float rounding (the compiler
// derived it from `sizes`) is taken as that exact ratio. Computed in double precision, as the ONNX
// reference does, except for the two modes PyTorch exports for its linear modes, which follow
// PyTorch's CPU upsample kernels (ATen/native/UpSample.h): the ratio rounded to float, then the
// coordinate in double. A torch model then matches torch to the rounding of the weights, and the
// ONNX reference to ~1e-7 relative.
double SourceCoordinate(efm::CoordinateTransform mode, bool linear, Index x, float scale, Index in,
                        Index out) {
  const double s = scale;
  const auto d_in = static_cast<double>(in);
  const auto d_out = static_cast<double>(out);
  const bool exact = std::fabs(s * d_in - d_out) <= 1e-6 * d_out;
  const auto div_scale = [&](double v) { return exact ? v * d_in / d_out : v / s; };
  switch (mode) {
    case efm::CoordinateTransform::HalfPixel:
      return div_scale(static_cast<double>(x) + 0.5) - 0.5;
    case efm::CoordinateTransform::PytorchHalfPixel: {
      if (out <= 1) return -0.5;
      if (!linear) return div_scale(static_cast<double>(x) + 0.5) - 0.5;
      const float ratio =
          exact ? static_cast<float>(in) / static_cast<float>(out) : static_cast<float>(1.0 / s);
      return static_cast<double>(ratio) * (static_cast<double>(x) + 0.5) - 0.5;
    }
    case efm::CoordinateTransform::AlignCorners: {
      // The resized length is scale * input (not rounded), as the ONNX reference defines it.
      const double len = exact ? d_out : s * d_in;
      if (len == 1.0) return 0.0;
      if (!linear) return static_cast<double>(x) * static_cast<double>(in - 1) / (len - 1.0);
      const float ratio = static_cast<float>(in - 1) / static_cast<float>(len - 1.0);
      return static_cast<double>(ratio) * static_cast<double>(x);
    }
    case efm::CoordinateTransform::Asymmetric:
      return div_scale(static_cast<double>(x));
  }
  return 0.0;
}

int32_t ClampIndex(double i, Index in) {
  if (i < 0.0) return 0;
  if (i > static_cast<double>(in - 1)) return static_cast<int32_t>(in - 1);
  return static_cast<int32_t>(i);
}

ResizeTap MakeTap(const efm::ResizeOptions* o, Index x, float scale, Index in, Index out) {
  const bool linear = o->mode() == efm::ResizeMode::Linear;
  double c = SourceCoordinate(o->coordinate_transform(), linear, x, scale, in, out);
  // Everything beyond one step outside the input reads the edge: clamp before converting.
  const double hi = static_cast<double>(in);
  c = c < -1.0 ? -1.0 : (c > hi ? hi : c);
  const double f = std::floor(c);
  const double frac = c - f;
  ResizeTap t{};
  if (linear) {
    t.i0 = ClampIndex(f, in);
    t.i1 = ClampIndex(f + 1.0, in);
    t.w1 = static_cast<float>(frac);
    t.w0 = static_cast<float>(1.0 - frac);
    return t;
  }
  double pick = f;
  if (frac != 0.0) {
    switch (o->nearest_mode()) {
      case efm::NearestMode::RoundPreferFloor:
        pick = frac <= 0.5 ? f : f + 1.0;
        break;
      case efm::NearestMode::RoundPreferCeil:
        pick = frac < 0.5 ? f : f + 1.0;
        break;
      case efm::NearestMode::Floor:
        break;
      case efm::NearestMode::Ceil:
        pick = f + 1.0;
        break;
    }
  }
  t.i0 = t.i1 = ClampIndex(pick, in);
  t.w0 = 1.0f;
  t.w1 = 0.0f;
  return t;
}

// Fills the scratch with the taps of every resized axis; taps[a] points at axis a's (or null).
void BuildTaps(const OpContext& ctx, const efm::ResizeOptions* o, ResizeTap** taps) {
  const Shape& in = ctx.inputs[0].shape;
  const Shape& out = ctx.outputs[0].shape;
  auto* next = static_cast<ResizeTap*>(ctx.scratch);
  for (int a = 0; a < out.rank; ++a) {
    taps[a] = nullptr;
    if (!AxisResized(in, out, o, a)) continue;
    taps[a] = next;
    const float scale = o->scales()->Get(static_cast<uint32_t>(a));
    for (Index x = 0; x < out.dims[a]; ++x) {
      *next++ = MakeTap(o, x, scale, in.dims[a], out.dims[a]);
    }
  }
}

template <class T>
void ResizeNearestRun(const OpContext& ctx, ResizeTap* const* taps) {
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  const auto* x = static_cast<const T*>(in.data);
  auto* y = static_cast<T*>(out.data);
  const int r = out.shape.rank;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  Index stride[kMaxRank] = {};
  RowMajorStrides(in.shape, stride);
  const Index n = out.shape.dims[r - 1];
  const ResizeTap* inner = taps[r - 1];
  const Index rows = DimProduct(out.shape, 0, r - 1);
  Index idx[kMaxRank] = {};
  for (Index row = 0; row < rows; ++row, y += n) {
    Index off = 0;
    for (int a = 0; a < r - 1; ++a) {
      off += (taps[a] != nullptr ? taps[a][idx[a]].i0 : idx[a]) * stride[a];
    }
    Next(idx, out.shape.dims, r - 1);
    if (inner == nullptr) {
      std::memcpy(y, x + off, static_cast<size_t>(n) * sizeof(T));
    } else {
      for (Index j = 0; j < n; ++j) y[j] = x[off + inner[j].i0];
    }
  }
}

void ResizeLinearRun(const OpContext& ctx, ResizeTap* const* taps) {
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  const float* x = in.f32();
  float* y = out.f32();
  const int r = out.shape.rank;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  Index stride[kMaxRank] = {};
  RowMajorStrides(in.shape, stride);
  const Index n = out.shape.dims[r - 1];
  const ResizeTap* inner = taps[r - 1];
  const Index rows = DimProduct(out.shape, 0, r - 1);
  constexpr int kMaxCorners = 1 << kMaxLinearAxes;
  Index idx[kMaxRank] = {};
  for (Index row = 0; row < rows; ++row, y += n) {
    // The row is a weighted sum of input rows: one per corner of the outer resized axes.
    Index off[kMaxCorners] = {0};
    float w[kMaxCorners] = {1.0f};
    int corners = 1;
    for (int a = 0; a < r - 1; ++a) {
      if (taps[a] == nullptr) {
        for (int c = 0; c < corners; ++c) off[c] += idx[a] * stride[a];
        continue;
      }
      const ResizeTap& t = taps[a][idx[a]];
      if (t.w1 != 0.0f) {
        for (int c = 0; c < corners; ++c) {
          off[corners + c] = off[c] + t.i1 * stride[a];
          w[corners + c] = w[c] * t.w1;
        }
      }
      for (int c = 0; c < corners; ++c) {
        off[c] += t.i0 * stride[a];
        w[c] *= t.w0;
      }
      if (t.w1 != 0.0f) corners *= 2;
    }
    Next(idx, out.shape.dims, r - 1);
    if (inner == nullptr) {
      for (Index j = 0; j < n; ++j) {
        float acc = 0.0f;
        for (int c = 0; c < corners; ++c) acc += w[c] * x[off[c] + j];
        y[j] = acc;
      }
    } else if (corners == 1 && w[0] == 1.0f) {
      const float* src = x + off[0];
      for (Index j = 0; j < n; ++j) {
        const ResizeTap& t = inner[j];
        y[j] = t.w0 * src[t.i0] + t.w1 * src[t.i1];
      }
    } else {
      for (Index j = 0; j < n; ++j) {
        const ResizeTap& t = inner[j];
        float acc = 0.0f;
        for (int c = 0; c < corners; ++c) {
          acc += w[c] * (t.w0 * x[off[c] + t.i0] + t.w1 * x[off[c] + t.i1]);
        }
        y[j] = acc;
      }
    }
  }
}

}  // namespace

// ---- Concat ----

Status PrepareConcat(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, kMaxOpInputs, 1));
  const efm::AxisOptions* o = AxisOptionsOf(ctx);
  if (o == nullptr) return OpFail(ctx, "needs AxisOptions");
  const Shape& out = ctx.outputs[0].shape;
  const int axis = o->axis();
  if (axis < 0 || axis >= out.rank) {
    return OpFail(ctx, "axis ", axis, " out of range for output rank ", out.rank);
  }
  int64_t sum = 0;
  for (int i = 0; i < ctx.num_inputs; ++i) {
    const Tensor& t = ctx.inputs[i];
    if (!t.present) return OpFail(ctx, "input ", i, " is required but absent");
    if (t.dtype != ctx.outputs[0].dtype) {
      return OpFail(ctx, "input ", i, " is ", DTypeText(t.dtype), " but output is ",
                    DTypeText(ctx.outputs[0].dtype));
    }
    EDGE_TRY(CheckDimsExceptAxis(ctx, "input", i, t.shape, out, axis));
    sum += t.shape.dims[axis];
  }
  if (sum != out.dims[axis]) {
    return OpFail(ctx, "inputs sum to ", sum, " along axis ", axis, ", output has ",
                  out.dims[axis]);
  }
  return OkStatus();
}

Status EvalConcat(const OpContext& ctx) {
  const Tensor& out = ctx.outputs[0];
  if (out.elements() == 0) return OkStatus();  // `outer` alone may be huge when another dim is 0
  const int axis = AxisOptionsOf(ctx)->axis();
  const Index outer = DimProduct(out.shape, 0, axis);
  const size_t inner_bytes =
      static_cast<size_t>(DimProduct(out.shape, axis + 1, out.shape.rank)) * DTypeSize(out.dtype);
  auto* dst = static_cast<uint8_t*>(out.data);
  for (Index o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.num_inputs; ++i) {
      const size_t bytes = static_cast<size_t>(ctx.inputs[i].shape.dims[axis]) * inner_bytes;
      if (bytes == 0) continue;
      std::memcpy(dst, static_cast<const uint8_t*>(ctx.inputs[i].data) + o * bytes, bytes);
      dst += bytes;
    }
  }
  return OkStatus();
}

// ---- Slice ----

Status PrepareSlice(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 5, 1));
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  EDGE_TRY(CheckSameDType(ctx, in, out));
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_SliceOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs SliceOptions");
  const int r = in.shape.rank;
  if (out.shape.rank != r) {
    return OpFail(ctx, "output rank ", out.shape.rank, " differs from input rank ", r);
  }
  const uint32_t n_starts = o->starts() != nullptr ? o->starts()->size() : 0;
  const uint32_t n_steps = o->steps() != nullptr ? o->steps()->size() : 0;
  if (n_starts != static_cast<uint32_t>(r) || (n_steps != 0 && n_steps != n_starts)) {
    return OpFail(ctx, "starts/steps have ", n_starts, "/", n_steps, " entries, expected ", r,
                  " (one per input axis)");
  }
  for (int a = 0; a < r; ++a) {
    const int64_t start = o->starts()->Get(a);
    const int64_t step = n_steps != 0 ? o->steps()->Get(a) : 1;
    const int64_t dim = in.shape.dims[a];
    const int64_t n = out.shape.dims[a];
    if (step == 0) return OpFail(ctx, "step 0 on axis ", a);
    if (n == 0) continue;  // nothing is read along this axis
    const int64_t last = start + (n - 1) * step;
    if (start < 0 || start >= dim || last < 0 || last >= dim) {
      return OpFail(ctx, "axis ", a, ": ", n, " elements from ", start, " step ", step,
                    " read outside [0,", dim, ")");
    }
  }
  return OkStatus();
}

Status EvalSlice(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  const auto* o = ctx.op->options_as_SliceOptions();
  if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    SliceRun<uint8_t>(ctx, o);
  } else {
    SliceRun<uint32_t>(ctx, o);
  }
  return OkStatus();
}

// ---- Split ----

Status PrepareSplit(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  if (ctx.num_outputs < 1) return OpFail(ctx, "expects at least 1 output, got ", ctx.num_outputs);
  EDGE_TRY(CheckArity(ctx, 1, 2, ctx.num_outputs));
  const efm::AxisOptions* o = AxisOptionsOf(ctx);
  if (o == nullptr) return OpFail(ctx, "needs AxisOptions");
  const Tensor& in = ctx.inputs[0];
  const int axis = o->axis();
  if (axis < 0 || axis >= in.shape.rank) {
    return OpFail(ctx, "axis ", axis, " out of range for input rank ", in.shape.rank);
  }
  int64_t sum = 0;
  for (int i = 0; i < ctx.num_outputs; ++i) {
    const Tensor& t = ctx.outputs[i];
    if (t.dtype != in.dtype) {
      return OpFail(ctx, "output ", i, " is ", DTypeText(t.dtype), " but input is ",
                    DTypeText(in.dtype));
    }
    EDGE_TRY(CheckDimsExceptAxis(ctx, "output", i, t.shape, in.shape, axis));
    sum += t.shape.dims[axis];
  }
  if (sum != in.shape.dims[axis]) {
    return OpFail(ctx, "outputs sum to ", sum, " along axis ", axis, ", input has ",
                  in.shape.dims[axis]);
  }
  return OkStatus();
}

Status EvalSplit(const OpContext& ctx) {
  const Tensor& in = ctx.inputs[0];
  if (in.elements() == 0) return OkStatus();  // `outer` alone may be huge when another dim is 0
  const int axis = AxisOptionsOf(ctx)->axis();
  const Index outer = DimProduct(in.shape, 0, axis);
  const size_t inner_bytes =
      static_cast<size_t>(DimProduct(in.shape, axis + 1, in.shape.rank)) * DTypeSize(in.dtype);
  const auto* src = static_cast<const uint8_t*>(in.data);
  for (Index o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.num_outputs; ++i) {
      const size_t bytes = static_cast<size_t>(ctx.outputs[i].shape.dims[axis]) * inner_bytes;
      if (bytes == 0) continue;
      std::memcpy(static_cast<uint8_t*>(ctx.outputs[i].data) + o * bytes, src, bytes);
      src += bytes;
    }
  }
  return OkStatus();
}

// ---- Transpose ----

Status PrepareTranspose(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 1, 1));
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  EDGE_TRY(CheckSameDType(ctx, in, out));
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_TransposeOptions() : nullptr;
  const int r = in.shape.rank;
  if (out.shape.rank != r) {
    return OpFail(ctx, "output rank ", out.shape.rank, " differs from input rank ", r);
  }
  if (o != nullptr && o->perm() != nullptr && o->perm()->size() != 0 &&
      o->perm()->size() != static_cast<uint32_t>(r)) {
    return OpFail(ctx, "perm has ", o->perm()->size(), " entries, expected ", r);
  }
  bool seen[kMaxRank] = {};
  for (int i = 0; i < r; ++i) {
    const int p = PermAt(o, r, i);
    if (p < 0 || p >= r || seen[p]) {
      return OpFail(ctx, "perm is not a permutation of 0..", r - 1, " (entry ", i, " is ", p, ")");
    }
    seen[p] = true;
    if (out.shape.dims[i] != in.shape.dims[p]) {
      return OpFail(ctx, "output shape ", ShapeText(out.shape).str, " is not input shape ",
                    ShapeText(in.shape).str, " permuted (axis ", i, ")");
    }
  }
  return OkStatus();
}

Status EvalTranspose(const OpContext& ctx) {
  if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    TransposeRun<uint8_t>(ctx);
  } else {
    TransposeRun<uint32_t>(ctx);
  }
  return OkStatus();
}

// ---- Gather ----

Status PrepareGather(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 2, 2, 1));
  const Tensor& data = ctx.inputs[0];
  const Tensor& index = ctx.inputs[1];
  const Tensor& out = ctx.outputs[0];
  EDGE_TRY(CheckSameDType(ctx, data, out));
  if (index.dtype != DType::kI32) {
    return OpFail(ctx, "indices are ", DTypeText(index.dtype), ", expected i32");
  }
  const efm::AxisOptions* o = AxisOptionsOf(ctx);
  if (o == nullptr) return OpFail(ctx, "needs AxisOptions");
  const int axis = o->axis();
  if (axis < 0 || axis >= data.shape.rank) {
    return OpFail(ctx, "axis ", axis, " out of range for data rank ", data.shape.rank);
  }
  // output = data.shape[:axis] + indices.shape + data.shape[axis + 1:]
  bool ok = out.shape.rank == data.shape.rank - 1 + index.shape.rank;
  for (int i = 0; i < out.shape.rank && ok; ++i) {
    int32_t want;
    if (i < axis) {
      want = data.shape.dims[i];
    } else if (i < axis + index.shape.rank) {
      want = index.shape.dims[i - axis];
    } else {
      want = data.shape.dims[i - index.shape.rank + 1];
    }
    ok = out.shape.dims[i] == want;
  }
  if (!ok) {
    return OpFail(ctx, "output shape ", ShapeText(out.shape).str, " is not data ",
                  ShapeText(data.shape).str, " with axis ", axis, " replaced by indices ",
                  ShapeText(index.shape).str);
  }
  return OkStatus();
}

Status EvalGather(const OpContext& ctx) {
  const int axis = AxisOptionsOf(ctx)->axis();
  const Index k = ctx.inputs[0].shape.dims[axis];
  const Index n = ctx.inputs[1].elements();
  const int32_t* index = ctx.inputs[1].i32();
  for (Index j = 0; j < n; ++j) {  // all checked before anything is written
    if (index[j] < -k || index[j] >= k) {
      return OpFail(ctx, "index ", index[j], " (position ", j, ") out of range [", -k, ",", k,
                    ") for axis ", axis);
    }
  }
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    GatherRun<uint8_t>(ctx, axis);
  } else {
    GatherRun<uint32_t>(ctx, axis);
  }
  return OkStatus();
}

// ---- Pad ----

Status PreparePad(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 4, 1));
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  EDGE_TRY(CheckSameDType(ctx, in, out));
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_PadOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs PadOptions");
  const int r = in.shape.rank;
  if (out.shape.rank != r) {
    return OpFail(ctx, "output rank ", out.shape.rank, " differs from input rank ", r);
  }
  const uint32_t n_pads = o->pads() != nullptr ? o->pads()->size() : 0;
  if (n_pads != 2u * static_cast<uint32_t>(r)) {
    return OpFail(ctx, "pads has ", n_pads, " entries, expected ", 2 * r);
  }
  if (o->mode() < efm::PadMode::MIN || o->mode() > efm::PadMode::MAX) {
    return OpFail(ctx, "unknown pad mode ", static_cast<int>(o->mode()));
  }
  for (int a = 0; a < r; ++a) {
    const int64_t begin = o->pads()->Get(a);
    const int64_t end = o->pads()->Get(a + r);
    const int64_t dim = in.shape.dims[a];
    const int64_t kept = dim - (begin < 0 ? -begin : 0) - (end < 0 ? -end : 0);
    if (kept < 0) {
      return OpFail(ctx, "axis ", a, ": pads ", begin, ",", end, " crop more than its ", dim,
                    " elements");
    }
    if (dim + begin + end != out.shape.dims[a]) {
      return OpFail(ctx, "axis ", a, ": ", dim, " padded by ", begin, ",", end, " is ",
                    dim + begin + end, ", output has ", out.shape.dims[a]);
    }
    if (kept == 0 && (begin > 0 || end > 0) && o->mode() != efm::PadMode::Constant) {
      return OpFail(ctx, "axis ", a, ": reflect/edge padding needs at least one input element");
    }
  }
  return OkStatus();
}

Status EvalPad(const OpContext& ctx) {
  const auto* o = ctx.op->options_as_PadOptions();
  const float v = o->value();
  switch (ctx.outputs[0].dtype) {
    case DType::kF32: {
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      PadRun<uint32_t>(ctx, o, bits);
      break;
    }
    case DType::kI32:
      PadRun<uint32_t>(ctx, o, static_cast<uint32_t>(RoundSaturate(v, INT32_MIN, INT32_MAX)));
      break;
    case DType::kI8:
      PadRun<uint8_t>(ctx, o, static_cast<uint8_t>(RoundSaturate(v, INT8_MIN, INT8_MAX)));
      break;
  }
  return OkStatus();
}

// ---- Resize ----

Status PrepareResize(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  EDGE_TRY(CheckArity(ctx, 1, 4, 1));
  const Tensor& in = ctx.inputs[0];
  const Tensor& out = ctx.outputs[0];
  EDGE_TRY(CheckSameDType(ctx, in, out));
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_ResizeOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "needs ResizeOptions");
  if (o->mode() < efm::ResizeMode::MIN || o->mode() > efm::ResizeMode::MAX ||
      o->coordinate_transform() < efm::CoordinateTransform::MIN ||
      o->coordinate_transform() > efm::CoordinateTransform::MAX ||
      o->nearest_mode() < efm::NearestMode::MIN || o->nearest_mode() > efm::NearestMode::MAX) {
    return OpFail(ctx, "unknown mode/coordinate_transform/nearest_mode ",
                  static_cast<int>(o->mode()), "/", static_cast<int>(o->coordinate_transform()),
                  "/", static_cast<int>(o->nearest_mode()));
  }
  const bool linear = o->mode() == efm::ResizeMode::Linear;
  if (linear && in.dtype != DType::kF32) {
    return OpFail(ctx, "linear mode needs f32, got ", DTypeText(in.dtype));
  }
  const int r = in.shape.rank;
  if (out.shape.rank != r) {
    return OpFail(ctx, "output rank ", out.shape.rank, " differs from input rank ", r);
  }
  const uint32_t n_scales = o->scales() != nullptr ? o->scales()->size() : 0;
  if (n_scales != static_cast<uint32_t>(r)) {
    return OpFail(ctx, "scales has ", n_scales, " entries, expected ", r);
  }
  int resized = 0;
  size_t taps = 0;
  for (int a = 0; a < r; ++a) {
    const float s = o->scales()->Get(static_cast<uint32_t>(a));
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return OpFail(ctx, "scale of axis ", a, " must be positive and finite");
    }
    if (in.shape.dims[a] == 0 && out.shape.dims[a] != 0) {
      return OpFail(ctx, "axis ", a, " is empty in the input but has ", out.shape.dims[a],
                    " elements in the output");
    }
    if (AxisResized(in.shape, out.shape, o, a)) {
      ++resized;
      taps += static_cast<size_t>(out.shape.dims[a]);
    }
  }
  if (linear && resized > kMaxLinearAxes) {
    return OpFail(ctx, "linear mode over ", resized, " axes, at most ", kMaxLinearAxes,
                  " supported");
  }
  *scratch_bytes = taps * sizeof(ResizeTap);
  return OkStatus();
}

Status EvalResize(const OpContext& ctx) {
  if (ctx.outputs[0].elements() == 0) return OkStatus();
  const auto* o = ctx.op->options_as_ResizeOptions();
  ResizeTap* taps[kMaxRank];
  BuildTaps(ctx, o, taps);
  if (o->mode() == efm::ResizeMode::Linear) {
    ResizeLinearRun(ctx, taps);
  } else if (DTypeSize(ctx.outputs[0].dtype) == 1) {
    ResizeNearestRun<uint8_t>(ctx, taps);
  } else {
    ResizeNearestRun<uint32_t>(ctx, taps);
  }
  return OkStatus();
}

}  // namespace edge::runtime
