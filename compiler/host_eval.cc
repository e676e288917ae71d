// Host evaluation of efm-level ops on compile-time values (int64 precision for integers). Only
// data-movement ops and exact arithmetic run here; anything whose float result could differ from
// the runtime's kernels goes through the interpreter instead (efm_writer.cc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ir.h"

namespace edge::compiler::internal {
namespace {

using T = efm::OpType;

std::vector<int64_t> Strides(const Dims& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int k = static_cast<int>(shape.size()) - 2; k >= 0; --k) s[k] = s[k + 1] * shape[k + 1];
  return s;
}

// Calls fn(multi_index, linear) for every element of `shape` in C order.
template <typename Fn>
void ForEachIndex(const Dims& shape, Fn fn) {
  const int64_t n = NumElements(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    fn(idx, lin);
    for (int k = static_cast<int>(shape.size()) - 1; k >= 0; --k) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

// For every element of `out`, the index of the element of `in` it reads under numpy
// broadcasting (in is right-aligned against out).
std::vector<int64_t> BroadcastIndex(const Dims& in, const Dims& out) {
  const std::vector<int64_t> st = Strides(in);
  const size_t off = out.size() - in.size();
  std::vector<int64_t> map(static_cast<size_t>(NumElements(out)));
  ForEachIndex(out, [&](const std::vector<int64_t>& idx, int64_t lin) {
    int64_t src = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      if (in[k] != 1) src += idx[k + off] * st[k];
    }
    map[lin] = src;
  });
  return map;
}

// out[k] = in[map[k]] (map[k] < 0: `fill`), converted to `elem`.
HostValue Take(const HostValue& in, const std::vector<int64_t>& map, int32_t elem, Dims shape,
               double fill = 0.0) {
  HostValue out;
  out.elem = elem;
  out.shape = std::move(shape);
  const size_t n = map.size();
  if (out.is_float()) {
    out.f.resize(n);
    for (size_t k = 0; k < n; ++k) {
      out.f[k] = map[k] < 0 ? static_cast<float>(fill)
                            : (in.is_float() ? in.f[map[k]] : static_cast<float>(in.i[map[k]]));
    }
  } else {
    out.i.resize(n);
    for (size_t k = 0; k < n; ++k) {
      out.i[k] = map[k] < 0 ? static_cast<int64_t>(fill) : in.AsInt(map[k]);
    }
  }
  return out;
}

int64_t IntBinary(T type, int64_t a, int64_t b) {
  const auto ua = static_cast<uint64_t>(a);
  const auto ub = static_cast<uint64_t>(b);
  switch (type) {
    case T::Add:
      return static_cast<int64_t>(ua + ub);
    case T::Sub:
      return static_cast<int64_t>(ua - ub);
    case T::Mul:
      return static_cast<int64_t>(ua * ub);
    case T::Div:
      if (b == 0) return 0;
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return a;
      return a / b;
    case T::Min:
      return a < b ? a : b;
    case T::Max:
      return a > b ? a : b;
    default:
      return 0;
  }
}

float FloatBinary(T type, float a, float b) {
  switch (type) {
    case T::Add:
      return a + b;
    case T::Sub:
      return a - b;
    case T::Mul:
      return a * b;
    case T::Div:
      return a / b;
    case T::Min:
      return std::isnan(a) || std::isnan(b) ? std::numeric_limits<float>::quiet_NaN()
                                            : (a < b ? a : b);
    case T::Max:
      return std::isnan(a) || std::isnan(b) ? std::numeric_limits<float>::quiet_NaN()
                                            : (a > b ? a : b);
    default:
      return 0.0f;
  }
}

bool AllConst(const Graph& g, const Op& op) {
  for (int id : op.inputs) {
    if (id >= 0 && !g.tensors[id].is_const()) return false;
  }
  return true;
}

const HostValue& Val(const Graph& g, int id) { return *g.tensors[id].value; }

void SetValue(Graph& g, int id, HostValue v) {
  v.elem = g.tensors[id].elem;
  v.shape = g.tensors[id].shape;
  g.tensors[id].value = std::make_shared<const HostValue>(std::move(v));
}

}  // namespace

bool HostCanEvaluate(const Graph& g, const Op& op) {
  auto is_float = [&](int id) { return id >= 0 && IsFloatElem(g.tensors[id].elem); };
  switch (op.type) {
    case T::Copy:
    case T::Concat:
    case T::Slice:
    case T::Split:
    case T::Transpose:
    case T::Gather:
    case T::Expand:
    case T::Add:
    case T::Sub:
    case T::Mul:
    case T::Div:
    case T::Min:
    case T::Max:
    case T::Neg:
    case T::Abs:
    case T::Relu:
    case T::Floor:
    case T::Ceil:
      return true;
    case T::Pad:
      return op.a.pad_mode == efm::PadMode::Constant;
    case T::ReduceSum:
    case T::ReduceMax:
    case T::ReduceMin:
      return !is_float(op.inputs[0]);
    default:
      return false;
  }
}

absl::Status HostEvaluate(Graph& g, const Op& op) {
  if (!AllConst(g, op)) return absl::InternalError("host evaluation of a non-constant op");
  const int out = op.outputs.empty() ? -1 : op.outputs[0];
  const Dims out_shape = out >= 0 ? g.tensors[out].shape : Dims{};
  const int32_t out_elem = out >= 0 ? g.tensors[out].elem : kFloat;
  switch (op.type) {
    case T::Copy: {
      const HostValue& x = Val(g, op.inputs[0]);
      std::vector<int64_t> map(static_cast<size_t>(x.numel()));
      for (size_t k = 0; k < map.size(); ++k) map[k] = static_cast<int64_t>(k);
      SetValue(g, out, Take(x, map, out_elem, out_shape));
      return absl::OkStatus();
    }
    case T::Add:
    case T::Sub:
    case T::Mul:
    case T::Div:
    case T::Min:
    case T::Max: {
      const HostValue& a = Val(g, op.inputs[0]);
      const HostValue& b = Val(g, op.inputs[1]);
      const auto ma = BroadcastIndex(a.shape, out_shape);
      const auto mb = BroadcastIndex(b.shape, out_shape);
      HostValue r;
      r.elem = out_elem;
      if (r.is_float()) {
        r.f.resize(ma.size());
        for (size_t k = 0; k < ma.size(); ++k) {
          r.f[k] = FloatBinary(op.type, static_cast<float>(a.AsDouble(ma[k])),
                               static_cast<float>(b.AsDouble(mb[k])));
        }
      } else {
        r.i.resize(ma.size());
        for (size_t k = 0; k < ma.size(); ++k) {
          r.i[k] = IntBinary(op.type, a.AsInt(ma[k]), b.AsInt(mb[k]));
        }
      }
      SetValue(g, out, std::move(r));
      return absl::OkStatus();
    }
    case T::Neg:
    case T::Abs:
    case T::Relu:
    case T::Floor:
    case T::Ceil: {
      HostValue r = Val(g, op.inputs[0]);
      if (r.is_float()) {
        for (float& v : r.f) {
          switch (op.type) {
            case T::Neg:
              v = -v;
              break;
            case T::Abs:
              v = std::fabs(v);
              break;
            case T::Relu:
              v = v > 0.0f ? v : 0.0f;
              break;
            case T::Floor:
              v = std::floor(v);
              break;
            default:
              v = std::ceil(v);
              break;
          }
        }
      } else {
        for (int64_t& v : r.i) {
          switch (op.type) {
            case T::Neg:
              v = static_cast<int64_t>(0 - static_cast<uint64_t>(v));
              break;
            case T::Abs:
              v = v < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : v;
              break;
            case T::Relu:
              v = v > 0 ? v : 0;
              break;
            default:
              break;
          }
        }
      }
      SetValue(g, out, std::move(r));
      return absl::OkStatus();
    }
    case T::Concat: {
      const int axis = op.a.axis;
      HostValue r;
      r.elem = out_elem;
      const size_t n = static_cast<size_t>(NumElements(out_shape));
      if (r.is_float())
        r.f.resize(n);
      else
        r.i.resize(n);
      int64_t outer = 1, inner_out = 1;
      for (int k = 0; k < axis; ++k) outer *= out_shape[k];
      for (size_t k = axis; k < out_shape.size(); ++k) inner_out *= out_shape[k];
      int64_t base = 0;
      for (int id : op.inputs) {
        const HostValue& x = Val(g, id);
        int64_t inner = 1;
        for (size_t k = axis; k < x.shape.size(); ++k) inner *= x.shape[k];
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t q = 0; q < inner; ++q) {
            const size_t dst = static_cast<size_t>(o * inner_out + base + q);
            const size_t src = static_cast<size_t>(o * inner + q);
            if (r.is_float()) {
              r.f[dst] = static_cast<float>(x.AsDouble(src));
            } else {
              r.i[dst] = x.AsInt(src);
            }
          }
        }
        base += inner;
      }
      SetValue(g, out, std::move(r));
      return absl::OkStatus();
    }
    case T::Slice: {
      const HostValue& x = Val(g, op.inputs[0]);
      const std::vector<int64_t> st = Strides(x.shape);
      std::vector<int64_t> map(static_cast<size_t>(NumElements(out_shape)));
      ForEachIndex(out_shape, [&](const std::vector<int64_t>& idx, int64_t lin) {
        int64_t src = 0;
        for (size_t k = 0; k < idx.size(); ++k) {
          src += (op.a.starts[k] + idx[k] * op.a.steps[k]) * st[k];
        }
        map[lin] = src;
      });
      SetValue(g, out, Take(x, map, out_elem, out_shape));
      return absl::OkStatus();
    }
    case T::Split: {
      const HostValue& x = Val(g, op.inputs[0]);
      const std::vector<int64_t> st = Strides(x.shape);
      int64_t offset = 0;
      for (int id : op.outputs) {
        if (id < 0) continue;
        const Dims& shape = g.tensors[id].shape;
        std::vector<int64_t> map(static_cast<size_t>(NumElements(shape)));
        ForEachIndex(shape, [&](const std::vector<int64_t>& idx, int64_t lin) {
          int64_t src = 0;
          for (size_t k = 0; k < idx.size(); ++k) {
            src += (idx[k] + (static_cast<int>(k) == op.a.axis ? offset : 0)) * st[k];
          }
          map[lin] = src;
        });
        offset += shape[op.a.axis];
        SetValue(g, id, Take(x, map, g.tensors[id].elem, shape));
      }
      return absl::OkStatus();
    }
    case T::Transpose: {
      const HostValue& x = Val(g, op.inputs[0]);
      const std::vector<int64_t> st = Strides(x.shape);
      std::vector<int64_t> map(static_cast<size_t>(NumElements(out_shape)));
      ForEachIndex(out_shape, [&](const std::vector<int64_t>& idx, int64_t lin) {
        int64_t src = 0;
        for (size_t k = 0; k < idx.size(); ++k) src += idx[k] * st[op.a.perm[k]];
        map[lin] = src;
      });
      SetValue(g, out, Take(x, map, out_elem, out_shape));
      return absl::OkStatus();
    }
    case T::Gather: {
      const HostValue& x = Val(g, op.inputs[0]);
      const HostValue& ind = Val(g, op.inputs[1]);
      const int axis = op.a.axis;
      const int64_t dim = x.shape[axis];
      int64_t outer = 1, inner = 1;
      for (int k = 0; k < axis; ++k) outer *= x.shape[k];
      for (size_t k = axis + 1; k < x.shape.size(); ++k) inner *= x.shape[k];
      const int64_t ni = ind.numel();
      std::vector<int64_t> map;
      map.reserve(static_cast<size_t>(outer * ni * inner));
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t j = 0; j < ni; ++j) {
          int64_t v = ind.AsInt(j);
          if (v < 0) v += dim;
          if (v < 0 || v >= dim) {
            return absl::InvalidArgumentError(absl::StrCat(op.origin, ": index ", ind.AsInt(j),
                                                           " out of range for axis of size ", dim));
          }
          for (int64_t q = 0; q < inner; ++q) map.push_back((o * dim + v) * inner + q);
        }
      }
      SetValue(g, out, Take(x, map, out_elem, out_shape));
      return absl::OkStatus();
    }
    case T::Expand: {
      const HostValue& x = Val(g, op.inputs[0]);
      SetValue(g, out, Take(x, BroadcastIndex(x.shape, out_shape), out_elem, out_shape));
      return absl::OkStatus();
    }
    case T::Pad: {
      const HostValue& x = Val(g, op.inputs[0]);
      const size_t r = x.shape.size();
      const std::vector<int64_t> st = Strides(x.shape);
      std::vector<int64_t> map(static_cast<size_t>(NumElements(out_shape)));
      ForEachIndex(out_shape, [&](const std::vector<int64_t>& idx, int64_t lin) {
        int64_t src = 0;
        for (size_t k = 0; k < r; ++k) {
          const int64_t s = idx[k] - op.a.pad_amounts[k];
          if (s < 0 || s >= x.shape[k]) {
            src = -1;
            break;
          }
          src += s * st[k];
        }
        map[lin] = src;
      });
      SetValue(g, out, Take(x, map, out_elem, out_shape, op.a.pad_value));
      return absl::OkStatus();
    }
    case T::ReduceSum:
    case T::ReduceMax:
    case T::ReduceMin: {
      const HostValue& x = Val(g, op.inputs[0]);
      const size_t r = x.shape.size();
      std::vector<bool> reduced(r, op.a.axes.empty());
      for (int a : op.a.axes) reduced[a] = true;
      Dims kept;  // the output shape with keepdims
      for (size_t k = 0; k < r; ++k) kept.push_back(reduced[k] ? 1 : x.shape[k]);
      const std::vector<int64_t> ost = Strides(kept);
      const size_t n = static_cast<size_t>(NumElements(kept));
      std::vector<int64_t> acc(n);
      std::vector<bool> seen(n, false);
      ForEachIndex(x.shape, [&](const std::vector<int64_t>& idx, int64_t lin) {
        size_t o = 0;
        for (size_t k = 0; k < r; ++k) {
          if (!reduced[k]) o += static_cast<size_t>(idx[k] * ost[k]);
        }
        const int64_t v = x.i[lin];
        if (!seen[o]) {
          acc[o] = v;
          seen[o] = true;
        } else if (op.type == T::ReduceSum) {
          acc[o] += v;
        } else if (op.type == T::ReduceMax) {
          acc[o] = std::max(acc[o], v);
        } else {
          acc[o] = std::min(acc[o], v);
        }
      });
      for (size_t o = 0; o < n; ++o) {
        if (!seen[o]) {
          acc[o] = op.type == T::ReduceSum   ? 0
                   : op.type == T::ReduceMax ? std::numeric_limits<int64_t>::min()
                                             : std::numeric_limits<int64_t>::max();
        }
      }
      SetValue(g, out, HostValue::Ints(out_elem, out_shape, std::move(acc)));
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(
          absl::StrCat("no host evaluation for ", efm::EnumNameOpType(op.type)));
  }
}

}  // namespace edge::compiler::internal
