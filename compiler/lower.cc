// ONNX node handlers: every supported op type, every opset variant from 6 to 17, normalised to
// the efm ops and options documented in lib/runtime/efm.fbs. Compile-time-only ops (Shape,
// ConstantOfShape, Range, comparisons...) compute their outputs here directly.
#include "lower.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "edge/runtime/internal/op_context.h"

namespace edge::compiler::internal {
namespace {

using T = efm::OpType;

// Per-op limits of the runtime.
constexpr size_t kMaxConcatInputs = static_cast<size_t>(runtime::kMaxOpInputs);
constexpr size_t kMaxSplitOutputs = static_cast<size_t>(runtime::kMaxOpOutputs);

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1u;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(man), -24);
  } else if (exp == 31) {
    v = man == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  } else {
    v = std::ldexp(static_cast<float>(man | 0x400u), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

float Bfloat16ToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

template <typename S>
S ReadLE(const std::string& raw, size_t k) {
  S v;
  std::memcpy(&v, raw.data() + k * sizeof(S), sizeof(S));
  return v;
}

std::string ShapeStr(const Dims& d) { return DimsToString(d); }

}  // namespace

absl::StatusOr<HostValue> HostValueFromProto(const onnx::TensorProto& t) {
  HostValue v;
  v.elem = t.data_type();
  for (int64_t d : t.dims()) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name(), "' has a negative dimension ", d));
    }
    v.shape.push_back(d);
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    return absl::UnimplementedError(
        absl::StrCat("tensor '", t.name(), "' uses external data, which is not supported"));
  }
  const int64_t n = v.numel();
  const bool raw = t.has_raw_data();
  const std::string& r = t.raw_data();
  auto check_count = [&](int64_t have) -> absl::Status {
    if (have != n) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", t.name(), "' has ", have,
                                                     " values but its shape ", ShapeStr(v.shape),
                                                     " needs ", n));
    }
    return absl::OkStatus();
  };
  auto check_raw = [&](size_t elem_size) -> absl::Status {
    return check_count(static_cast<int64_t>(r.size() / elem_size) *
                       (r.size() % elem_size == 0 ? 1 : -1));
  };
  const size_t un = static_cast<size_t>(n);
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (raw) {
        if (auto s = check_raw(4); !s.ok()) return s;
        v.f.resize(un);
        if (un > 0) std::memcpy(v.f.data(), r.data(), un * 4);
      } else {
        if (auto s = check_count(t.float_data_size()); !s.ok()) return s;
        v.f.assign(t.float_data().begin(), t.float_data().end());
      }
      return v;
    case onnx::TensorProto::DOUBLE:
      if (raw) {
        if (auto s = check_raw(8); !s.ok()) return s;
        for (size_t k = 0; k < un; ++k) v.f.push_back(static_cast<float>(ReadLE<double>(r, k)));
      } else {
        if (auto s = check_count(t.double_data_size()); !s.ok()) return s;
        for (double d : t.double_data()) v.f.push_back(static_cast<float>(d));
      }
      return v;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      const bool half = t.data_type() == onnx::TensorProto::FLOAT16;
      if (raw) {
        if (auto s = check_raw(2); !s.ok()) return s;
        for (size_t k = 0; k < un; ++k) {
          const uint16_t h = ReadLE<uint16_t>(r, k);
          v.f.push_back(half ? HalfToFloat(h) : Bfloat16ToFloat(h));
        }
      } else {
        if (auto s = check_count(t.int32_data_size()); !s.ok()) return s;
        for (int32_t h : t.int32_data()) {
          v.f.push_back(half ? HalfToFloat(static_cast<uint16_t>(h))
                             : Bfloat16ToFloat(static_cast<uint16_t>(h)));
        }
      }
      return v;
    }
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      if (raw) {
        const int dt = t.data_type();
        const size_t es = dt == onnx::TensorProto::INT32                                        ? 4
                          : (dt == onnx::TensorProto::INT16 || dt == onnx::TensorProto::UINT16) ? 2
                                                                                                : 1;
        if (auto s = check_raw(es); !s.ok()) return s;
        for (size_t k = 0; k < un; ++k) {
          int64_t x = 0;
          switch (dt) {
            case onnx::TensorProto::INT32:
              x = ReadLE<int32_t>(r, k);
              break;
            case onnx::TensorProto::INT16:
              x = ReadLE<int16_t>(r, k);
              break;
            case onnx::TensorProto::UINT16:
              x = ReadLE<uint16_t>(r, k);
              break;
            case onnx::TensorProto::INT8:
              x = ReadLE<int8_t>(r, k);
              break;
            case onnx::TensorProto::UINT8:
              x = ReadLE<uint8_t>(r, k);
              break;
            default:
              x = ReadLE<uint8_t>(r, k) != 0 ? 1 : 0;
              break;
          }
          v.i.push_back(x);
        }
      } else {
        if (auto s = check_count(t.int32_data_size()); !s.ok()) return s;
        v.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      return v;
    }
    case onnx::TensorProto::INT64:
      if (raw) {
        if (auto s = check_raw(8); !s.ok()) return s;
        for (size_t k = 0; k < un; ++k) v.i.push_back(ReadLE<int64_t>(r, k));
      } else {
        if (auto s = check_count(t.int64_data_size()); !s.ok()) return s;
        v.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      return v;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      if (raw) {
        const bool u32 = t.data_type() == onnx::TensorProto::UINT32;
        if (auto s = check_raw(u32 ? 4 : 8); !s.ok()) return s;
        for (size_t k = 0; k < un; ++k) {
          v.i.push_back(u32 ? static_cast<int64_t>(ReadLE<uint32_t>(r, k))
                            : static_cast<int64_t>(ReadLE<uint64_t>(r, k)));
        }
      } else {
        if (auto s = check_count(t.uint64_data_size()); !s.ok()) return s;
        for (uint64_t x : t.uint64_data()) v.i.push_back(static_cast<int64_t>(x));
      }
      return v;
    default:
      return absl::UnimplementedError(absl::StrCat("tensor '", t.name(), "' has element type ",
                                                   ElemName(t.data_type()),
                                                   ", which is not supported"));
  }
}

// ---------------------------------------------------------------------------------------------
// NodeCtx

NodeCtx::NodeCtx(Graph* g, std::unordered_map<std::string, int>* names, const onnx::NodeProto& node,
                 int opset, std::vector<Op>* sink,
                 const std::unordered_map<std::string, std::pair<int32_t, Dims>>* inferred,
                 int model_opset)
    : g_(g), names_(names), node_(node), opset_(opset), sink_(sink), inferred_(inferred) {
  origin_ = absl::StrCat("node '", base_name(), "' (", node.op_type(), ", opset ",
                         model_opset > 0 ? model_opset : opset, ")");
}

std::string NodeCtx::base_name() const {
  if (!node_.name().empty()) return node_.name();
  if (node_.output_size() > 0) return node_.output(0);
  return node_.op_type();
}

int NodeCtx::in(int i) const {
  if (!has_input(i)) return -1;
  auto it = names_->find(node_.input(i));
  return it == names_->end() ? -1 : it->second;
}

absl::StatusOr<const HostValue*> NodeCtx::ConstInput(int i, absl::string_view what) const {
  if (!has_input(i)) return Invalid(absl::StrCat("input ", i, " (", what, ") is missing"));
  const Tensor& x = input(i);
  if (!x.is_const()) {
    return Unsupported(
        absl::StrCat("input ", i, " (", what, ", '", x.name, "') must be a compile-time constant"));
  }
  return x.value.get();
}

absl::StatusOr<std::vector<int64_t>> NodeCtx::ConstInts(int i, absl::string_view what) const {
  auto v = ConstInput(i, what);
  if (!v.ok()) return v.status();
  std::vector<int64_t> out;
  for (size_t k = 0; k < (*v)->size(); ++k) out.push_back((*v)->AsInt(k));
  if ((*v)->is_float()) {
    return Invalid(absl::StrCat("input ", i, " (", what, ") must be an integer tensor"));
  }
  return out;
}

absl::StatusOr<std::vector<float>> NodeCtx::ConstFloats(int i, absl::string_view what) const {
  auto v = ConstInput(i, what);
  if (!v.ok()) return v.status();
  std::vector<float> out;
  for (size_t k = 0; k < (*v)->size(); ++k) out.push_back(static_cast<float>((*v)->AsDouble(k)));
  return out;
}

absl::StatusOr<int> NodeCtx::Out(int i, int32_t elem, Dims shape) {
  if (!has_output(i)) return -1;
  const std::string& name = node_.output(i);
  if (names_->count(name) != 0)
    return Invalid(absl::StrCat("output '", name, "' is defined twice"));
  int64_t count;
  if (!CheckedNumElements(shape, &count)) {
    return Invalid(absl::StrCat("output '", name, "' would have shape ", ShapeStr(shape)));
  }
  if (inferred_ != nullptr && !skip_inferred_) {
    auto it = inferred_->find(name);
    if (it != inferred_->end()) {
      if (it->second.first != kUndefined && it->second.first != elem) {
        return absl::InternalError(absl::StrCat(origin_, ": output '", name, "' computed as ",
                                                ElemName(elem), " but ONNX type inference says ",
                                                ElemName(it->second.first)));
      }
      if (!(it->second.second.size() == 1 && it->second.second[0] == -1) &&
          it->second.second != shape) {
        return absl::InternalError(
            absl::StrCat(origin_, ": output '", name, "' computed with shape ", ShapeStr(shape),
                         " but ONNX shape inference says ", ShapeStr(it->second.second)));
      }
    }
  }
  const int id = g_->AddTensor(name, elem, std::move(shape));
  (*names_)[name] = id;
  return id;
}

absl::Status NodeCtx::OutValue(int i, HostValue value) {
  auto id = Out(i, value.elem, value.shape);
  if (!id.ok()) return id.status();
  if (*id >= 0) g_->tensors[*id].value = std::make_shared<const HostValue>(std::move(value));
  return absl::OkStatus();
}

int NodeCtx::Temp(int32_t elem, Dims shape, absl::string_view suffix) {
  return g_->AddTensor(absl::StrCat(base_name(), "/", suffix), elem, std::move(shape));
}

int NodeCtx::Const(HostValue value, absl::string_view suffix) {
  return g_->AddConstant(absl::StrCat(base_name(), "/", suffix), std::move(value));
}

Op& NodeCtx::Emit(efm::OpType type, std::vector<int> inputs, std::vector<int> outputs) {
  Op op;
  op.type = type;
  op.inputs = std::move(inputs);
  op.outputs = std::move(outputs);
  op.name = base_name();
  op.origin = origin_;
  sink_->push_back(std::move(op));
  return sink_->back();
}

int NodeCtx::Reshaped(int x, Dims shape, absl::string_view suffix) {
  const Tensor& src = g_->tensors[x];
  if (src.is_const()) {
    HostValue v = *src.value;
    v.shape = std::move(shape);
    return Const(std::move(v), suffix);
  }
  const int y = Temp(src.elem, std::move(shape), suffix);
  Emit(T::Copy, {x}, {y});
  return y;
}

const onnx::AttributeProto* NodeCtx::attr(absl::string_view name) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t NodeCtx::AttrInt(absl::string_view name, int64_t def) const {
  const auto* a = attr(name);
  return a == nullptr ? def : a->i();
}

float NodeCtx::AttrFloat(absl::string_view name, float def) const {
  const auto* a = attr(name);
  return a == nullptr ? def : a->f();
}

std::string NodeCtx::AttrString(absl::string_view name, absl::string_view def) const {
  const auto* a = attr(name);
  return a == nullptr ? std::string(def) : a->s();
}

std::vector<int64_t> NodeCtx::AttrInts(absl::string_view name) const {
  const auto* a = attr(name);
  if (a == nullptr) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<float> NodeCtx::AttrFloats(absl::string_view name) const {
  const auto* a = attr(name);
  if (a == nullptr) return {};
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

std::vector<std::string> NodeCtx::AttrStrings(absl::string_view name) const {
  const auto* a = attr(name);
  if (a == nullptr) return {};
  return std::vector<std::string>(a->strings().begin(), a->strings().end());
}

absl::Status NodeCtx::Unsupported(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(origin_, ": ", what));
}

absl::Status NodeCtx::Invalid(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(origin_, ": ", what));
}

namespace {

#define TRY(expr)              \
  do {                         \
    absl::Status _st = (expr); \
    if (!_st.ok()) return _st; \
  } while (0)

#define TRY_ASSIGN(lhs, expr)                   \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

std::vector<int32_t> ToI32(const std::vector<int64_t>& v) {
  return std::vector<int32_t>(v.begin(), v.end());
}

absl::Status RequireInput(NodeCtx& c, int i, absl::string_view what) {
  if (!c.has_input(i) || c.in(i) < 0) {
    return c.Invalid(absl::StrCat("input ", i, " (", what, ") is missing"));
  }
  return absl::OkStatus();
}

// Fits an int64 into int32 for an option field.
absl::Status FitsI32(NodeCtx& c, int64_t v, absl::string_view what) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return c.Invalid(absl::StrCat(what, " ", v, " does not fit int32"));
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------------- elementwise binary

// Opset < 7 `broadcast`/`axis`: B is aligned with A starting at `axis` (default: trailing).
absl::StatusOr<int> LegacyBroadcast(NodeCtx& c, int a, int b) {
  if (c.opset() >= 7) return b;
  const Dims& sa = c.t(a).shape;
  const Dims& sb = c.t(b).shape;
  if (c.AttrInt("broadcast", 0) == 0) {
    if (sa != sb) {
      return c.Invalid(
          absl::StrCat("shapes ", ShapeStr(sa), " and ", ShapeStr(sb), " differ and broadcast=0"));
    }
    return b;
  }
  if (!c.has_attr("axis")) return b;  // trailing alignment = numpy rules
  int64_t axis = c.AttrInt("axis", 0);
  const int64_t ra = static_cast<int64_t>(sa.size());
  const int64_t rb = static_cast<int64_t>(sb.size());
  if (axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra) {
    return c.Invalid(absl::StrCat("broadcast axis ", c.AttrInt("axis", 0), " does not fit ",
                                  ShapeStr(sb), " into ", ShapeStr(sa)));
  }
  Dims shape = sb;
  for (int64_t k = axis + rb; k < ra; ++k) shape.push_back(1);
  if (shape == sb) return b;
  return c.Reshaped(b, shape, "broadcast");
}

absl::Status EmitBinary(NodeCtx& c, T type, int a, int b, int out_index) {
  Dims shape;
  if (!BroadcastShapes(c.t(a).shape, c.t(b).shape, &shape)) {
    return c.Invalid(absl::StrCat("shapes ", ShapeStr(c.t(a).shape), " and ",
                                  ShapeStr(c.t(b).shape), " do not broadcast"));
  }
  TRY_ASSIGN(y, c.Out(out_index, c.t(a).elem, shape));
  c.Emit(type, {a, b}, {y});
  return absl::OkStatus();
}

absl::Status LowerBinary(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "A"));
  TRY(RequireInput(c, 1, "B"));
  const int a = c.in(0);
  int b = c.in(1);
  if (c.t(a).elem != c.t(b).elem) {
    return c.Invalid(absl::StrCat("operand types differ (", ElemName(c.t(a).elem), " and ",
                                  ElemName(c.t(b).elem), ")"));
  }
  TRY_ASSIGN(b2, LegacyBroadcast(c, a, b));
  return EmitBinary(c, type, a, b2, 0);
}

absl::Status LowerAdd(NodeCtx& c) { return LowerBinary(c, T::Add); }
absl::Status LowerSub(NodeCtx& c) { return LowerBinary(c, T::Sub); }
absl::Status LowerMul(NodeCtx& c) { return LowerBinary(c, T::Mul); }
absl::Status LowerDiv(NodeCtx& c) { return LowerBinary(c, T::Div); }

absl::Status LowerPow(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "Y"));
  const int x = c.in(0);
  int y = c.in(1);
  if (c.t(x).elem != kFloat) {
    return c.Unsupported(
        absl::StrCat("base of type ", ElemName(c.t(x).elem), " (only float is supported)"));
  }
  if (c.t(y).elem != kFloat) {
    if (!c.t(y).is_const()) {
      return c.Unsupported(absl::StrCat("run-time exponent of type ", ElemName(c.t(y).elem),
                                        " (only float, or a constant)"));
    }
    const HostValue& v = *c.t(y).value;
    std::vector<float> f;
    for (size_t k = 0; k < v.size(); ++k) f.push_back(static_cast<float>(v.AsDouble(k)));
    y = c.Const(HostValue::Floats(v.shape, std::move(f)), "exponent");
  }
  TRY_ASSIGN(y2, LegacyBroadcast(c, x, y));
  return EmitBinary(c, T::Pow, x, y2, 0);
}

absl::Status LowerVariadic(NodeCtx& c, T type, bool mean) {
  std::vector<int> ins;
  for (int i = 0; i < c.num_inputs(); ++i) {
    if (c.in(i) >= 0) ins.push_back(c.in(i));
  }
  if (ins.empty()) return c.Invalid("no inputs");
  for (int id : ins) {
    if (c.t(id).elem != c.t(ins[0]).elem) return c.Invalid("inputs have different types");
  }
  Dims shape = c.t(ins[0]).shape;
  for (size_t k = 1; k < ins.size(); ++k) {
    Dims next;
    if (!BroadcastShapes(shape, c.t(ins[k]).shape, &next)) {
      return c.Invalid(absl::StrCat("input shapes ", ShapeStr(shape), " and ",
                                    ShapeStr(c.t(ins[k]).shape), " do not broadcast"));
    }
    shape = next;
  }
  const int32_t elem = c.t(ins[0]).elem;
  if (mean && elem != kFloat) return c.Unsupported("Mean of non-float tensors");
  TRY_ASSIGN(y, c.Out(0, elem, shape));
  if (ins.size() == 1) {
    if (c.t(ins[0]).shape == shape) {
      c.Emit(T::Copy, {ins[0]}, {y});
    } else {
      c.Emit(T::Expand, {ins[0]}, {y});
    }
    return absl::OkStatus();
  }
  int acc = ins[0];
  for (size_t k = 1; k < ins.size(); ++k) {
    const bool last = k + 1 == ins.size() && !mean;
    Dims s;
    BroadcastShapes(c.t(acc).shape, c.t(ins[k]).shape, &s);
    const int out = last ? y : c.Temp(elem, s, absl::StrCat("acc", k));
    c.Emit(type, {acc, ins[k]}, {out});
    acc = out;
  }
  if (mean) {
    const int n = c.Const(HostValue::Floats({}, {static_cast<float>(ins.size())}), "count");
    c.Emit(T::Div, {acc, n}, {y});
  }
  return absl::OkStatus();
}

absl::Status LowerSum(NodeCtx& c) { return LowerVariadic(c, T::Add, false); }
absl::Status LowerMean(NodeCtx& c) { return LowerVariadic(c, T::Add, true); }
absl::Status LowerMin(NodeCtx& c) { return LowerVariadic(c, T::Min, false); }
absl::Status LowerMax(NodeCtx& c) { return LowerVariadic(c, T::Max, false); }

absl::Status LowerPRelu(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "slope"));
  const int x = c.in(0);
  int slope = c.in(1);
  const Dims& xs = c.t(x).shape;
  const Dims& ss = c.t(slope).shape;
  if (c.opset() < 7 && ss.size() == 1 && xs.size() >= 3 && ss[0] == xs[1] && ss[0] > 1) {
    // Opset 6 exporters meant a per-channel slope.
    Dims shape = {ss[0]};
    for (size_t k = 2; k < xs.size(); ++k) shape.push_back(1);
    slope = c.Reshaped(slope, shape, "slope");
  }
  Dims out;
  if (!BroadcastShapes(xs, c.t(slope).shape, &out) || out != xs) {
    return c.Invalid(absl::StrCat("slope ", ShapeStr(c.t(slope).shape), " does not broadcast to X ",
                                  ShapeStr(xs)));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, xs));
  c.Emit(T::PRelu, {x, slope}, {y});
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------ unary

absl::Status EmitUnary(NodeCtx& c, T type, float alpha, float beta) {
  TRY(RequireInput(c, 0, "X"));
  const int x = c.in(0);
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, c.t(x).shape));
  Op& op = c.Emit(type, {x}, {y});
  op.a.alpha = alpha;
  op.a.beta = beta;
  return absl::OkStatus();
}

#define SIMPLE_UNARY(Name) \
  absl::Status Lower##Name(NodeCtx& c) { return EmitUnary(c, T::Name, 0.0f, 0.0f); }
SIMPLE_UNARY(Relu)
SIMPLE_UNARY(Sigmoid)
SIMPLE_UNARY(Tanh)
SIMPLE_UNARY(HardSwish)
SIMPLE_UNARY(Softplus)
SIMPLE_UNARY(Softsign)
SIMPLE_UNARY(Exp)
SIMPLE_UNARY(Sqrt)
SIMPLE_UNARY(Neg)
SIMPLE_UNARY(Abs)
SIMPLE_UNARY(Log)
SIMPLE_UNARY(Reciprocal)
SIMPLE_UNARY(Floor)
SIMPLE_UNARY(Ceil)
SIMPLE_UNARY(Erf)
SIMPLE_UNARY(Sin)
SIMPLE_UNARY(Cos)
SIMPLE_UNARY(Tan)
SIMPLE_UNARY(Sign)
SIMPLE_UNARY(Round)
#undef SIMPLE_UNARY

absl::Status LowerLeakyRelu(NodeCtx& c) {
  return EmitUnary(c, T::LeakyRelu, c.AttrFloat("alpha", 0.01f), 0.0f);
}
absl::Status LowerHardSigmoid(NodeCtx& c) {
  return EmitUnary(c, T::HardSigmoid, c.AttrFloat("alpha", 0.2f), c.AttrFloat("beta", 0.5f));
}
absl::Status LowerElu(NodeCtx& c) { return EmitUnary(c, T::Elu, c.AttrFloat("alpha", 1.0f), 0.0f); }
absl::Status LowerSelu(NodeCtx& c) {
  return EmitUnary(c, T::Selu, c.AttrFloat("alpha", 1.67326319217681884765625f),
                   c.AttrFloat("gamma", 1.05070102214813232421875f));
}

// Clip with run-time bounds: min(max(x, lo), hi) with scalar broadcasting.
absl::Status LowerClipRuntimeBounds(NodeCtx& c) {
  const int x = c.in(0);
  const int lo = c.has_input(1) ? c.in(1) : -1;
  const int hi = c.has_input(2) ? c.in(2) : -1;
  for (int b : {lo, hi}) {
    if (b >= 0 && (!c.t(b).shape.empty() || c.t(b).elem != c.t(x).elem)) {
      return c.Invalid("min and max must be scalars of the input's type");
    }
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, c.t(x).shape));
  int cur = x;
  if (lo >= 0) {
    const int t = hi >= 0 ? c.Temp(c.t(x).elem, c.t(x).shape, "clip_lo") : y;
    c.Emit(T::Max, {cur, lo}, {t});
    cur = t;
  }
  if (hi >= 0) c.Emit(T::Min, {cur, hi}, {y});
  return absl::OkStatus();
}

absl::Status LowerClip(NodeCtx& c) {
  float lo = -FLT_MAX, hi = FLT_MAX;
  if (c.opset() < 11) {
    lo = c.AttrFloat("min", -FLT_MAX);
    hi = c.AttrFloat("max", FLT_MAX);
  } else {
    TRY(RequireInput(c, 0, "input"));
    if ((c.has_input(1) && !c.is_const(1)) || (c.has_input(2) && !c.is_const(2))) {
      return LowerClipRuntimeBounds(c);
    }
    if (c.has_input(1)) {
      TRY_ASSIGN(v, c.ConstFloats(1, "min"));
      if (v.size() != 1) return c.Invalid("min must be a scalar");
      lo = v[0];
    }
    if (c.has_input(2)) {
      TRY_ASSIGN(v, c.ConstFloats(2, "max"));
      if (v.size() != 1) return c.Invalid("max must be a scalar");
      hi = v[0];
    }
  }
  return EmitUnary(c, T::Clip, lo, hi);
}

// ------------------------------------------------------------------------------ softmax

absl::Status LowerSoftmaxLike(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "input"));
  const int x = c.in(0);
  const int64_t r = static_cast<int64_t>(c.t(x).shape.size());
  const bool legacy = c.opset() < 13;
  int64_t axis = 0;
  if (r == 0 || !NormalizeAxis(c.AttrInt("axis", legacy ? 1 : -1), r, &axis)) {
    return c.Invalid(
        absl::StrCat("axis ", c.AttrInt("axis", legacy ? 1 : -1), " out of range for rank ", r));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, c.t(x).shape));
  Op& op = c.Emit(type, {x}, {y});
  op.a.axis = static_cast<int32_t>(axis);
  op.a.legacy_coerce = legacy;
  return absl::OkStatus();
}
absl::Status LowerSoftmax(NodeCtx& c) { return LowerSoftmaxLike(c, T::Softmax); }
absl::Status LowerLogSoftmax(NodeCtx& c) { return LowerSoftmaxLike(c, T::LogSoftmax); }

// ------------------------------------------------------------------------------ dense

absl::Status LowerMatMul(NodeCtx& c) {
  TRY(RequireInput(c, 0, "A"));
  TRY(RequireInput(c, 1, "B"));
  const int a = c.in(0), b = c.in(1);
  Dims sa = c.t(a).shape, sb = c.t(b).shape;
  if (sa.empty() || sb.empty()) return c.Invalid("MatMul operands must have rank >= 1");
  const bool a1 = sa.size() == 1, b1 = sb.size() == 1;
  if (a1) sa.insert(sa.begin(), 1);
  if (b1) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2], k = sa.back();
  const int64_t k2 = sb[sb.size() - 2], n = sb.back();
  if (k != k2) {
    return c.Invalid(absl::StrCat("inner dimensions differ: ", ShapeStr(c.t(a).shape), " x ",
                                  ShapeStr(c.t(b).shape)));
  }
  Dims batch;
  if (!BroadcastShapes(Dims(sa.begin(), sa.end() - 2), Dims(sb.begin(), sb.end() - 2), &batch)) {
    return c.Invalid(absl::StrCat("batch dimensions do not broadcast: ", ShapeStr(c.t(a).shape),
                                  " x ", ShapeStr(c.t(b).shape)));
  }
  Dims out = batch;
  if (!a1) out.push_back(m);
  if (!b1) out.push_back(n);
  TRY_ASSIGN(y, c.Out(0, c.t(a).elem, out));
  Op& op = c.Emit(T::MatMul, {a, b}, {y});
  op.macs = static_cast<uint64_t>(NumElements(batch) * m * n * k);
  return absl::OkStatus();
}

HostValue Transpose2D(const HostValue& v) {
  HostValue t = v;
  const int64_t r = v.shape[0], cols = v.shape[1];
  t.shape = {cols, r};
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      if (v.is_float()) {
        t.f[j * r + i] = v.f[i * cols + j];
      } else {
        t.i[j * r + i] = v.i[i * cols + j];
      }
    }
  }
  return t;
}

absl::Status LowerGemm(NodeCtx& c) {
  TRY(RequireInput(c, 0, "A"));
  TRY(RequireInput(c, 1, "B"));
  const int a = c.in(0);
  int b = c.in(1);
  const Dims& sa = c.t(a).shape;
  const Dims& sb = c.t(b).shape;
  if (sa.size() != 2 || sb.size() != 2) {
    return c.Invalid(absl::StrCat("A ", ShapeStr(sa), " and B ", ShapeStr(sb), " must be 2-D"));
  }
  const bool ta = c.AttrInt("transA", 0) != 0;
  bool tb = c.AttrInt("transB", 0) != 0;
  const int64_t m = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
  const int64_t k2 = tb ? sb[1] : sb[0], n = tb ? sb[0] : sb[1];
  if (k != k2) {
    return c.Invalid(absl::StrCat("inner dimensions differ: A ", ShapeStr(sa), " B ", ShapeStr(sb),
                                  " transA=", ta, " transB=", tb));
  }
  int cc = c.has_input(2) ? c.in(2) : -1;
  if (cc >= 0) {
    Dims bc;
    if (!BroadcastShapes({m, n}, c.t(cc).shape, &bc) || bc != Dims{m, n}) {
      return c.Invalid(
          absl::StrCat("C ", ShapeStr(c.t(cc).shape), " does not broadcast to [", m, ",", n, "]"));
    }
  }
  if (tb && c.t(b).is_const()) {
    // The dense kernel is fastest with B as [K, N].
    b = c.Const(Transpose2D(*c.t(b).value), "B_kn");
    tb = false;
  }
  TRY_ASSIGN(y, c.Out(0, c.t(a).elem, {m, n}));
  std::vector<int> ins = {a, b};
  if (cc >= 0) ins.push_back(cc);
  Op& op = c.Emit(T::Gemm, ins, {y});
  op.a.alpha = c.AttrFloat("alpha", 1.0f);
  op.a.beta = c.AttrFloat("beta", 1.0f);
  op.a.trans_a = ta;
  op.a.trans_b = tb;
  op.macs = static_cast<uint64_t>(m * n * k);
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------ conv / pool

struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  Dims out;                                               // spatial output dims
};

// Resolves kernel/strides/dilations/pads/auto_pad for Conv and pools. `ceil_mode` for pools.
absl::Status ResolveWindow(NodeCtx& c, const Dims& in_spatial, std::vector<int64_t> kernel,
                           bool ceil_mode, Window* w) {
  const size_t s = in_spatial.size();
  w->kernel = std::move(kernel);
  if (w->kernel.size() != s) {
    return c.Invalid(absl::StrCat("kernel_shape has ", w->kernel.size(), " entries, expected ", s));
  }
  w->strides = c.AttrInts("strides");
  if (w->strides.empty()) w->strides.assign(s, 1);
  w->dilations = c.AttrInts("dilations");
  if (w->dilations.empty()) w->dilations.assign(s, 1);
  w->pads = c.AttrInts("pads");
  if (w->pads.empty()) w->pads.assign(2 * s, 0);
  if (w->strides.size() != s || w->dilations.size() != s || w->pads.size() != 2 * s) {
    return c.Invalid("strides/dilations/pads have the wrong number of entries");
  }
  for (size_t i = 0; i < s; ++i) {
    if (w->strides[i] < 1 || w->dilations[i] < 1 || w->kernel[i] < 1) {
      return c.Invalid("kernel_shape, strides and dilations must be positive");
    }
    if (w->pads[i] < 0 || w->pads[i + s] < 0) return c.Invalid("pads must be non-negative");
  }
  const std::string auto_pad = c.AttrString("auto_pad", "NOTSET");
  w->out.assign(s, 0);
  for (size_t i = 0; i < s; ++i) {
    const int64_t in = in_spatial[i];
    const int64_t eff = (w->kernel[i] - 1) * w->dilations[i] + 1;
    const int64_t st = w->strides[i];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in + st - 1) / st;
      const int64_t total = std::max<int64_t>(0, (out - 1) * st + eff - in);
      if (auto_pad == "SAME_UPPER") {
        w->pads[i] = total / 2;
        w->pads[i + s] = total - total / 2;
      } else {
        w->pads[i] = total - total / 2;
        w->pads[i + s] = total / 2;
      }
      w->out[i] = out;
    } else if (auto_pad == "VALID") {
      w->pads[i] = w->pads[i + s] = 0;
      if (in < eff) return c.Invalid("input is smaller than the kernel");
      w->out[i] = (in - eff) / st + 1;
    } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
      const int64_t span = in + w->pads[i] + w->pads[i + s] - eff;
      if (span < 0) return c.Invalid("padded input is smaller than the kernel");
      w->out[i] = (ceil_mode ? (span + st - 1) / st : span / st) + 1;
      // ceil_mode: the last window must start inside the input or its left padding (PyTorch,
      // and ONNX since 1.14; onnx 1.12's shape inference omits this).
      if (ceil_mode && (w->out[i] - 1) * st >= in + w->pads[i]) {
        --w->out[i];
        c.SkipInferenceCheck();
      }
    } else {
      return c.Unsupported(absl::StrCat("auto_pad '", auto_pad, "'"));
    }
  }
  return absl::OkStatus();
}

void SetWindowAttrs(const Window& w, OpAttrs* a) {
  a->kernel_shape = ToI32(w.kernel);
  a->strides = ToI32(w.strides);
  a->dilations = ToI32(w.dilations);
  a->pads = ToI32(w.pads);
}

absl::Status LowerConv(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "W"));
  const int x = c.in(0), w = c.in(1);
  const int b = c.has_input(2) ? c.in(2) : -1;
  const Dims& xs = c.t(x).shape;
  const Dims& ws = c.t(w).shape;
  if (xs.size() < 3 || ws.size() != xs.size()) {
    return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " and W ", ShapeStr(ws),
                                  " must be N x C x D1... and M x C/group x k1..."));
  }
  const int64_t group = c.AttrInt("group", 1);
  const int64_t cin = xs[1], m = ws[0];
  if (group < 1 || cin != ws[1] * group || m % group != 0) {
    return c.Invalid(absl::StrCat("channels do not match: X ", ShapeStr(xs), ", W ", ShapeStr(ws),
                                  ", group ", group));
  }
  if (b >= 0 && c.t(b).shape != Dims{m}) {
    return c.Invalid(absl::StrCat("bias ", ShapeStr(c.t(b).shape), " must be [", m, "]"));
  }
  std::vector<int64_t> kernel = c.AttrInts("kernel_shape");
  const Dims wk(ws.begin() + 2, ws.end());
  if (kernel.empty()) kernel = wk;
  if (kernel != wk) return c.Invalid("kernel_shape does not match W");
  Window win;
  TRY(ResolveWindow(c, Dims(xs.begin() + 2, xs.end()), kernel, false, &win));
  Dims out = {xs[0], m};
  out.insert(out.end(), win.out.begin(), win.out.end());
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  std::vector<int> ins = {x, w};
  if (b >= 0) ins.push_back(b);
  Op& op = c.Emit(T::Conv, ins, {y});
  SetWindowAttrs(win, &op.a);
  op.a.group = static_cast<int32_t>(group);
  op.macs = static_cast<uint64_t>(NumElements(out) * ws[1] * NumElements(wk));
  return absl::OkStatus();
}

absl::Status LowerConvTranspose(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "W"));
  const int x = c.in(0), w = c.in(1);
  const int b = c.has_input(2) ? c.in(2) : -1;
  const Dims& xs = c.t(x).shape;
  const Dims& ws = c.t(w).shape;
  if (xs.size() < 3 || ws.size() != xs.size()) {
    return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " and W ", ShapeStr(ws),
                                  " must be N x C x D1... and C x M/group x k1..."));
  }
  const size_t s = xs.size() - 2;
  const int64_t group = c.AttrInt("group", 1);
  if (group < 1 || xs[1] != ws[0] || ws[0] % group != 0) {
    return c.Invalid(absl::StrCat("channels do not match: X ", ShapeStr(xs), ", W ", ShapeStr(ws),
                                  ", group ", group));
  }
  const int64_t m = ws[1] * group;
  if (b >= 0 && c.t(b).shape != Dims{m}) {
    return c.Invalid(absl::StrCat("bias ", ShapeStr(c.t(b).shape), " must be [", m, "]"));
  }
  std::vector<int64_t> kernel = c.AttrInts("kernel_shape");
  const Dims wk(ws.begin() + 2, ws.end());
  if (kernel.empty()) kernel = wk;
  if (kernel != wk) return c.Invalid("kernel_shape does not match W");
  std::vector<int64_t> strides = c.AttrInts("strides");
  if (strides.empty()) strides.assign(s, 1);
  std::vector<int64_t> dil = c.AttrInts("dilations");
  if (dil.empty()) dil.assign(s, 1);
  std::vector<int64_t> pads = c.AttrInts("pads");
  if (pads.empty()) pads.assign(2 * s, 0);
  std::vector<int64_t> opad = c.AttrInts("output_padding");
  if (opad.empty()) opad.assign(s, 0);
  std::vector<int64_t> oshape = c.AttrInts("output_shape");
  if (oshape.size() == s + 2) oshape.erase(oshape.begin(), oshape.begin() + 2);
  if (strides.size() != s || dil.size() != s || pads.size() != 2 * s || opad.size() != s ||
      (!oshape.empty() && oshape.size() != s)) {
    return c.Invalid("strides/dilations/pads/output_padding/output_shape have the wrong size");
  }
  const std::string auto_pad = c.AttrString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID" && !auto_pad.empty()) {
    return c.Unsupported(absl::StrCat("auto_pad '", auto_pad, "'"));
  }
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  Dims out = {xs[0], m};
  for (size_t i = 0; i < s; ++i) {
    if (strides[i] < 1 || dil[i] < 1) return c.Invalid("strides and dilations must be positive");
    const int64_t eff = (kernel[i] - 1) * dil[i] + 1;
    const int64_t full = strides[i] * (xs[i + 2] - 1) + opad[i] + eff;
    if (auto_pad == "VALID") pads[i] = pads[i + s] = 0;
    if (!oshape.empty() || same) {
      const int64_t target = !oshape.empty() ? oshape[i] : xs[i + 2] * strides[i];
      const int64_t total = full - target;
      if (total < 0) {
        // A larger output than the input covers: zeros at the end, like output_padding.
        opad[i] += -total;
        pads[i] = pads[i + s] = 0;
        out.push_back(target);
        continue;
      }
      if (auto_pad == "SAME_UPPER") {
        pads[i] = total / 2;
        pads[i + s] = total - total / 2;
      } else {
        pads[i] = total - total / 2;
        pads[i + s] = total / 2;
      }
    }
    if (pads[i] < 0 || pads[i + s] < 0) return c.Invalid("pads must be non-negative");
    const int64_t o = full - pads[i] - pads[i + s];
    if (o < 0) return c.Invalid("output would be empty");
    out.push_back(o);
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  std::vector<int> ins = {x, w};
  if (b >= 0) ins.push_back(b);
  Op& op = c.Emit(T::ConvTranspose, ins, {y});
  op.a.kernel_shape = ToI32(kernel);
  op.a.strides = ToI32(strides);
  op.a.dilations = ToI32(dil);
  op.a.pads = ToI32(pads);
  op.a.output_padding = ToI32(opad);
  op.a.group = static_cast<int32_t>(group);
  op.macs = static_cast<uint64_t>(NumElements(xs) * ws[1] * NumElements(wk));
  return absl::OkStatus();
}

absl::Status LowerPool(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "X"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  if (xs.size() < 3) return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " must be N x C x D1..."));
  if (c.has_output(1)) return c.Unsupported("the Indices output is not supported");
  std::vector<int64_t> kernel = c.AttrInts("kernel_shape");
  if (kernel.empty()) return c.Invalid("kernel_shape is required");
  Window win;
  TRY(ResolveWindow(c, Dims(xs.begin() + 2, xs.end()), kernel, c.AttrInt("ceil_mode", 0) != 0,
                    &win));
  Dims out = {xs[0], xs[1]};
  out.insert(out.end(), win.out.begin(), win.out.end());
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(type, {x}, {y});
  SetWindowAttrs(win, &op.a);
  op.a.count_include_pad = c.AttrInt("count_include_pad", 0) != 0;
  return absl::OkStatus();
}
absl::Status LowerMaxPool(NodeCtx& c) { return LowerPool(c, T::MaxPool); }
absl::Status LowerAveragePool(NodeCtx& c) { return LowerPool(c, T::AveragePool); }

absl::Status LowerGlobalPool(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "X"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  if (xs.size() < 3) return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " must be N x C x D1..."));
  Dims out = {xs[0], xs[1]};
  for (size_t k = 2; k < xs.size(); ++k) out.push_back(1);
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  c.Emit(type, {x}, {y});
  return absl::OkStatus();
}
absl::Status LowerGlobalAveragePool(NodeCtx& c) { return LowerGlobalPool(c, T::GlobalAveragePool); }
absl::Status LowerGlobalMaxPool(NodeCtx& c) { return LowerGlobalPool(c, T::GlobalMaxPool); }

absl::Status LowerBatchNormalization(NodeCtx& c) {
  for (int i = 0; i < 5; ++i) TRY(RequireInput(c, i, "X/scale/B/mean/var"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  if (xs.size() < 2) return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " must be N x C x ..."));
  if (c.opset() < 9 && c.AttrInt("spatial", 1) == 0) {
    return c.Unsupported("spatial=0 is not supported");
  }
  if (c.AttrInt("training_mode", 0) != 0) return c.Unsupported("training_mode=1 is not supported");
  for (int i = 1; i < c.num_outputs(); ++i) {
    if (c.has_output(i)) {
      return c.Unsupported("training outputs (running mean/var) are not supported");
    }
  }
  for (int i = 1; i < 5; ++i) {
    if (c.input(i).shape != Dims{xs[1]}) {
      return c.Invalid(absl::StrCat("input ", i, " has shape ", ShapeStr(c.input(i).shape),
                                    ", expected [", xs[1], "]"));
    }
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, xs));
  Op& op = c.Emit(T::BatchNormalization, {x, c.in(1), c.in(2), c.in(3), c.in(4)}, {y});
  op.a.epsilon = c.AttrFloat("epsilon", 1e-5f);
  return absl::OkStatus();
}

// ------------------------------------------------------------------------------ shape ops

absl::Status EmitCopy(NodeCtx& c, int x, Dims shape) {
  if (NumElements(shape) != NumElements(c.t(x).shape)) {
    return c.Invalid(absl::StrCat("cannot view ", ShapeStr(c.t(x).shape), " as ", ShapeStr(shape)));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, shape));
  c.Emit(T::Copy, {x}, {y});
  return absl::OkStatus();
}

absl::Status LowerIdentity(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  return EmitCopy(c, c.in(0), c.input(0).shape);
}

absl::Status LowerDropout(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  if (c.opset() >= 12 && c.has_input(2)) {
    TRY_ASSIGN(tm, c.ConstInts(2, "training_mode"));
    if (!tm.empty() && tm[0] != 0) {
      float ratio = 0.5f;
      if (c.has_input(1)) {
        TRY_ASSIGN(r, c.ConstFloats(1, "ratio"));
        if (!r.empty()) ratio = r[0];
      }
      if (ratio != 0.0f) return c.Unsupported("training_mode=true with a non-zero ratio");
    }
  }
  TRY(EmitCopy(c, x, c.t(x).shape));
  if (c.has_output(1)) {
    const int32_t elem = c.opset() >= 10 ? kBool : c.t(x).elem;
    TRY(c.OutValue(1, HostValue::Filled(elem, c.t(x).shape, 1.0)));
  }
  return absl::OkStatus();
}

absl::Status LowerReshape(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  TRY_ASSIGN(spec, c.ConstInts(1, "shape"));
  const Dims& in = c.input(0).shape;
  const bool allowzero = c.AttrInt("allowzero", 0) != 0;
  Dims out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t k = 0; k < spec.size(); ++k) {
    if (spec[k] == -1) {
      if (infer >= 0) return c.Invalid("more than one -1 in the shape");
      infer = static_cast<int>(k);
      continue;
    }
    if (spec[k] == 0 && !allowzero) {
      if (k >= in.size()) return c.Invalid("shape copies a dimension the input does not have");
      out[k] = in[k];
    } else if (spec[k] < 0) {
      return c.Invalid(absl::StrCat("invalid shape entry ", spec[k]));
    } else {
      out[k] = spec[k];
    }
    known *= out[k];
  }
  const int64_t total = NumElements(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) {
      return c.Invalid(absl::StrCat("cannot reshape ", ShapeStr(in), " to ",
                                    ShapeStr(Dims(spec.begin(), spec.end()))));
    }
    out[infer] = total / known;
  }
  if (NumElements(out) != total) {
    return c.Invalid(absl::StrCat("cannot reshape ", ShapeStr(in), " to ",
                                  ShapeStr(Dims(spec.begin(), spec.end()))));
  }
  return EmitCopy(c, c.in(0), out);
}

absl::Status LowerFlatten(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  const Dims& in = c.input(0).shape;
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t axis = c.AttrInt("axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) return c.Invalid(absl::StrCat("axis out of range for rank ", r));
  int64_t a = 1, b = 1;
  for (int64_t k = 0; k < r; ++k) (k < axis ? a : b) *= in[k];
  return EmitCopy(c, c.in(0), {a, b});
}

absl::StatusOr<std::vector<int64_t>> AxesFromAttrOrInput(NodeCtx& c, int since_opset,
                                                         bool* present) {
  *present = false;
  if (c.opset() < since_opset) {
    *present = c.has_attr("axes");
    return c.AttrInts("axes");
  }
  if (!c.has_input(1)) return std::vector<int64_t>{};
  *present = true;
  return c.ConstInts(1, "axes");
}

absl::Status LowerSqueeze(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const Dims& in = c.input(0).shape;
  bool present = false;
  TRY_ASSIGN(axes, AxesFromAttrOrInput(c, 13, &present));
  std::vector<bool> drop(in.size(), false);
  if (axes.empty()) {
    for (size_t k = 0; k < in.size(); ++k) drop[k] = in[k] == 1;
  } else {
    for (int64_t a : axes) {
      int64_t n;
      if (!NormalizeAxis(a, static_cast<int64_t>(in.size()), &n)) {
        return c.Invalid(absl::StrCat("axis ", a, " out of range"));
      }
      if (in[n] != 1) return c.Invalid(absl::StrCat("cannot squeeze axis ", a, " of size ", in[n]));
      drop[n] = true;
    }
  }
  Dims out;
  for (size_t k = 0; k < in.size(); ++k) {
    if (!drop[k]) out.push_back(in[k]);
  }
  return EmitCopy(c, c.in(0), out);
}

absl::Status LowerUnsqueeze(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const Dims& in = c.input(0).shape;
  bool present = false;
  TRY_ASSIGN(axes, AxesFromAttrOrInput(c, 13, &present));
  const int64_t r = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> added(static_cast<size_t>(r), false);
  for (int64_t a : axes) {
    int64_t n;
    if (!NormalizeAxis(a, r, &n) || added[n]) {
      return c.Invalid(absl::StrCat("axis ", a, " out of range or repeated"));
    }
    added[n] = true;
  }
  Dims out;
  size_t src = 0;
  for (int64_t k = 0; k < r; ++k) out.push_back(added[k] ? 1 : in[src++]);
  return EmitCopy(c, c.in(0), out);
}

absl::Status LowerTranspose(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  const Dims& in = c.t(x).shape;
  std::vector<int64_t> perm = c.AttrInts("perm");
  if (perm.empty()) {
    for (size_t k = 0; k < in.size(); ++k) perm.push_back(static_cast<int64_t>(in.size() - 1 - k));
  }
  if (perm.size() != in.size()) return c.Invalid("perm has the wrong length");
  std::vector<bool> seen(in.size(), false);
  Dims out;
  bool identity = true;
  for (size_t k = 0; k < perm.size(); ++k) {
    int64_t p = perm[k];
    if (p < 0) p += static_cast<int64_t>(in.size());
    if (p < 0 || p >= static_cast<int64_t>(in.size()) || seen[p]) {
      return c.Invalid("perm is not a permutation");
    }
    seen[p] = true;
    perm[k] = p;
    identity = identity && p == static_cast<int64_t>(k);
    out.push_back(in[p]);
  }
  if (identity) return EmitCopy(c, x, out);
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(T::Transpose, {x}, {y});
  op.a.perm = ToI32(perm);
  return absl::OkStatus();
}

absl::Status LowerConcat(NodeCtx& c) {
  std::vector<int> ins;
  for (int i = 0; i < c.num_inputs(); ++i) {
    if (c.in(i) >= 0) ins.push_back(c.in(i));
  }
  if (ins.empty()) return c.Invalid("no inputs");
  const Dims& s0 = c.t(ins[0]).shape;
  const int64_t r = static_cast<int64_t>(s0.size());
  int64_t axis;
  if (!c.has_attr("axis") && c.opset() >= 4) return c.Invalid("axis is required");
  if (!NormalizeAxis(c.AttrInt("axis", 1), r, &axis)) {
    return c.Invalid(absl::StrCat("axis ", c.AttrInt("axis", 1), " out of range for rank ", r));
  }
  Dims out = s0;
  out[axis] = 0;
  for (int id : ins) {
    const Dims& s = c.t(id).shape;
    if (c.t(id).elem != c.t(ins[0]).elem) return c.Invalid("inputs have different types");
    if (static_cast<int64_t>(s.size()) != r) return c.Invalid("inputs have different ranks");
    for (int64_t k = 0; k < r; ++k) {
      if (k != axis && s[k] != s0[k]) {
        return c.Invalid(absl::StrCat("input shapes ", ShapeStr(s0), " and ", ShapeStr(s),
                                      " differ outside axis ", axis));
      }
    }
    out[axis] += s[axis];
  }
  TRY_ASSIGN(y, c.Out(0, c.t(ins[0]).elem, out));
  if (ins.size() == 1) {
    c.Emit(T::Copy, ins, {y});
    return absl::OkStatus();
  }
  // The runtime takes at most kMaxConcatInputs inputs per op: concatenate in groups first.
  int group = 0;
  while (ins.size() > kMaxConcatInputs) {
    std::vector<int> next;
    for (size_t k = 0; k < ins.size(); k += kMaxConcatInputs) {
      const size_t end = std::min(ins.size(), k + kMaxConcatInputs);
      if (end - k == 1) {
        next.push_back(ins[k]);
        continue;
      }
      Dims s = c.t(ins[k]).shape;
      s[axis] = 0;
      for (size_t q = k; q < end; ++q) s[axis] += c.t(ins[q]).shape[axis];
      const int t = c.Temp(c.t(ins[0]).elem, s, absl::StrCat("concat", group++));
      Op& op = c.Emit(T::Concat, std::vector<int>(ins.begin() + k, ins.begin() + end), {t});
      op.a.axis = static_cast<int32_t>(axis);
      next.push_back(t);
    }
    ins = std::move(next);
  }
  Op& op = c.Emit(T::Concat, ins, {y});
  op.a.axis = static_cast<int32_t>(axis);
  return absl::OkStatus();
}

// ONNX Slice semantics for one axis -> (start, step, count).
void SliceAxis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* s_out,
               int64_t* n_out) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  int64_t n;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    n = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    n = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  if (n == 0 || dim == 0) {
    n = 0;
    start = 0;
  }
  *s_out = start;
  *n_out = n;
}

absl::Status LowerSlice(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  const Dims& in = c.t(x).shape;
  const int64_t r = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    starts = c.AttrInts("starts");
    ends = c.AttrInts("ends");
    axes = c.AttrInts("axes");
  } else {
    TRY_ASSIGN(s, c.ConstInts(1, "starts"));
    TRY_ASSIGN(e, c.ConstInts(2, "ends"));
    starts = std::move(s);
    ends = std::move(e);
    if (c.has_input(3)) {
      TRY_ASSIGN(a, c.ConstInts(3, "axes"));
      axes = std::move(a);
    }
    if (c.has_input(4)) {
      TRY_ASSIGN(st, c.ConstInts(4, "steps"));
      steps = std::move(st);
    }
  }
  if (axes.empty()) {
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return c.Invalid("starts, ends, axes and steps have different lengths");
  }
  std::vector<int64_t> st(r, 0), sp(r, 1);
  Dims out = in;
  std::vector<bool> seen(r, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    int64_t a;
    if (!NormalizeAxis(axes[k], r, &a) || seen[a]) {
      return c.Invalid(absl::StrCat("axis ", axes[k], " out of range or repeated"));
    }
    seen[a] = true;
    if (steps[k] == 0) return c.Invalid("step 0");
    SliceAxis(in[a], starts[k], ends[k], steps[k], &st[a], &out[a]);
    sp[a] = steps[k];
  }
  for (int64_t k = 0; k < r; ++k) {
    TRY(FitsI32(c, st[k], "slice start"));
    TRY(FitsI32(c, sp[k], "slice step"));
  }
  if (out == in && std::all_of(sp.begin(), sp.end(), [](int64_t v) { return v == 1; })) {
    return EmitCopy(c, x, out);
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(T::Slice, {x}, {y});
  op.a.starts = ToI32(st);
  op.a.steps = ToI32(sp);
  return absl::OkStatus();
}

// Split into `outs` along `axis`; the runtime takes at most kMaxSplitOutputs outputs per op, so
// larger splits go in two levels.
void EmitSplit(NodeCtx& c, int x, const std::vector<int>& outs, int axis, int depth) {
  if (outs.size() <= kMaxSplitOutputs) {
    Op& op = c.Emit(T::Split, {x}, outs);
    op.a.axis = axis;
    return;
  }
  const size_t per = (outs.size() + kMaxSplitOutputs - 1) / kMaxSplitOutputs;
  std::vector<int> groups;
  std::vector<std::vector<int>> members;
  for (size_t k = 0; k < outs.size(); k += per) {
    const size_t end = std::min(outs.size(), k + per);
    std::vector<int> m(outs.begin() + k, outs.begin() + end);
    Dims s = c.t(m[0]).shape;
    s[axis] = 0;
    for (int id : m) s[axis] += c.t(id).shape[axis];
    groups.push_back(m.size() == 1 ? m[0]
                                   : c.Temp(c.t(x).elem, s, absl::StrCat("split", depth, "_", k)));
    members.push_back(std::move(m));
  }
  EmitSplit(c, x, groups, axis, depth + 1);
  for (size_t g = 0; g < groups.size(); ++g) {
    if (members[g].size() > 1) EmitSplit(c, groups[g], members[g], axis, depth + 1);
  }
}

absl::Status LowerSplit(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  const int x = c.in(0);
  const Dims& in = c.t(x).shape;
  int64_t axis;
  if (!NormalizeAxis(c.AttrInt("axis", 0), static_cast<int64_t>(in.size()), &axis)) {
    return c.Invalid("axis out of range");
  }
  std::vector<int64_t> split;
  if (c.opset() < 13) {
    split = c.AttrInts("split");
  } else if (c.has_input(1)) {
    TRY_ASSIGN(s, c.ConstInts(1, "split"));
    split = std::move(s);
  }
  const int n = c.num_outputs();
  if (n < 1) return c.Invalid("no outputs");
  if (split.empty()) {
    if (in[axis] % n != 0) {
      return c.Invalid(
          absl::StrCat("dimension ", in[axis], " does not split into ", n, " equal parts"));
    }
    split.assign(n, in[axis] / n);
  }
  if (static_cast<int>(split.size()) != n) return c.Invalid("split has the wrong length");
  int64_t sum = 0;
  for (int64_t v : split) {
    if (v < 0) return c.Invalid("negative split");
    sum += v;
  }
  if (sum != in[axis]) {
    return c.Invalid(absl::StrCat("split sums to ", sum, ", the axis has ", in[axis]));
  }
  std::vector<int> outs;
  for (int i = 0; i < n; ++i) {
    Dims s = in;
    s[axis] = split[i];
    TRY_ASSIGN(y, c.Out(i, c.t(x).elem, s));
    outs.push_back(y >= 0 ? y : c.Temp(c.t(x).elem, s, absl::StrCat("unused", i)));
  }
  if (n == 1) {
    c.Emit(T::Copy, {x}, outs);
    return absl::OkStatus();
  }
  EmitSplit(c, x, outs, static_cast<int>(axis), 0);
  return absl::OkStatus();
}

absl::Status LowerGather(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  TRY(RequireInput(c, 1, "indices"));
  const int x = c.in(0);
  int ind = c.in(1);
  const Dims& xs = c.t(x).shape;
  int64_t axis;
  if (!NormalizeAxis(c.AttrInt("axis", 0), static_cast<int64_t>(xs.size()), &axis)) {
    return c.Invalid("axis out of range");
  }
  const int32_t ie = c.t(ind).elem;
  if (ie != kInt32 && ie != kInt64) return c.Invalid("indices must be int32 or int64");
  if (c.t(ind).is_const()) {
    HostValue v = *c.t(ind).value;
    for (int64_t& k : v.i) {
      const int64_t orig = k;
      if (k < 0) k += xs[axis];
      if (k < 0 || k >= xs[axis]) {
        return c.Invalid(absl::StrCat("index ", orig, " out of range for axis of size ", xs[axis]));
      }
    }
    ind = c.Const(std::move(v), "indices");
  }
  Dims out(xs.begin(), xs.begin() + axis);
  out.insert(out.end(), c.t(ind).shape.begin(), c.t(ind).shape.end());
  out.insert(out.end(), xs.begin() + axis + 1, xs.end());
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(T::Gather, {x, ind}, {y});
  op.a.axis = static_cast<int32_t>(axis);
  return absl::OkStatus();
}

absl::Status LowerPad(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  const Dims& in = c.t(x).shape;
  const size_t r = in.size();
  std::vector<int64_t> pads;
  float value = 0.0f;
  if (c.opset() < 11) {
    pads = c.has_attr("pads") ? c.AttrInts("pads") : c.AttrInts("paddings");
    value = c.AttrFloat("value", 0.0f);
  } else {
    TRY_ASSIGN(p, c.ConstInts(1, "pads"));
    pads = std::move(p);
    if (c.has_input(2)) {
      TRY_ASSIGN(v, c.ConstFloats(2, "constant_value"));
      if (v.size() != 1) return c.Invalid("constant_value must be a scalar");
      value = v[0];
    }
    if (c.has_input(3)) return c.Unsupported("the axes input (opset 18) is not supported");
  }
  if (pads.size() != 2 * r) {
    return c.Invalid(absl::StrCat("pads has ", pads.size(), " entries, expected ", 2 * r));
  }
  const std::string mode = c.AttrString("mode", "constant");
  efm::PadMode pm;
  if (mode == "constant") {
    pm = efm::PadMode::Constant;
  } else if (mode == "reflect") {
    pm = efm::PadMode::Reflect;
  } else if (mode == "edge") {
    pm = efm::PadMode::Edge;
  } else {
    return c.Unsupported(absl::StrCat("mode '", mode, "'"));
  }
  Dims out(r);
  for (size_t k = 0; k < r; ++k) {
    out[k] = in[k] + pads[k] + pads[k + r];
    if (out[k] < 0) return c.Invalid("pads crop more than the input has");
    TRY(FitsI32(c, pads[k], "pad"));
    TRY(FitsI32(c, pads[k + r], "pad"));
    if (pm != efm::PadMode::Constant && in[k] == 0 && out[k] > 0) {
      return c.Invalid("cannot reflect or extend an empty axis");
    }
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(T::Pad, {x}, {y});
  op.a.pad_amounts = ToI32(pads);
  op.a.pad_mode = pm;
  op.a.pad_value = value;
  return absl::OkStatus();
}

absl::Status EmitResize(NodeCtx& c, int x, const std::vector<float>& scales_in,
                        const std::vector<int64_t>& sizes, const std::string& mode,
                        efm::CoordinateTransform coord, efm::NearestMode nearest) {
  const Dims& in = c.t(x).shape;
  const size_t r = in.size();
  std::vector<float> scales(r, 1.0f);
  Dims out(r);
  if (!sizes.empty()) {
    if (sizes.size() != r) return c.Invalid("sizes has the wrong length");
    for (size_t k = 0; k < r; ++k) {
      if (sizes[k] < 0) return c.Invalid("negative size");
      if (in[k] == 0) return c.Invalid("cannot resize an empty axis");
      out[k] = sizes[k];
      scales[k] = static_cast<float>(static_cast<double>(sizes[k]) / static_cast<double>(in[k]));
    }
  } else {
    if (scales_in.size() != r) {
      return c.Invalid(absl::StrCat("scales has ", scales_in.size(), " entries, expected ", r));
    }
    for (size_t k = 0; k < r; ++k) {
      if (!(scales_in[k] > 0.0f)) return c.Invalid("scales must be positive");
      scales[k] = scales_in[k];
      out[k] = static_cast<int64_t>(
          std::floor(static_cast<double>(in[k]) * static_cast<double>(scales_in[k])));
    }
  }
  efm::ResizeMode rm;
  if (mode == "nearest") {
    rm = efm::ResizeMode::Nearest;
  } else if (mode == "linear" || mode == "bilinear") {
    rm = efm::ResizeMode::Linear;
  } else {
    return c.Unsupported(absl::StrCat("mode '", mode, "'"));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  if (out == in && std::all_of(scales.begin(), scales.end(), [](float s) { return s == 1.0f; })) {
    c.Emit(T::Copy, {x}, {y});
    return absl::OkStatus();
  }
  Op& op = c.Emit(T::Resize, {x}, {y});
  op.a.resize_mode = rm;
  op.a.coord = coord;
  op.a.nearest = nearest;
  op.a.scales = std::move(scales);
  return absl::OkStatus();
}

absl::Status LowerResize(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  const int x = c.in(0);
  const std::string mode = c.AttrString("mode", "nearest");
  std::vector<float> scales;
  std::vector<int64_t> sizes;
  efm::CoordinateTransform coord = efm::CoordinateTransform::HalfPixel;
  efm::NearestMode nearest = efm::NearestMode::RoundPreferFloor;
  if (c.opset() < 11) {
    // Resize-10: asymmetric coordinates only. Nearest rounding is floor when upsampling (what
    // Upsample does); for downsampling implementations disagree, so it is refused.
    TRY_ASSIGN(s, c.ConstFloats(1, "scales"));
    scales = std::move(s);
    coord = efm::CoordinateTransform::Asymmetric;
    nearest = efm::NearestMode::Floor;
    if (mode == "nearest") {
      for (float v : scales) {
        if (v < 1.0f) return c.Unsupported("nearest downsampling in opset-10 Resize");
      }
    }
  } else {
    if (c.has_input(2)) {
      TRY_ASSIGN(s, c.ConstFloats(2, "scales"));
      scales = std::move(s);
    }
    if (c.has_input(3)) {
      TRY_ASSIGN(s, c.ConstInts(3, "sizes"));
      sizes = std::move(s);
    }
    if (!scales.empty() && !sizes.empty()) {
      return c.Invalid("only one of scales and sizes may be given");
    }
    if (scales.empty() && sizes.empty()) return c.Invalid("one of scales and sizes is required");
    const std::string ct = c.AttrString("coordinate_transformation_mode", "half_pixel");
    if (ct == "half_pixel") {
      coord = efm::CoordinateTransform::HalfPixel;
    } else if (ct == "align_corners") {
      coord = efm::CoordinateTransform::AlignCorners;
    } else if (ct == "asymmetric") {
      coord = efm::CoordinateTransform::Asymmetric;
    } else if (ct == "pytorch_half_pixel") {
      coord = efm::CoordinateTransform::PytorchHalfPixel;
    } else {
      return c.Unsupported(absl::StrCat("coordinate_transformation_mode '", ct, "'"));
    }
    const std::string nm = c.AttrString("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") {
      nearest = efm::NearestMode::RoundPreferFloor;
    } else if (nm == "round_prefer_ceil") {
      nearest = efm::NearestMode::RoundPreferCeil;
    } else if (nm == "floor") {
      nearest = efm::NearestMode::Floor;
    } else if (nm == "ceil") {
      nearest = efm::NearestMode::Ceil;
    } else {
      return c.Unsupported(absl::StrCat("nearest_mode '", nm, "'"));
    }
    if (c.AttrInt("antialias", 0) != 0) return c.Unsupported("antialias=1");
    if (c.has_attr("axes")) return c.Unsupported("the axes attribute (opset 18)");
  }
  return EmitResize(c, x, scales, sizes, mode, coord, nearest);
}

absl::Status LowerUpsample(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  std::vector<float> scales;
  if (c.opset() < 9) {
    scales = c.AttrFloats("scales");
  } else {
    TRY_ASSIGN(s, c.ConstFloats(1, "scales"));
    scales = std::move(s);
  }
  return EmitResize(c, c.in(0), scales, {}, c.AttrString("mode", "nearest"),
                    efm::CoordinateTransform::Asymmetric, efm::NearestMode::Floor);
}

absl::Status LowerExpand(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  TRY_ASSIGN(spec, c.ConstInts(1, "shape"));
  const int x = c.in(0);
  Dims out;
  if (!BroadcastShapes(c.t(x).shape, Dims(spec.begin(), spec.end()), &out)) {
    return c.Invalid(absl::StrCat("cannot expand ", ShapeStr(c.t(x).shape), " to ",
                                  ShapeStr(Dims(spec.begin(), spec.end()))));
  }
  if (out == c.t(x).shape) return EmitCopy(c, x, out);
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  c.Emit(T::Expand, {x}, {y});
  return absl::OkStatus();
}

absl::Status LowerReduce(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  const Dims& in = c.t(x).shape;
  const int64_t r = static_cast<int64_t>(in.size());
  const bool axes_input = type == T::ReduceSum ? c.opset() >= 13 : c.opset() >= 18;
  std::vector<int64_t> axes;
  if (axes_input) {
    if (c.has_input(1)) {
      TRY_ASSIGN(a, c.ConstInts(1, "axes"));
      axes = std::move(a);
    }
  } else {
    axes = c.AttrInts("axes");
  }
  const bool keepdims = c.AttrInt("keepdims", 1) != 0;
  if (axes.empty() && c.AttrInt("noop_with_empty_axes", 0) != 0) return EmitCopy(c, x, in);
  std::vector<bool> red(static_cast<size_t>(r), axes.empty());
  for (int64_t a : axes) {
    int64_t n;
    if (!NormalizeAxis(a, r, &n)) {
      return c.Invalid(absl::StrCat("axis ", a, " out of range"));
    }
    red[n] = true;
  }
  std::vector<int32_t> norm;
  Dims out;
  for (int64_t k = 0; k < r; ++k) {
    if (red[k]) {
      norm.push_back(static_cast<int32_t>(k));
      if (keepdims) out.push_back(1);
    } else {
      out.push_back(in[k]);
    }
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  Op& op = c.Emit(type, {x}, {y});
  if (!axes.empty()) op.a.axes = norm;
  op.a.keepdims = keepdims;
  return absl::OkStatus();
}
absl::Status LowerReduceMean(NodeCtx& c) { return LowerReduce(c, T::ReduceMean); }
absl::Status LowerReduceSum(NodeCtx& c) { return LowerReduce(c, T::ReduceSum); }
absl::Status LowerReduceMax(NodeCtx& c) { return LowerReduce(c, T::ReduceMax); }
absl::Status LowerReduceMin(NodeCtx& c) { return LowerReduce(c, T::ReduceMin); }

// ------------------------------------------------------------------------------ RNN

absl::Status LowerRnn(NodeCtx& c, T type) {
  const bool lstm = type == T::LSTM;
  const int gates = lstm ? 4 : 3;
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "W"));
  TRY(RequireInput(c, 2, "R"));
  const int x = c.in(0), w = c.in(1), rr = c.in(2);
  const Dims& xs = c.t(x).shape;
  if (xs.size() != 3) return c.Invalid(absl::StrCat("X ", ShapeStr(xs), " must be 3-D"));
  const std::string dir = c.AttrString("direction", "forward");
  efm::RnnDirection d;
  int dirs = 1;
  if (dir == "forward") {
    d = efm::RnnDirection::Forward;
  } else if (dir == "reverse") {
    d = efm::RnnDirection::Reverse;
  } else if (dir == "bidirectional") {
    d = efm::RnnDirection::Bidirectional;
    dirs = 2;
  } else {
    return c.Invalid(absl::StrCat("direction '", dir, "'"));
  }
  const int64_t layout = c.opset() >= 14 ? c.AttrInt("layout", 0) : 0;
  if (layout != 0 && layout != 1) return c.Invalid("layout must be 0 or 1");
  const int64_t seq = layout == 0 ? xs[0] : xs[1];
  const int64_t batch = layout == 0 ? xs[1] : xs[0];
  const int64_t isz = xs[2];
  const Dims& ws = c.t(w).shape;
  const Dims& rs = c.t(rr).shape;
  int64_t h = c.AttrInt("hidden_size", rs.size() == 3 ? rs[2] : 0);
  if (ws != Dims{dirs, gates * h, isz} || rs != Dims{dirs, gates * h, h}) {
    return c.Invalid(absl::StrCat("W ", ShapeStr(ws), " / R ", ShapeStr(rs),
                                  " do not match hidden_size ", h, ", input size ", isz, " and ",
                                  dirs, " direction(s)"));
  }
  // Only the default activations.
  std::vector<std::string> acts = c.AttrStrings("activations");
  if (!acts.empty()) {
    std::vector<std::string> def = lstm ? std::vector<std::string>{"sigmoid", "tanh", "tanh"}
                                        : std::vector<std::string>{"sigmoid", "tanh"};
    if (acts.size() != def.size() * dirs) {
      return c.Invalid("activations has the wrong length");
    }
    for (size_t k = 0; k < acts.size(); ++k) {
      if (absl::AsciiStrToLower(acts[k]) != def[k % def.size()]) {
        return c.Unsupported(absl::StrCat("activation '", acts[k],
                                          "' (only the default activations are supported)"));
      }
    }
  }
  const Dims state_shape = layout == 0 ? Dims{dirs, batch, h} : Dims{batch, dirs, h};
  auto opt = [&](int i, Dims want, absl::string_view what) -> absl::StatusOr<int> {
    if (!c.has_input(i)) return -1;
    const int id = c.in(i);
    if (c.t(id).shape != want) {
      return c.Invalid(absl::StrCat(what, " has shape ", ShapeStr(c.t(id).shape), ", expected ",
                                    ShapeStr(want)));
    }
    return id;
  };
  TRY_ASSIGN(b, opt(3, {dirs, 2 * gates * h}, "B"));
  TRY_ASSIGN(sl, opt(4, {batch}, "sequence_lens"));
  TRY_ASSIGN(h0, opt(5, state_shape, "initial_h"));
  int c0 = -1, p = -1;
  if (lstm) {
    TRY_ASSIGN(cc, opt(6, state_shape, "initial_c"));
    TRY_ASSIGN(pp, opt(7, {dirs, 3 * h}, "P"));
    c0 = cc;
    p = pp;
  }
  if (sl >= 0) {
    const int32_t e = c.t(sl).elem;
    if (e != kInt32 && e != kInt64) return c.Invalid("sequence_lens must be int32");
  }
  const int32_t elem = c.t(x).elem;
  const Dims yshape = layout == 0 ? Dims{seq, dirs, batch, h} : Dims{batch, seq, dirs, h};
  TRY_ASSIGN(y, c.Out(0, elem, yshape));
  TRY_ASSIGN(yh, c.Out(1, elem, state_shape));
  int yc = -1;
  if (lstm) {
    TRY_ASSIGN(v, c.Out(2, elem, state_shape));
    yc = v;
  } else if (c.num_outputs() > 2 && c.has_output(2)) {
    return c.Invalid("GRU has two outputs");
  }
  std::vector<int> ins = {x, w, rr, b, sl, h0};
  std::vector<int> outs = {y, yh};
  if (lstm) {
    ins.push_back(c0);
    ins.push_back(p);
    outs.push_back(yc);
  }
  Op& op = c.Emit(type, ins, outs);
  op.a.direction = d;
  TRY(FitsI32(c, h, "hidden_size"));
  op.a.hidden_size = static_cast<int32_t>(h);
  op.a.clip = c.has_attr("clip") ? c.AttrFloat("clip", 0.0f) : 0.0f;
  op.a.input_forget = lstm && c.AttrInt("input_forget", 0) != 0;
  op.a.linear_before_reset = !lstm && c.AttrInt("linear_before_reset", 0) != 0;
  op.a.layout = static_cast<int32_t>(layout);
  op.macs = static_cast<uint64_t>(seq * batch * dirs * gates * h * (isz + h));
  return absl::OkStatus();
}
absl::Status LowerLSTM(NodeCtx& c) { return LowerRnn(c, T::LSTM); }
absl::Status LowerGRU(NodeCtx& c) { return LowerRnn(c, T::GRU); }

// ------------------------------------------------------------------ compile-time-only ops

absl::Status LowerConstant(NodeCtx& c) {
  if (const auto* a = c.attr("value")) {
    TRY_ASSIGN(v, HostValueFromProto(a->t()));
    return c.OutValue(0, std::move(v));
  }
  if (const auto* a = c.attr("value_float")) return c.OutValue(0, HostValue::Floats({}, {a->f()}));
  if (const auto* a = c.attr("value_floats")) {
    std::vector<float> f(a->floats().begin(), a->floats().end());
    const int64_t n = static_cast<int64_t>(f.size());
    return c.OutValue(0, HostValue::Floats({n}, std::move(f)));
  }
  if (const auto* a = c.attr("value_int"))
    return c.OutValue(0, HostValue::Ints(kInt64, {}, {a->i()}));
  if (const auto* a = c.attr("value_ints")) {
    std::vector<int64_t> v(a->ints().begin(), a->ints().end());
    const int64_t n = static_cast<int64_t>(v.size());
    return c.OutValue(0, HostValue::Ints(kInt64, {n}, std::move(v)));
  }
  return c.Unsupported("only tensor, float(s) and int(s) constants are supported");
}

absl::Status LowerShape(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  const Dims& s = c.input(0).shape;
  const int64_t r = static_cast<int64_t>(s.size());
  int64_t start = c.AttrInt("start", 0);
  int64_t end = c.AttrInt("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  std::vector<int64_t> v;
  for (int64_t k = start; k < end; ++k) v.push_back(s[k]);
  const int64_t n = static_cast<int64_t>(v.size());
  return c.OutValue(0, HostValue::Ints(kInt64, {n}, std::move(v)));
}

absl::Status LowerSize(NodeCtx& c) {
  TRY(RequireInput(c, 0, "data"));
  return c.OutValue(0, HostValue::Ints(kInt64, {}, {NumElements(c.input(0).shape)}));
}

absl::Status LowerConstantOfShape(NodeCtx& c) {
  TRY_ASSIGN(spec, c.ConstInts(0, "input"));
  Dims shape(spec.begin(), spec.end());
  int64_t count;
  if (!CheckedNumElements(shape, &count)) {
    return c.Invalid(absl::StrCat("invalid or too large shape ", ShapeStr(shape)));
  }
  HostValue fill = HostValue::Floats({}, {0.0f});
  if (const auto* a = c.attr("value")) {
    TRY_ASSIGN(v, HostValueFromProto(a->t()));
    if (v.size() != 1) return c.Invalid("value must hold one element");
    fill = std::move(v);
  }
  return c.OutValue(0, HostValue::Filled(fill.elem, shape, fill.AsDouble(0)));
}

absl::Status LowerRange(NodeCtx& c) {
  TRY_ASSIGN(start, c.ConstInput(0, "start"));
  TRY_ASSIGN(limit, c.ConstInput(1, "limit"));
  TRY_ASSIGN(delta, c.ConstInput(2, "delta"));
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1) {
    return c.Invalid("start, limit and delta must be scalars");
  }
  if (start->is_float()) {
    const float s = start->f[0], l = limit->f[0], d = delta->f[0];
    if (d == 0.0f) return c.Invalid("delta 0");
    const double nd = std::ceil((static_cast<double>(l) - s) / d);
    if (!(nd < static_cast<double>(kMaxElements))) return c.Invalid("range too large");
    const int64_t n = nd > 0 ? static_cast<int64_t>(nd) : 0;
    std::vector<float> v;
    for (int64_t k = 0; k < n; ++k) v.push_back(s + static_cast<float>(k) * d);
    HostValue out = HostValue::Floats({n}, std::move(v));
    out.elem = start->elem;
    return c.OutValue(0, std::move(out));
  }
  const int64_t s = start->i[0], l = limit->i[0], d = delta->i[0];
  if (d == 0) return c.Invalid("delta 0");
  // |limit - start| and |delta| as uint64 (exact even where int64 would overflow).
  uint64_t span = 0, step = 0;
  if (d > 0 && l > s) {
    span = static_cast<uint64_t>(l) - static_cast<uint64_t>(s);
    step = static_cast<uint64_t>(d);
  } else if (d < 0 && l < s) {
    span = static_cast<uint64_t>(s) - static_cast<uint64_t>(l);
    step = 0 - static_cast<uint64_t>(d);
  }
  const uint64_t count = step == 0 ? 0 : span / step + (span % step != 0 ? 1 : 0);
  if (count > static_cast<uint64_t>(kMaxElements)) return c.Invalid("range too large");
  const auto n = static_cast<int64_t>(count);
  std::vector<int64_t> v;
  for (int64_t k = 0; k < n; ++k) v.push_back(s + k * d);
  return c.OutValue(0, HostValue::Ints(start->elem, {n}, std::move(v)));
}

double CastScalar(double v, int32_t to) {
  switch (to) {
    case kBool:
      return v != 0.0 ? 1.0 : 0.0;
    case kUint8:
      return static_cast<double>(static_cast<uint8_t>(static_cast<int64_t>(v)));
    case kInt8:
      return static_cast<double>(static_cast<int8_t>(static_cast<int64_t>(v)));
    case kUint16:
      return static_cast<double>(static_cast<uint16_t>(static_cast<int64_t>(v)));
    case kInt16:
      return static_cast<double>(static_cast<int16_t>(static_cast<int64_t>(v)));
    case kInt32:
      return static_cast<double>(static_cast<int32_t>(static_cast<int64_t>(v)));
    case kUint32:
      return static_cast<double>(static_cast<uint32_t>(static_cast<int64_t>(v)));
    default:
      return v;
  }
}

absl::Status LowerCast(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  const int x = c.in(0);
  const int32_t to = static_cast<int32_t>(c.AttrInt("to", kUndefined));
  const Tensor& src = c.t(x);
  if (to == kString || to == kUndefined || to == kComplex64 || to == kComplex128) {
    return c.Unsupported(absl::StrCat("cast to ", ElemName(to)));
  }
  if (src.is_const()) {
    const HostValue& v = *src.value;
    HostValue out;
    out.elem = to;
    out.shape = v.shape;
    for (size_t k = 0; k < v.size(); ++k) {
      if (out.is_float()) {
        out.f.push_back(static_cast<float>(v.AsDouble(k)));
      } else if (v.is_float()) {
        const double f = v.f[k];
        if (to == kBool) {
          out.i.push_back(f != 0.0 ? 1 : 0);
        } else if (!std::isfinite(f) || std::fabs(f) > 9.2e18) {
          return c.Invalid(absl::StrCat("cannot cast ", f, " to ", ElemName(to)));
        } else {
          out.i.push_back(static_cast<int64_t>(CastScalar(std::trunc(f), to)));
        }
      } else {
        out.i.push_back(to == kInt64 || to == kUint64
                            ? v.i[k]
                            : static_cast<int64_t>(CastScalar(static_cast<double>(v.i[k]), to)));
      }
    }
    return c.OutValue(0, std::move(out));
  }
  // At run time: a Copy where the runtime's values stay the same, else a Cast op converting to
  // the target's run-time dtype and width.
  const int32_t from = src.elem;
  runtime::DType from_dt;
  if (!RuntimeDType(from, &from_dt) || (IsFloatElem(from) && from != kFloat)) {
    return c.Unsupported(absl::StrCat("run-time cast from ", ElemName(from)));
  }
  const bool same = from == to;
  const bool widen_int =
      (to == kInt32 || to == kInt64) && (from == kBool || from == kUint8 || from == kUint16 ||
                                         from == kInt16 || from == kInt32 || from == kInt64);
  if (same || widen_int) {
    TRY_ASSIGN(y, c.Out(0, to, src.shape));
    c.Emit(T::Copy, {x}, {y});
    return absl::OkStatus();
  }
  efm::CastTarget target;
  switch (to) {
    case kFloat:
      target = efm::CastTarget::Float;
      break;
    case kInt32:
    case kInt64:
      target = efm::CastTarget::Int32;
      break;
    case kBool:
      target = efm::CastTarget::Bool;
      break;
    case kUint8:
      target = efm::CastTarget::Uint8;
      break;
    case kInt8:
      target = efm::CastTarget::Int8;
      break;
    case kInt16:
      target = efm::CastTarget::Int16;
      break;
    default:
      return c.Unsupported(absl::StrCat("run-time cast from ", ElemName(from), " to ", ElemName(to),
                                        " (the runtime has no such type)"));
  }
  TRY_ASSIGN(y, c.Out(0, to, src.shape));
  Op& op = c.Emit(T::Cast, {x}, {y});
  op.a.cast_to = target;
  return absl::OkStatus();
}

// Elementwise compile-time ops with broadcasting (comparisons, logic, Where).
absl::Status FoldElementwise(NodeCtx& c, int arity, int32_t out_elem_fixed,
                             double (*fn)(const double* v)) {
  std::vector<const HostValue*> vals;
  Dims shape;
  for (int i = 0; i < arity; ++i) {
    TRY_ASSIGN(v, c.ConstInput(i, "operand"));
    vals.push_back(v);
    Dims next;
    if (!BroadcastShapes(i == 0 ? v->shape : shape, v->shape, &next)) {
      return c.Invalid("operand shapes do not broadcast");
    }
    shape = next;
  }
  const int32_t elem = out_elem_fixed != kUndefined ? out_elem_fixed : vals[1]->elem;
  HostValue out;
  out.elem = elem;
  out.shape = shape;
  const int64_t n = NumElements(shape);
  std::vector<std::vector<int64_t>> maps;
  for (const HostValue* v : vals) {
    std::vector<int64_t> m(static_cast<size_t>(n));
    const size_t off = shape.size() - v->shape.size();
    std::vector<int64_t> st(v->shape.size(), 1);
    for (int k = static_cast<int>(v->shape.size()) - 2; k >= 0; --k) {
      st[k] = st[k + 1] * v->shape[k + 1];
    }
    std::vector<int64_t> idx(shape.size(), 0);
    for (int64_t lin = 0; lin < n; ++lin) {
      int64_t src = 0;
      for (size_t k = 0; k < v->shape.size(); ++k) {
        if (v->shape[k] != 1) src += idx[k + off] * st[k];
      }
      m[lin] = src;
      for (int k = static_cast<int>(shape.size()) - 1; k >= 0; --k) {
        if (++idx[k] < shape[k]) break;
        idx[k] = 0;
      }
    }
    maps.push_back(std::move(m));
  }
  for (int64_t lin = 0; lin < n; ++lin) {
    double args[3] = {0, 0, 0};
    for (int i = 0; i < arity; ++i) args[i] = vals[i]->AsDouble(maps[i][lin]);
    const double r = fn(args);
    if (out.is_float()) {
      out.f.push_back(static_cast<float>(r));
    } else {
      out.i.push_back(static_cast<int64_t>(r));
    }
  }
  // Where: int64 inputs keep their exact values.
  if (arity == 3 && !out.is_float()) {
    for (int64_t lin = 0; lin < n; ++lin) {
      out.i[lin] = vals[0]->AsDouble(maps[0][lin]) != 0.0 ? vals[1]->AsInt(maps[1][lin])
                                                          : vals[2]->AsInt(maps[2][lin]);
    }
  }
  return c.OutValue(0, std::move(out));
}

bool AllInputsConst(NodeCtx& c) {
  for (int i = 0; i < c.num_inputs(); ++i) {
    if (c.has_input(i) && !c.is_const(i)) return false;
  }
  return c.num_inputs() > 0;
}

// The runtime stores this element type as i32.
bool StoredAsI32(int32_t elem) {
  runtime::DType d;
  return RuntimeDType(elem, &d) && d == runtime::DType::kI32;
}

// Comparisons and logic: folded exactly (int64) when every input is constant, else an efm op with
// an i32 (bool) output. Opset < 7 `broadcast`/`axis` as for arithmetic.
absl::Status LowerCompare(NodeCtx& c, T type, double (*fn)(const double* v)) {
  if (AllInputsConst(c)) return FoldElementwise(c, 2, kBool, fn);
  TRY(RequireInput(c, 0, "A"));
  TRY(RequireInput(c, 1, "B"));
  const int a = c.in(0);
  const int b = c.in(1);
  if (c.t(a).elem != c.t(b).elem) {
    return c.Invalid(absl::StrCat("operand types differ (", ElemName(c.t(a).elem), " and ",
                                  ElemName(c.t(b).elem), ")"));
  }
  TRY_ASSIGN(b2, LegacyBroadcast(c, a, b));
  Dims shape;
  if (!BroadcastShapes(c.t(a).shape, c.t(b2).shape, &shape)) {
    return c.Invalid(absl::StrCat("shapes ", ShapeStr(c.t(a).shape), " and ",
                                  ShapeStr(c.t(b2).shape), " do not broadcast"));
  }
  TRY_ASSIGN(y, c.Out(0, kBool, shape));
  c.Emit(type, {a, b2}, {y});
  return absl::OkStatus();
}

absl::Status LowerEqual(NodeCtx& c) {
  return LowerCompare(c, T::Equal, [](const double* v) { return v[0] == v[1] ? 1.0 : 0.0; });
}
absl::Status LowerLess(NodeCtx& c) {
  return LowerCompare(c, T::Less, [](const double* v) { return v[0] < v[1] ? 1.0 : 0.0; });
}
absl::Status LowerGreater(NodeCtx& c) {
  return LowerCompare(c, T::Greater, [](const double* v) { return v[0] > v[1] ? 1.0 : 0.0; });
}
absl::Status LowerLessOrEqual(NodeCtx& c) {
  return LowerCompare(c, T::LessOrEqual, [](const double* v) { return v[0] <= v[1] ? 1.0 : 0.0; });
}
absl::Status LowerGreaterOrEqual(NodeCtx& c) {
  return LowerCompare(c, T::GreaterOrEqual,
                      [](const double* v) { return v[0] >= v[1] ? 1.0 : 0.0; });
}
absl::Status LowerAnd(NodeCtx& c) {
  return LowerCompare(c, T::And,
                      [](const double* v) { return v[0] != 0 && v[1] != 0 ? 1.0 : 0.0; });
}
absl::Status LowerOr(NodeCtx& c) {
  return LowerCompare(c, T::Or, [](const double* v) { return v[0] != 0 || v[1] != 0 ? 1.0 : 0.0; });
}
absl::Status LowerXor(NodeCtx& c) {
  return LowerCompare(c, T::Xor,
                      [](const double* v) { return (v[0] != 0) != (v[1] != 0) ? 1.0 : 0.0; });
}
absl::Status LowerNot(NodeCtx& c) {
  if (AllInputsConst(c)) {
    return FoldElementwise(c, 1, kBool, [](const double* v) { return v[0] != 0 ? 0.0 : 1.0; });
  }
  return EmitUnary(c, T::Not, 0.0f, 0.0f);
}
absl::Status LowerWhere(NodeCtx& c) {
  if (AllInputsConst(c)) {
    return FoldElementwise(c, 3, kUndefined,
                           [](const double* v) { return v[0] != 0 ? v[1] : v[2]; });
  }
  for (int i = 0; i < 3; ++i) TRY(RequireInput(c, i, "condition/X/Y"));
  const int cond = c.in(0), x = c.in(1), y = c.in(2);
  if (c.t(cond).elem != kBool) return c.Invalid("condition must be bool");
  if (c.t(x).elem != c.t(y).elem) {
    return c.Invalid(absl::StrCat("X and Y types differ (", ElemName(c.t(x).elem), " and ",
                                  ElemName(c.t(y).elem), ")"));
  }
  Dims s1, shape;
  if (!BroadcastShapes(c.t(cond).shape, c.t(x).shape, &s1) ||
      !BroadcastShapes(s1, c.t(y).shape, &shape)) {
    return c.Invalid("condition, X and Y shapes do not broadcast");
  }
  TRY_ASSIGN(out, c.Out(0, c.t(x).elem, shape));
  c.Emit(T::Where, {cond, x, y}, {out});
  return absl::OkStatus();
}

absl::Status LowerMod(NodeCtx& c) {
  TRY(RequireInput(c, 0, "A"));
  TRY(RequireInput(c, 1, "B"));
  const int a = c.in(0), b = c.in(1);
  if (c.t(a).elem != c.t(b).elem) {
    return c.Invalid(absl::StrCat("operand types differ (", ElemName(c.t(a).elem), " and ",
                                  ElemName(c.t(b).elem), ")"));
  }
  const bool fmod = c.AttrInt("fmod", 0) != 0;
  if (IsFloatElem(c.t(a).elem) && !fmod) return c.Invalid("floating-point Mod requires fmod=1");
  Dims shape;
  if (!BroadcastShapes(c.t(a).shape, c.t(b).shape, &shape)) {
    return c.Invalid(absl::StrCat("shapes ", ShapeStr(c.t(a).shape), " and ",
                                  ShapeStr(c.t(b).shape), " do not broadcast"));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(a).elem, shape));
  Op& op = c.Emit(T::Mod, {a, b}, {y});
  op.a.fmod = fmod;
  return absl::OkStatus();
}

absl::Status LowerArg(NodeCtx& c, T type) {
  TRY(RequireInput(c, 0, "data"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  const int64_t r = static_cast<int64_t>(xs.size());
  int64_t axis = 0;
  if (r == 0 || !NormalizeAxis(c.AttrInt("axis", 0), r, &axis)) {
    return c.Invalid(absl::StrCat("axis ", c.AttrInt("axis", 0), " out of range for rank ", r));
  }
  const bool keepdims = c.AttrInt("keepdims", 1) != 0;
  if (xs[axis] == 0) return c.Invalid("cannot take the index of an empty axis");
  Dims out;
  for (int64_t k = 0; k < r; ++k) {
    if (k != axis) {
      out.push_back(xs[k]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  TRY_ASSIGN(y, c.Out(0, kInt64, out));
  Op& op = c.Emit(type, {x}, {y});
  op.a.axis = static_cast<int32_t>(axis);
  op.a.keepdims = keepdims;
  op.a.select_last_index = c.AttrInt("select_last_index", 0) != 0;
  return absl::OkStatus();
}
absl::Status LowerArgMax(NodeCtx& c) { return LowerArg(c, T::ArgMax); }
absl::Status LowerArgMin(NodeCtx& c) { return LowerArg(c, T::ArgMin); }

// Scale and bias must match X's dims from `axis` (leading 1s aside); one that only broadcasts to
// them is expanded first.
absl::StatusOr<int> LayerNormParam(NodeCtx& c, int id, const Dims& norm, absl::string_view what) {
  auto strip = [](const Dims& d) {
    size_t k = 0;
    while (k < d.size() && d[k] == 1) ++k;
    return Dims(d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
  };
  const Dims& s = c.t(id).shape;
  if (strip(s) == strip(norm)) return id;
  Dims b;
  if (!BroadcastShapes(s, norm, &b) || b != norm) {
    return c.Invalid(absl::StrCat(what, " ", ShapeStr(s), " does not broadcast to the normalised ",
                                  "shape ", ShapeStr(norm)));
  }
  const int e = c.Temp(c.t(id).elem, norm, absl::StrCat(what, "_expanded"));
  c.Emit(T::Expand, {id}, {e});
  return e;
}

absl::Status LowerLayerNormalization(NodeCtx& c) {
  TRY(RequireInput(c, 0, "X"));
  TRY(RequireInput(c, 1, "Scale"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  const int64_t r = static_cast<int64_t>(xs.size());
  int64_t axis = 0;
  if (r == 0 || !NormalizeAxis(c.AttrInt("axis", -1), r, &axis)) {
    return c.Invalid(absl::StrCat("axis ", c.AttrInt("axis", -1), " out of range for rank ", r));
  }
  const Dims norm(xs.begin() + axis, xs.end());
  TRY_ASSIGN(scale, LayerNormParam(c, c.in(1), norm, "Scale"));
  int bias = -1;
  if (c.has_input(2)) {
    TRY_ASSIGN(b, LayerNormParam(c, c.in(2), norm, "B"));
    bias = b;
  }
  Dims stat(xs.begin(), xs.begin() + axis);
  for (int64_t k = axis; k < r; ++k) stat.push_back(1);
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, xs));
  TRY_ASSIGN(mean, c.Out(1, kFloat, stat));
  TRY_ASSIGN(inv, c.Out(2, kFloat, stat));
  std::vector<int> ins = {x, scale};
  if (bias >= 0) ins.push_back(bias);
  std::vector<int> outs = {y};
  if (mean >= 0 || inv >= 0) outs.push_back(mean);
  if (inv >= 0) outs.push_back(inv);
  Op& op = c.Emit(T::LayerNormalization, ins, outs);
  op.a.axis = static_cast<int32_t>(axis);
  op.a.epsilon = c.AttrFloat("epsilon", 1e-5f);
  return absl::OkStatus();
}

absl::Status LowerInstanceNormalization(NodeCtx& c) {
  for (int i = 0; i < 3; ++i) TRY(RequireInput(c, i, "input/scale/B"));
  const int x = c.in(0);
  const Dims& xs = c.t(x).shape;
  if (xs.size() < 2) return c.Invalid(absl::StrCat("input ", ShapeStr(xs), " must be N x C x ..."));
  for (int i = 1; i < 3; ++i) {
    if (c.input(i).shape != Dims{xs[1]}) {
      return c.Invalid(absl::StrCat("input ", i, " has shape ", ShapeStr(c.input(i).shape),
                                    ", expected [", xs[1], "]"));
    }
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, xs));
  Op& op = c.Emit(T::InstanceNormalization, {x, c.in(1), c.in(2)}, {y});
  op.a.epsilon = c.AttrFloat("epsilon", 1e-5f);
  return absl::OkStatus();
}

absl::Status LowerThresholdedRelu(NodeCtx& c) {
  return EmitUnary(c, T::ThresholdedRelu, c.AttrFloat("alpha", 1.0f), 0.0f);
}
absl::Status LowerShrink(NodeCtx& c) {
  return EmitUnary(c, T::Shrink, c.AttrFloat("lambd", 0.5f), c.AttrFloat("bias", 0.0f));
}
absl::Status LowerCelu(NodeCtx& c) {
  const float alpha = c.AttrFloat("alpha", 1.0f);
  if (alpha == 0.0f) return c.Invalid("alpha must not be 0");
  return EmitUnary(c, T::Celu, alpha, 0.0f);
}

absl::Status LowerCumSum(NodeCtx& c) {
  TRY(RequireInput(c, 0, "x"));
  TRY_ASSIGN(axes, c.ConstInts(1, "axis"));
  const int x = c.in(0);
  const int64_t r = static_cast<int64_t>(c.t(x).shape.size());
  int64_t axis = 0;
  if (axes.size() != 1 || r == 0 || !NormalizeAxis(axes[0], r, &axis)) {
    return c.Invalid(absl::StrCat("axis must be one value in [-", r, ", ", r, ")"));
  }
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, c.t(x).shape));
  Op& op = c.Emit(T::CumSum, {x}, {y});
  op.a.axis = static_cast<int32_t>(axis);
  op.a.exclusive = c.AttrInt("exclusive", 0) != 0;
  op.a.reverse = c.AttrInt("reverse", 0) != 0;
  return absl::OkStatus();
}

absl::Status LowerHardmax(NodeCtx& c) { return LowerSoftmaxLike(c, T::Hardmax); }

absl::Status LowerLpNormalization(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  const int x = c.in(0);
  const int64_t r = static_cast<int64_t>(c.t(x).shape.size());
  int64_t axis = 0;
  if (r == 0 || !NormalizeAxis(c.AttrInt("axis", -1), r, &axis)) {
    return c.Invalid(absl::StrCat("axis ", c.AttrInt("axis", -1), " out of range for rank ", r));
  }
  const int64_t p = c.AttrInt("p", 2);
  if (p != 1 && p != 2) return c.Unsupported(absl::StrCat("p=", p, " (only 1 and 2)"));
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, c.t(x).shape));
  Op& op = c.Emit(T::LpNormalization, {x}, {y});
  op.a.axis = static_cast<int32_t>(axis);
  op.a.p = static_cast<int32_t>(p);
  return absl::OkStatus();
}

// Tile(x, repeats) = view x with a unit axis before every repeated axis, broadcast the unit
// axes to the repeat counts, view the result as the tiled shape.
absl::Status LowerTile(NodeCtx& c) {
  TRY(RequireInput(c, 0, "input"));
  TRY_ASSIGN(rep, c.ConstInts(1, "repeats"));
  const int x = c.in(0);
  const Dims in = c.t(x).shape;
  if (rep.size() != in.size()) return c.Invalid("repeats has the wrong length");
  Dims view, wide, out;
  for (size_t k = 0; k < rep.size(); ++k) {
    if (rep[k] < 0) return c.Invalid("negative repeat");
    if (rep[k] != 1) {
      view.push_back(1);
      wide.push_back(rep[k]);
    }
    view.push_back(in[k]);
    wide.push_back(in[k]);
    out.push_back(in[k] * rep[k]);
  }
  if (out == in) return EmitCopy(c, x, out);
  const int v = c.Reshaped(x, view, "tile_view");
  const int w = c.Temp(c.t(x).elem, wide, "tile_wide");
  c.Emit(T::Expand, {v}, {w});
  TRY_ASSIGN(y, c.Out(0, c.t(x).elem, out));
  c.Emit(T::Copy, {w}, {y});
  return absl::OkStatus();
}

}  // namespace

const std::unordered_map<std::string, OpEntry>& OpTable() {
  static const auto* table = new std::unordered_map<std::string, OpEntry>{
      // Lowered to efm ops.
      {"Add", {&LowerAdd, true}},
      {"Sub", {&LowerSub, true}},
      {"Mul", {&LowerMul, true}},
      {"Div", {&LowerDiv, true}},
      {"Pow", {&LowerPow, true}},
      {"Min", {&LowerMin, true}},
      {"Max", {&LowerMax, true}},
      {"Sum", {&LowerSum, true}},
      {"Mean", {&LowerMean, true}},
      {"PRelu", {&LowerPRelu, true}},
      {"MatMul", {&LowerMatMul, true}},
      {"Gemm", {&LowerGemm, true}},
      {"Conv", {&LowerConv, true}},
      {"ConvTranspose", {&LowerConvTranspose, true}},
      {"MaxPool", {&LowerMaxPool, true}},
      {"AveragePool", {&LowerAveragePool, true}},
      {"GlobalAveragePool", {&LowerGlobalAveragePool, true}},
      {"GlobalMaxPool", {&LowerGlobalMaxPool, true}},
      {"BatchNormalization", {&LowerBatchNormalization, true}},
      {"Relu", {&LowerRelu, true}},
      {"LeakyRelu", {&LowerLeakyRelu, true}},
      {"Sigmoid", {&LowerSigmoid, true}},
      {"Tanh", {&LowerTanh, true}},
      {"HardSigmoid", {&LowerHardSigmoid, true}},
      {"HardSwish", {&LowerHardSwish, true}},
      {"Elu", {&LowerElu, true}},
      {"Selu", {&LowerSelu, true}},
      {"Softplus", {&LowerSoftplus, true}},
      {"Softsign", {&LowerSoftsign, true}},
      {"Clip", {&LowerClip, true}},
      {"Exp", {&LowerExp, true}},
      {"Sqrt", {&LowerSqrt, true}},
      {"Neg", {&LowerNeg, true}},
      {"Abs", {&LowerAbs, true}},
      {"Log", {&LowerLog, true}},
      {"Reciprocal", {&LowerReciprocal, true}},
      {"Floor", {&LowerFloor, true}},
      {"Ceil", {&LowerCeil, true}},
      {"Erf", {&LowerErf, true}},
      {"Sin", {&LowerSin, true}},
      {"Cos", {&LowerCos, true}},
      {"Softmax", {&LowerSoftmax, true}},
      {"LogSoftmax", {&LowerLogSoftmax, true}},
      {"Concat", {&LowerConcat, true}},
      {"Slice", {&LowerSlice, true}},
      {"Split", {&LowerSplit, true}},
      {"Reshape", {&LowerReshape, true}},
      {"Transpose", {&LowerTranspose, true}},
      {"Flatten", {&LowerFlatten, true}},
      {"Squeeze", {&LowerSqueeze, true}},
      {"Unsqueeze", {&LowerUnsqueeze, true}},
      {"Identity", {&LowerIdentity, true}},
      {"Dropout", {&LowerDropout, true}},
      {"Gather", {&LowerGather, true}},
      {"Pad", {&LowerPad, true}},
      {"Resize", {&LowerResize, true}},
      {"Upsample", {&LowerUpsample, true}},
      {"Expand", {&LowerExpand, true}},
      {"ReduceMean", {&LowerReduceMean, true}},
      {"ReduceSum", {&LowerReduceSum, true}},
      {"ReduceMax", {&LowerReduceMax, true}},
      {"ReduceMin", {&LowerReduceMin, true}},
      {"LSTM", {&LowerLSTM, true}},
      {"GRU", {&LowerGRU, true}},
      {"Cast", {&LowerCast, true}},
      {"ArgMax", {&LowerArgMax, true}},
      {"ArgMin", {&LowerArgMin, true}},
      {"LayerNormalization", {&LowerLayerNormalization, true}},
      {"InstanceNormalization", {&LowerInstanceNormalization, true}},
      {"Mod", {&LowerMod, true}},
      {"Tan", {&LowerTan, true}},
      {"Sign", {&LowerSign, true}},
      {"Round", {&LowerRound, true}},
      {"ThresholdedRelu", {&LowerThresholdedRelu, true}},
      {"Shrink", {&LowerShrink, true}},
      {"Celu", {&LowerCelu, true}},
      {"CumSum", {&LowerCumSum, true}},
      {"Hardmax", {&LowerHardmax, true}},
      {"LpNormalization", {&LowerLpNormalization, true}},
      // Folded when every input is constant (int64-exact), else efm ops.
      {"Equal", {&LowerEqual, true}},
      {"Less", {&LowerLess, true}},
      {"Greater", {&LowerGreater, true}},
      {"LessOrEqual", {&LowerLessOrEqual, true}},
      {"GreaterOrEqual", {&LowerGreaterOrEqual, true}},
      {"And", {&LowerAnd, true}},
      {"Or", {&LowerOr, true}},
      {"Xor", {&LowerXor, true}},
      {"Not", {&LowerNot, true}},
      {"Where", {&LowerWhere, true}},
      // Always static: their outputs depend only on shapes or attributes.
      {"Constant", {&LowerConstant, true}},
      {"Shape", {&LowerShape, true}},
      {"Size", {&LowerSize, true}},
      // Compile-time only (constant inputs).
      {"ConstantOfShape", {&LowerConstantOfShape, true}},
      {"Range", {&LowerRange, true}},
      {"Tile", {&LowerTile, true}},
  };
  return *table;
}

absl::Status CheckRuntimeTypes(const Graph& g, const Op& op) {
  auto elem = [&](int k) {
    return op.inputs.size() > static_cast<size_t>(k) && op.inputs[k] >= 0
               ? g.tensors[op.inputs[k]].elem
               : kUndefined;
  };
  auto fail = [&](absl::string_view what) {
    return absl::UnimplementedError(absl::StrCat(op.origin, ": ", what));
  };
  const int32_t e0 = elem(0);
  const bool arith_int = e0 == kInt32 || e0 == kInt64;
  switch (op.type) {
    case T::Copy:
    case T::Concat:
    case T::Slice:
    case T::Split:
    case T::Transpose:
    case T::Expand:
    case T::Pad:
      return absl::OkStatus();
    case T::Gather: {
      const int32_t ie = elem(1);
      if (ie != kInt32 && ie != kInt64) return fail("indices must be int32/int64");
      return absl::OkStatus();
    }
    case T::Add:
    case T::Sub:
    case T::Mul:
    case T::Div:
      if (e0 == kFloat || arith_int) return absl::OkStatus();
      return fail(absl::StrCat("run-time arithmetic on ", ElemName(e0),
                               " (float32, int32 and int64 only)"));
    case T::Min:
    case T::Max:
      if (e0 == kFloat || (IsIntElem(e0) && e0 != kInt8 && e0 != kUint64 && e0 != kUint32)) {
        return absl::OkStatus();
      }
      return fail(absl::StrCat("run-time ", efm::EnumNameOpType(op.type), " on ", ElemName(e0)));
    case T::ReduceSum:
      if (e0 == kFloat || arith_int) return absl::OkStatus();
      return fail(absl::StrCat("run-time ReduceSum on ", ElemName(e0)));
    case T::ReduceMax:
    case T::ReduceMin:
      if (e0 == kFloat || (IsIntElem(e0) && e0 != kInt8 && e0 != kUint64 && e0 != kUint32)) {
        return absl::OkStatus();
      }
      return fail(absl::StrCat("run-time ", efm::EnumNameOpType(op.type), " on ", ElemName(e0)));
    case T::LSTM:
    case T::GRU:
      if (e0 != kFloat) return fail(absl::StrCat("run-time RNN on ", ElemName(e0)));
      return absl::OkStatus();
    case T::ArgMax:
    case T::ArgMin:
    case T::Equal:
    case T::Less:
    case T::LessOrEqual:
    case T::Greater:
    case T::GreaterOrEqual:
    case T::Sign:
      if (e0 == kFloat || (StoredAsI32(e0) && e0 != kUint32 && e0 != kUint64)) {
        return absl::OkStatus();
      }
      return fail(absl::StrCat("run-time ", efm::EnumNameOpType(op.type), " on ", ElemName(e0)));
    case T::CumSum:
      if (e0 == kFloat || e0 == kInt32 || e0 == kInt64) return absl::OkStatus();
      return fail(absl::StrCat("run-time CumSum on ", ElemName(e0)));
    case T::Mod:
      if (e0 == kFloat || e0 == kInt8 || (StoredAsI32(e0) && e0 != kUint32 && e0 != kUint64)) {
        return absl::OkStatus();
      }
      return fail(absl::StrCat("run-time Mod on ", ElemName(e0)));
    case T::And:
    case T::Or:
    case T::Xor:
    case T::Not:
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        if (elem(static_cast<int>(k)) != kBool) return fail("logic ops take bool tensors");
      }
      return absl::OkStatus();
    case T::Where:
      if (elem(0) != kBool) return fail("the condition must be bool");
      return absl::OkStatus();
    case T::Cast:
      return absl::OkStatus();
    default:
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        if (op.inputs[k] >= 0 && g.tensors[op.inputs[k]].elem != kFloat) {
          return fail(absl::StrCat("input ", k, " is ", ElemName(g.tensors[op.inputs[k]].elem),
                                   "; the runtime computes this op in float32 only"));
        }
      }
      return absl::OkStatus();
  }
}

}  // namespace edge::compiler::internal
