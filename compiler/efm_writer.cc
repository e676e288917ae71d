// The .efm writer: tensor selection, draft model (for the runtime's scratch sizes), memory plan,
// final FlatBuffer, verification; and compile-time evaluation through the interpreter.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/efm_generated.h"
#include "edge/runtime/interpreter.h"
#include "flatbuffers/flatbuffers.h"
#include "ir.h"

namespace edge::compiler::internal {
namespace {

namespace fb = flatbuffers;

constexpr uint64_t kAlign = 16;
constexpr uint64_t kCacheLine = 64;
constexpr size_t kCacheLineMinBytes = 1024;
uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// 16-byte aligned copy of a byte string (the runtime reads models and arenas in place).
class AlignedBytes {
 public:
  explicit AlignedBytes(size_t n) : size_(n) {
    const size_t cap = static_cast<size_t>(AlignUp(n == 0 ? 1 : n));
    ptr_ = static_cast<uint8_t*>(std::aligned_alloc(kAlign, cap));
    if (ptr_ != nullptr) std::memset(ptr_, 0, cap);
  }
  AlignedBytes(const void* data, size_t n) : AlignedBytes(n) {
    if (ptr_ != nullptr && n > 0) std::memcpy(ptr_, data, n);
  }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
  ~AlignedBytes() { std::free(ptr_); }
  uint8_t* data() const { return ptr_; }
  size_t size() const { return size_; }
  bool ok() const { return ptr_ != nullptr; }

 private:
  uint8_t* ptr_ = nullptr;
  size_t size_ = 0;
};

efm::DType ToEfm(runtime::DType t) { return static_cast<efm::DType>(static_cast<int8_t>(t)); }

// Which graph tensors are written and with what kind.
struct Selection {
  std::vector<int> index;  // graph tensor id -> efm tensor index (-1: not written)
  std::vector<int> order;  // efm tensor index -> graph tensor id
};

Selection SelectTensors(const Graph& g) {
  Selection s;
  s.index.assign(g.tensors.size(), -1);
  auto take = [&](int id) {
    if (id < 0 || s.index[id] >= 0) return;
    s.index[id] = static_cast<int>(s.order.size());
    s.order.push_back(id);
  };
  for (int id : g.inputs) take(id);
  for (const StatePair& p : g.state) {
    take(p.input);
    take(p.output);
  }
  for (const Op& op : g.ops) {
    for (int id : op.inputs) take(id);
    for (int id : op.outputs) take(id);
  }
  for (int id : g.outputs) take(id);
  return s;
}

efm::TensorKind KindOf(const Graph& g, int id) {
  if (g.tensors[id].is_const()) return efm::TensorKind::Constant;
  if (g.IsStateIn(id)) return efm::TensorKind::StateIn;
  if (g.IsStateOut(id)) return efm::TensorKind::StateOut;
  return efm::TensorKind::Activation;
}

absl::StatusOr<uint64_t> TensorBytes(const Tensor& t) {
  runtime::DType dt;
  if (!RuntimeDType(t.elem, &dt)) {
    return absl::UnimplementedError(absl::StrCat(
        "tensor '", t.name, "': element type ", ElemName(t.elem), " is not supported at run time"));
  }
  return static_cast<uint64_t>(NumElements(t.shape)) * runtime::DTypeSize(dt);
}

struct Layout {
  std::vector<uint32_t> offsets;                        // per efm tensor
  std::vector<uint32_t> scratch_offset, scratch_bytes;  // per op
  uint32_t arena_bytes = 0;
};

fb::Offset<fb::Vector<int32_t>> IntVec(fb::FlatBufferBuilder& fbb, const std::vector<int32_t>& v) {
  return fbb.CreateVector(v);
}

std::pair<efm::OpOptions, fb::Offset<void>> BuildOptions(fb::FlatBufferBuilder& fbb, const Op& op) {
  using T = efm::OpType;
  const OpAttrs& a = op.a;
  switch (op.type) {
    case T::Relu:
    case T::LeakyRelu:
    case T::Sigmoid:
    case T::Tanh:
    case T::HardSigmoid:
    case T::HardSwish:
    case T::Elu:
    case T::Selu:
    case T::Softplus:
    case T::Clip:
    case T::Exp:
    case T::Sqrt:
    case T::Neg:
    case T::Abs:
    case T::Log:
    case T::Reciprocal:
    case T::Floor:
    case T::Ceil:
    case T::Erf:
    case T::Softsign:
    case T::Sin:
    case T::Cos:
    case T::ThresholdedRelu:
    case T::Shrink:
    case T::Celu:
      return {efm::OpOptions::UnaryOptions, efm::CreateUnaryOptions(fbb, a.alpha, a.beta).Union()};
    case T::Gemm:
      return {efm::OpOptions::GemmOptions,
              efm::CreateGemmOptions(fbb, a.alpha, a.beta, a.trans_a, a.trans_b, a.act, a.act_min,
                                     a.act_max)
                  .Union()};
    case T::MatMul:
      return {efm::OpOptions::MatMulOptions,
              efm::CreateMatMulOptions(fbb, a.act, a.act_min, a.act_max).Union()};
    case T::Conv:
    case T::ConvTranspose: {
      auto ks = IntVec(fbb, a.kernel_shape);
      auto st = IntVec(fbb, a.strides);
      auto pd = IntVec(fbb, a.pads);
      auto dl = IntVec(fbb, a.dilations);
      auto op_pad = IntVec(fbb, a.output_padding);
      return {
          efm::OpOptions::ConvOptions,
          efm::CreateConvOptions(fbb, ks, st, pd, dl, a.group, op_pad, a.act, a.act_min, a.act_max)
              .Union()};
    }
    case T::MaxPool:
    case T::AveragePool:
    case T::GlobalAveragePool:
    case T::GlobalMaxPool: {
      auto ks = IntVec(fbb, a.kernel_shape);
      auto st = IntVec(fbb, a.strides);
      auto pd = IntVec(fbb, a.pads);
      auto dl = IntVec(fbb, a.dilations);
      return {efm::OpOptions::PoolOptions,
              efm::CreatePoolOptions(fbb, ks, st, pd, dl, a.count_include_pad).Union()};
    }
    case T::BatchNormalization:
      return {efm::OpOptions::BatchNormOptions,
              efm::CreateBatchNormOptions(fbb, a.epsilon, a.act, a.act_min, a.act_max).Union()};
    case T::Softmax:
    case T::LogSoftmax:
    case T::Hardmax:
    case T::Concat:
    case T::Gather:
    case T::Split:
      return {efm::OpOptions::AxisOptions,
              efm::CreateAxisOptions(fbb, a.axis, a.legacy_coerce).Union()};
    case T::Slice: {
      auto st = IntVec(fbb, a.starts);
      auto sp = IntVec(fbb, a.steps);
      return {efm::OpOptions::SliceOptions, efm::CreateSliceOptions(fbb, st, sp).Union()};
    }
    case T::Transpose: {
      auto p = IntVec(fbb, a.perm);
      return {efm::OpOptions::TransposeOptions, efm::CreateTransposeOptions(fbb, p).Union()};
    }
    case T::Pad: {
      auto p = IntVec(fbb, a.pad_amounts);
      return {efm::OpOptions::PadOptions,
              efm::CreatePadOptions(fbb, p, a.pad_mode, a.pad_value).Union()};
    }
    case T::Resize: {
      auto sc = fbb.CreateVector(a.scales);
      return {efm::OpOptions::ResizeOptions,
              efm::CreateResizeOptions(fbb, a.resize_mode, a.coord, a.nearest, sc).Union()};
    }
    case T::ReduceMean:
    case T::ReduceSum:
    case T::ReduceMax:
    case T::ReduceMin: {
      auto ax = IntVec(fbb, a.axes);
      return {efm::OpOptions::ReduceOptions, efm::CreateReduceOptions(fbb, ax, a.keepdims).Union()};
    }
    case T::LSTM:
    case T::GRU:
      return {efm::OpOptions::RnnOptions,
              efm::CreateRnnOptions(fbb, a.direction, a.hidden_size, a.clip, a.input_forget,
                                    a.linear_before_reset, a.layout)
                  .Union()};
    case T::ArgMax:
    case T::ArgMin:
      return {efm::OpOptions::ArgOptions,
              efm::CreateArgOptions(fbb, a.axis, a.keepdims, a.select_last_index).Union()};
    case T::LayerNormalization:
    case T::InstanceNormalization:
      return {efm::OpOptions::NormOptions, efm::CreateNormOptions(fbb, a.axis, a.epsilon).Union()};
    case T::Mod:
      return {efm::OpOptions::ModOptions, efm::CreateModOptions(fbb, a.fmod).Union()};
    case T::Cast:
      return {efm::OpOptions::CastOptions, efm::CreateCastOptions(fbb, a.cast_to).Union()};
    case T::CumSum:
      return {efm::OpOptions::CumSumOptions,
              efm::CreateCumSumOptions(fbb, a.axis, a.exclusive, a.reverse).Union()};
    case T::LpNormalization:
      return {efm::OpOptions::LpNormOptions, efm::CreateLpNormOptions(fbb, a.axis, a.p).Union()};
    default:
      return {efm::OpOptions::NONE, 0};
  }
}

struct Prepared {
  Selection sel;
  std::vector<std::string> const_bytes;  // per efm tensor (constants only)
  std::vector<std::string> state_init;   // per state pair ("" = zeros)
};

absl::StatusOr<Prepared> Prepare(const Graph& g) {
  Prepared p;
  p.sel = SelectTensors(g);
  p.const_bytes.resize(p.sel.order.size());
  for (size_t k = 0; k < p.sel.order.size(); ++k) {
    const Tensor& t = g.tensors[p.sel.order[k]];
    for (int64_t d : t.shape) {
      if (d < 0 || d > std::numeric_limits<int32_t>::max()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor '", t.name, "': dimension ", d, " out of range"));
      }
    }
    if (t.shape.size() > static_cast<size_t>(runtime::kMaxRank)) {
      return absl::UnimplementedError(absl::StrCat("tensor '", t.name, "' has rank ",
                                                   t.shape.size(), " (the runtime supports up to ",
                                                   runtime::kMaxRank, ")"));
    }
    runtime::DType dt;
    if (!RuntimeDType(t.elem, &dt)) {
      return absl::UnimplementedError(absl::StrCat("tensor '", t.name, "': element type ",
                                                   ElemName(t.elem),
                                                   " is not supported at run time"));
    }
    if (t.is_const()) {
      auto bytes = RuntimeBytes(*t.value, t.name);
      if (!bytes.ok()) return bytes.status();
      p.const_bytes[k] = std::move(*bytes);
    }
  }
  for (const StatePair& s : g.state) {
    if (s.initial != nullptr) {
      auto bytes = RuntimeBytes(*s.initial, g.tensors[s.input].name);
      if (!bytes.ok()) return bytes.status();
      p.state_init.push_back(std::move(*bytes));
    } else {
      p.state_init.emplace_back();
    }
  }
  return p;
}

std::string Build(const Graph& g, const Prepared& p, const Layout& layout,
                  const EmitOptions& options, uint64_t macs) {
  fb::FlatBufferBuilder fbb(1 << 16);
  std::vector<fb::Offset<efm::Buffer>> buffers;
  auto add_buffer = [&](const std::string& bytes) {
    // Large constants (weights) start on a cache line (64 bytes from the start of the file):
    // the dense kernels stream them, and loads that straddle lines cost ~20% on the MLP. The
    // format promises 16; a model loaded 64-byte aligned gets the rest.
    // (PreAlign, not ForceVectorAlignment: the latter asserts alignment <= 32.)
    fbb.PreAlign(bytes.size(), bytes.size() >= kCacheLineMinBytes ? kCacheLine : kAlign);
    auto data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    buffers.push_back(efm::CreateBuffer(fbb, data));
    return static_cast<int32_t>(buffers.size()) - 1;
  };

  std::vector<fb::Offset<efm::Tensor>> tensors;
  for (size_t k = 0; k < p.sel.order.size(); ++k) {
    const int id = p.sel.order[k];
    const Tensor& t = g.tensors[id];
    runtime::DType dt = runtime::DType::kF32;
    RuntimeDType(t.elem, &dt);
    const efm::TensorKind kind = KindOf(g, id);
    int32_t buffer = -1;
    if (kind == efm::TensorKind::Constant) buffer = add_buffer(p.const_bytes[k]);
    std::vector<int32_t> shape(t.shape.begin(), t.shape.end());
    auto name = fbb.CreateString(t.name);
    auto shape_vec = fbb.CreateVector(shape);
    tensors.push_back(
        efm::CreateTensor(fbb, name, ToEfm(dt), shape_vec, kind, buffer, layout.offsets[k]));
  }

  uint8_t op_set[runtime::kOpSetBytes] = {};
  std::vector<fb::Offset<efm::Op>> ops;
  for (size_t k = 0; k < g.ops.size(); ++k) {
    const Op& op = g.ops[k];
    const auto v = static_cast<uint32_t>(op.type);
    if (v / 8 < runtime::kOpSetBytes) op_set[v / 8] |= static_cast<uint8_t>(1u << (v % 8));
    std::vector<int32_t> ins, outs;
    for (int id : op.inputs) ins.push_back(id < 0 ? -1 : p.sel.index[id]);
    for (int id : op.outputs) outs.push_back(id < 0 ? -1 : p.sel.index[id]);
    auto in_vec = fbb.CreateVector(ins);
    auto out_vec = fbb.CreateVector(outs);
    auto opts = BuildOptions(fbb, op);
    auto name = fbb.CreateString(op.name);
    ops.push_back(efm::CreateOp(fbb, op.type, in_vec, out_vec, opts.first, opts.second,
                                layout.scratch_offset[k], layout.scratch_bytes[k], name));
  }

  std::vector<int32_t> inputs, outputs;
  for (int id : g.inputs) inputs.push_back(p.sel.index[id]);
  for (int id : g.outputs) outputs.push_back(p.sel.index[id]);

  std::vector<fb::Offset<efm::StatePair>> state;
  for (size_t k = 0; k < g.state.size(); ++k) {
    const int32_t initial = p.state_init[k].empty() ? -1 : add_buffer(p.state_init[k]);
    state.push_back(efm::CreateStatePair(fbb, p.sel.index[g.state[k].input],
                                         p.sel.index[g.state[k].output], initial));
  }

  fb::Offset<efm::SelfTest> self_test = 0;
  if (!options.selftest_inputs.empty() || !options.selftest_outputs.empty()) {
    std::vector<int32_t> st_in, st_out;
    for (const std::string& b : options.selftest_inputs) st_in.push_back(add_buffer(b));
    for (const std::string& b : options.selftest_outputs) st_out.push_back(add_buffer(b));
    auto in_vec = fbb.CreateVector(st_in);
    auto out_vec = fbb.CreateVector(st_out);
    self_test =
        efm::CreateSelfTest(fbb, in_vec, out_vec, options.selftest_atol, options.selftest_rtol);
  }

  auto name = fbb.CreateString(options.name);
  auto producer = fbb.CreateString(options.producer);
  auto op_set_vec = fbb.CreateVector(op_set, runtime::kOpSetBytes);
  auto tensors_vec = fbb.CreateVector(tensors);
  auto buffers_vec = fbb.CreateVector(buffers);
  auto ops_vec = fbb.CreateVector(ops);
  auto inputs_vec = fbb.CreateVector(inputs);
  auto outputs_vec = fbb.CreateVector(outputs);
  auto state_vec = fbb.CreateVector(state);
  auto model = efm::CreateModel(fbb, runtime::kEfmFormatVersion, name, producer, op_set_vec,
                                tensors_vec, buffers_vec, ops_vec, inputs_vec, outputs_vec,
                                state_vec, layout.arena_bytes, self_test, macs);
  efm::FinishModelBuffer(fbb, model);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// "op 3 (Conv 'x'): message" -> 3; -1 if the text does not start that way.
int OpIndexFromDiagnostic(const char* text) {
  absl::string_view s(text);
  if (s.substr(0, 3) != "op ") return -1;
  s.remove_prefix(3);
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  int v = -1;
  if (n == 0 || !absl::SimpleAtoi(s.substr(0, n), &v)) return -1;
  return v;
}

absl::Status RuntimeRejected(const Graph& g, Status status, const runtime::Diagnostic& diag,
                             absl::string_view stage) {
  const int op = OpIndexFromDiagnostic(diag.text());
  std::string prefix;
  if (op >= 0 && static_cast<size_t>(op) < g.ops.size() && !g.ops[op].origin.empty()) {
    prefix = absl::StrCat(g.ops[op].origin, ": ");
  }
  const std::string msg =
      absl::StrCat(prefix, "the runtime rejected the ", stage, ": ", diag.text());
  if (status.code() == StatusCode::kUnimplemented ||
      status.code() == StatusCode::kInvalidArgument) {
    return absl::UnimplementedError(msg);
  }
  return absl::InternalError(msg);
}

}  // namespace

absl::StatusOr<std::string> RuntimeBytes(const HostValue& v, absl::string_view what) {
  runtime::DType dt;
  if (!RuntimeDType(v.elem, &dt)) {
    return absl::UnimplementedError(absl::StrCat(
        "tensor '", what, "': element type ", ElemName(v.elem), " is not supported at run time"));
  }
  const size_t n = static_cast<size_t>(v.numel());
  if (v.size() != n) {
    return absl::InternalError(
        absl::StrCat("tensor '", what, "': value has ", v.size(), " elements, shape says ", n));
  }
  std::string out;
  if (dt == runtime::DType::kF32) {
    if (!v.is_float()) {
      return absl::InternalError(absl::StrCat("tensor '", what, "': float tensor holds integers"));
    }
    out.resize(n * 4);
    if (n > 0) std::memcpy(out.data(), v.f.data(), n * 4);
    return out;
  }
  const int64_t lo = dt == runtime::DType::kI8 ? -128 : std::numeric_limits<int32_t>::min();
  const int64_t hi = dt == runtime::DType::kI8 ? 127 : std::numeric_limits<int32_t>::max();
  out.resize(n * runtime::DTypeSize(dt));
  for (size_t k = 0; k < n; ++k) {
    const int64_t x = v.AsInt(k);
    if (x < lo || x > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", what, "': value ", x, " at index ", k, " does not fit ",
                       dt == runtime::DType::kI8 ? "int8" : "int32", " (the runtime's type for ",
                       ElemName(v.elem), ")"));
    }
    if (dt == runtime::DType::kI8) {
      out[k] = static_cast<char>(static_cast<int8_t>(x));
    } else {
      const auto y = static_cast<int32_t>(x);
      std::memcpy(out.data() + k * 4, &y, 4);
    }
  }
  return out;
}

absl::StatusOr<EmitResult> EmitEfm(const Graph& g, const EmitOptions& options) {
  auto prepared = Prepare(g);
  if (!prepared.ok()) return prepared.status();
  const Prepared& p = *prepared;
  const size_t nt = p.sel.order.size();
  const size_t nops = g.ops.size();

  uint64_t macs = 0;
  for (const Op& op : g.ops) macs += op.macs;

  // Draft: no plan; the runtime checks it and says how much scratch each op needs.
  Layout layout;
  layout.offsets.assign(nt, 0);
  layout.scratch_offset.assign(nops, 0);
  layout.scratch_bytes.assign(nops, 0);
  std::vector<uint32_t> scratch(nops == 0 ? 1 : nops, 0);
  {
    const std::string draft = Build(g, p, layout, options, macs);
    AlignedBytes buf(draft.data(), draft.size());
    if (!buf.ok()) return absl::ResourceExhaustedError("out of memory");
    runtime::Diagnostic diag;
    const Status st =
        runtime::VerifyModel(buf.data(), buf.size(), false, scratch.data(), nops, &diag);
    if (!st.ok()) return RuntimeRejected(g, st, diag, "model");
  }

  // Lifetimes over the op order.
  std::vector<PlanItem> items;
  std::vector<int> item_tensor;  // efm tensor index per item, -1 = scratch of op (item_op)
  std::vector<int> item_op;
  const int last_op = nops == 0 ? 0 : static_cast<int>(nops) - 1;
  std::vector<int> first(nt, -1), last(nt, -1);
  for (size_t k = 0; k < nops; ++k) {
    const int ik = static_cast<int>(k);
    for (int id : g.ops[k].inputs) {
      if (id < 0) continue;
      const int e = p.sel.index[id];
      if (first[e] < 0) first[e] = ik;
      last[e] = std::max(last[e], ik);
    }
    for (int id : g.ops[k].outputs) {
      if (id < 0) continue;
      const int e = p.sel.index[id];
      if (first[e] < 0) first[e] = ik;
      last[e] = std::max(last[e], ik);
    }
  }
  for (int id : g.inputs) {
    const int e = p.sel.index[id];
    first[e] = 0;
    if (last[e] < 0) last[e] = 0;
  }
  for (int id : g.outputs) {
    const int e = p.sel.index[id];
    if (first[e] < 0) first[e] = 0;
    last[e] = last_op;
  }
  uint64_t unplanned = 0;
  for (size_t e = 0; e < nt; ++e) {
    const int id = p.sel.order[e];
    if (KindOf(g, id) != efm::TensorKind::Activation) continue;
    auto bytes = TensorBytes(g.tensors[id]);
    if (!bytes.ok()) return bytes.status();
    PlanItem it;
    it.bytes = *bytes;
    it.first = first[e] < 0 ? 0 : first[e];
    it.last = last[e] < 0 ? it.first : last[e];
    items.push_back(it);
    item_tensor.push_back(static_cast<int>(e));
    item_op.push_back(-1);
    unplanned += AlignUp(*bytes);
  }
  for (size_t k = 0; k < nops; ++k) {
    if (scratch[k] == 0) continue;
    PlanItem it;
    it.bytes = scratch[k];
    it.first = it.last = static_cast<int>(k);
    items.push_back(it);
    item_tensor.push_back(-1);
    item_op.push_back(static_cast<int>(k));
    unplanned += AlignUp(scratch[k]);
  }
  const uint64_t arena = PlanMemory(items);
  if (arena > std::numeric_limits<uint32_t>::max()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("planned arena of ", arena, " bytes does not fit the .efm (4 GiB)"));
  }
  for (size_t k = 0; k < items.size(); ++k) {
    if (item_tensor[k] >= 0) {
      layout.offsets[item_tensor[k]] = static_cast<uint32_t>(items[k].offset);
    } else {
      layout.scratch_offset[item_op[k]] = static_cast<uint32_t>(items[k].offset);
      layout.scratch_bytes[item_op[k]] = static_cast<uint32_t>(items[k].bytes);
    }
  }
  layout.arena_bytes = static_cast<uint32_t>(arena);

  EmitResult result;
  result.efm = Build(g, p, layout, options, macs);
  {
    AlignedBytes buf(result.efm.data(), result.efm.size());
    if (!buf.ok()) return absl::ResourceExhaustedError("out of memory");
    runtime::Diagnostic diag;
    const Status st = runtime::VerifyModel(buf.data(), buf.size(), true, nullptr, 0, &diag);
    if (!st.ok()) {
      return absl::InternalError(absl::StrCat("the final .efm failed verification: ", diag.text()));
    }
  }
  result.arena_bytes = layout.arena_bytes;
  result.unplanned_bytes = unplanned;
  for (const std::string& b : p.const_bytes) result.constant_bytes += b.size();
  result.macs = macs;
  result.ops = static_cast<int>(nops);
  return result;
}

absl::Status InterpreterEvaluate(Graph& g, const std::vector<Op>& ops) {
  // A graph of just these ops; every value they produce is an output.
  Graph mini;
  mini.tensors = g.tensors;  // values are shared, not copied
  mini.ops = ops;
  for (const Op& op : ops) {
    for (int id : op.outputs) {
      if (id >= 0) mini.outputs.push_back(id);
    }
  }
  EmitOptions eo;
  eo.name = "fold";
  eo.producer = "edgefleet compiler (constant folding)";
  auto emitted = EmitEfm(mini, eo);
  if (!emitted.ok()) return emitted.status();
  AlignedBytes model(emitted->efm.data(), emitted->efm.size());
  runtime::Diagnostic diag;
  auto need = runtime::Interpreter::RequiredArenaBytes(model.data(), model.size(), &diag);
  if (!need.ok()) return absl::InternalError(absl::StrCat("constant folding: ", diag.text()));
  AlignedBytes arena(*need);
  if (!model.ok() || !arena.ok()) return absl::ResourceExhaustedError("out of memory");
  auto interp = runtime::Interpreter::Create(model.data(), model.size(), arena.data(), arena.size(),
                                             {}, &diag);
  if (!interp.ok()) return absl::InternalError(absl::StrCat("constant folding: ", diag.text()));
  const Status st = interp->Invoke(&diag);
  if (!st.ok()) {
    const int op = OpIndexFromDiagnostic(diag.text());
    std::string prefix;
    if (op >= 0 && static_cast<size_t>(op) < ops.size()) prefix = ops[op].origin + ": ";
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "evaluating constant inputs failed: ", diag.text()));
  }
  for (size_t k = 0; k < mini.outputs.size(); ++k) {
    const int id = mini.outputs[k];
    const runtime::Tensor t = interp->output(k);
    Tensor& dst = g.tensors[id];
    HostValue v;
    v.elem = dst.elem;
    v.shape = dst.shape;
    const size_t n = static_cast<size_t>(t.elements());
    if (t.dtype == runtime::DType::kF32) {
      v.f.assign(t.f32(), t.f32() + n);
    } else if (t.dtype == runtime::DType::kI32) {
      v.i.assign(t.i32(), t.i32() + n);
    } else {
      v.i.assign(t.i8(), t.i8() + n);
    }
    dst.value = std::make_shared<const HostValue>(std::move(v));
  }
  return absl::OkStatus();
}

}  // namespace edge::compiler::internal
