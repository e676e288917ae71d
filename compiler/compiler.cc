// edge::compiler: the pipeline (see compiler.h). Import and folding policy live here; op
// handlers in lower.cc, fusion in fuse.cc, planning and the writer in planner.cc/efm_writer.cc.
#include "edge/compiler/compiler.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir.h"
#include "lower.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace edge::compiler {
namespace {

using internal::Dims;
using internal::Graph;
using internal::HostValue;
using internal::NodeCtx;
using internal::Op;
using internal::Tensor;

constexpr int kMinOpset = 6;
constexpr int kMaxOpset = 17;
constexpr char kVersion[] = "0.1.0";

#define TRY(expr)              \
  do {                         \
    absl::Status _st = (expr); \
    if (!_st.ok()) return _st; \
  } while (0)

bool IsDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Static type of a graph input/output value_info; error text names the tensor.
absl::Status StaticType(const onnx::ValueInfoProto& vi, absl::string_view role, int32_t* elem,
                        Dims* shape) {
  if (!vi.type().has_tensor_type()) {
    return absl::UnimplementedError(absl::StrCat(role, " '", vi.name(),
                                                 "' is not a tensor (sequences, maps and optionals "
                                                 "are not supported)"));
  }
  const auto& tt = vi.type().tensor_type();
  *elem = tt.elem_type();
  if (!tt.has_shape()) {
    return absl::InvalidArgumentError(
        absl::StrCat(role, " '", vi.name(), "' has no static shape (every tensor needs one)"));
  }
  shape->clear();
  for (const auto& d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(role, " '", vi.name(), "' has a dynamic dimension",
                       d.has_dim_param() ? absl::StrCat(" '", d.dim_param(), "'") : std::string(),
                       " (every tensor needs a static shape)"));
    }
    shape->push_back(d.dim_value());
  }
  return absl::OkStatus();
}

absl::Status CheckRuntimeElem(int32_t elem, absl::string_view role, const std::string& name) {
  runtime::DType dt;
  if (elem == internal::kDouble) {
    return absl::UnimplementedError(
        absl::StrCat(role, " '", name,
                     "' is double; the runtime computes in float32 (export "
                     "the model in float32)"));
  }
  if (!internal::RuntimeDType(elem, &dt)) {
    return absl::UnimplementedError(absl::StrCat(role, " '", name, "' has element type ",
                                                 internal::ElemName(elem),
                                                 ", which the runtime does not support"));
  }
  return absl::OkStatus();
}

// Shapes and types from ONNX shape inference (for a cross-check of the compiler's own).
using Inferred = std::unordered_map<std::string, std::pair<int32_t, Dims>>;

Inferred CollectInferred(const onnx::GraphProto& g) {
  Inferred out;
  auto add = [&](const onnx::ValueInfoProto& vi) {
    if (!vi.type().has_tensor_type()) return;
    const auto& tt = vi.type().tensor_type();
    Dims dims = {-1};
    if (tt.has_shape()) {
      Dims d;
      bool ok = true;
      for (const auto& x : tt.shape().dim()) {
        if (!x.has_dim_value()) {
          ok = false;
          break;
        }
        d.push_back(x.dim_value());
      }
      if (ok) dims = d;
    }
    out[vi.name()] = {tt.elem_type(), dims};
  };
  for (const auto& vi : g.value_info()) add(vi);
  for (const auto& vi : g.output()) add(vi);
  return out;
}

struct Compilation {
  Graph g;
  int opset = 0;
  int source_nodes = 0;
  int folded = 0;
  int fused = 0;
  std::vector<std::string> notes;
  std::vector<StatePairInfo> state;
};

struct PendingState {
  std::string in, out;
  bool explicit_pair = false;
};

// The ops of one node evaluated at compile time: on the host when it can (exact, int64), else
// by the runtime's own kernels.
absl::Status FoldOps(Graph& g, const std::vector<Op>& ops) {
  bool host = true;
  for (const Op& op : ops) host = host && internal::HostCanEvaluate(g, op);
  if (host) {
    for (const Op& op : ops) TRY(internal::HostEvaluate(g, op));
    return absl::OkStatus();
  }
  return internal::InterpreterEvaluate(g, ops);
}

absl::Status Import(const onnx::ModelProto& model, const CompileOptions& options,
                    Compilation* out) {
  Graph& g = out->g;
  // Opset of the default domain.
  int opset = -1;
  for (const auto& imp : model.opset_import()) {
    if (IsDefaultDomain(imp.domain())) opset = static_cast<int>(imp.version());
  }
  if (opset < 0 && model.opset_import_size() == 0) opset = 1;  // IR v1/v2 models
  if (opset < 1 || opset > kMaxOpset) {
    return absl::UnimplementedError(absl::StrCat("opset ", opset,
                                                 " of the default domain is not supported (",
                                                 kMinOpset, "..", kMaxOpset, ")"));
  }
  out->opset = opset;
  // Below opset 6, a node is accepted only if its op's definition is the one in force at opset 6
  // (e.g. Softplus-1, GlobalAveragePool-1); it is then handled as opset 6.
  const int handler_opset = std::max(opset, kMinOpset);

  // Checker and shape inference (on a copy: inference adds value_info).
  onnx::ModelProto inferred_model = model;
  try {
    onnx::checker::check_model(inferred_model);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX checker: ", e.what()));
  }
  try {
    onnx::ShapeInferenceOptions sio(/*check_type=*/false, /*strict_mode=*/0,
                                    /*data_prop=*/true);
    onnx::shape_inference::InferShapes(inferred_model, onnx::OpSchemaRegistry::Instance(), sio);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX shape inference: ", e.what()));
  }
  const onnx::GraphProto& graph = model.graph();
  const Inferred inferred = CollectInferred(inferred_model.graph());

  std::unordered_map<std::string, int> names;
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : graph.initializer()) inits[t.name()] = &t;
  for (const auto& t : graph.sparse_initializer()) {
    return absl::UnimplementedError(
        absl::StrCat("sparse initializer '", t.values().name(), "' is not supported"));
  }

  // State pairs: explicit, then detected by name.
  std::set<std::string> output_names;
  for (const auto& o : graph.output()) output_names.insert(o.name());
  std::set<std::string> input_names;
  for (const auto& i : graph.input()) input_names.insert(i.name());
  std::vector<PendingState> pending;
  std::set<std::string> state_inputs, state_outputs;
  for (const auto& [in, o] : options.state) {
    if (input_names.count(in) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("state input '", in, "' is not a graph input"));
    }
    if (output_names.count(o) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("state output '", o, "' is not a graph output"));
    }
    if (state_inputs.count(in) || state_outputs.count(o)) {
      return absl::InvalidArgumentError(
          absl::StrCat("state pair ", in, " -> ", o, " repeats a name"));
    }
    pending.push_back({in, o, true});
    state_inputs.insert(in);
    state_outputs.insert(o);
  }
  if (options.detect_state) {
    for (const auto& i : graph.input()) {
      const std::string& in = i.name();
      const size_t pos = in.find("state_in");
      if (pos == std::string::npos || state_inputs.count(in)) continue;
      std::string o = in;
      o.replace(pos, 8, "state_out");
      if (output_names.count(o) == 0 || state_outputs.count(o)) continue;
      pending.push_back({in, o, false});
      state_inputs.insert(in);
      state_outputs.insert(o);
    }
  }

  // Graph inputs: initializer-backed ones are constants (unless they are state).
  std::unordered_map<std::string, std::shared_ptr<const HostValue>> state_init;
  for (const auto& vi : graph.input()) {
    const std::string& name = vi.name();
    if (names.count(name))
      return absl::InvalidArgumentError(absl::StrCat("graph input '", name, "' repeats"));
    auto init = inits.find(name);
    if (init != inits.end()) {
      auto v = internal::HostValueFromProto(*init->second);
      if (!v.ok()) return v.status();
      if (state_inputs.count(name)) {
        state_init[name] = std::make_shared<const HostValue>(*v);
      } else {
        names[name] = g.AddConstant(name, std::move(*v));
        continue;
      }
    }
    int32_t elem = 0;
    Dims shape;
    TRY(StaticType(vi, "graph input", &elem, &shape));
    TRY(CheckRuntimeElem(elem, "graph input", name));
    const int id = g.AddTensor(name, elem, shape);
    names[name] = id;
    g.inputs.push_back(id);
  }
  for (const auto& t : graph.initializer()) {
    if (names.count(t.name())) continue;
    auto v = internal::HostValueFromProto(t);
    if (!v.ok()) return v.status();
    names[t.name()] = g.AddConstant(t.name(), std::move(*v));
  }

  // Nodes, in (topological) order.
  const auto& table = internal::OpTable();
  out->source_nodes = graph.node_size();
  for (const auto& node : graph.node()) {
    std::vector<Op> tmp;
    NodeCtx ctx(&g, &names, node, handler_opset, &tmp, &inferred, opset);
    if (!IsDefaultDomain(node.domain())) {
      return absl::UnimplementedError(absl::StrCat("node '", ctx.base_name(), "' (", node.op_type(),
                                                   ", domain ", node.domain(),
                                                   "): only the default ONNX domain is supported"));
    }
    auto it = table.find(node.op_type());
    if (it == table.end())
      return absl::UnimplementedError(absl::StrCat(ctx.origin(), ": op not supported"));
    if (opset < kMinOpset) {
      const auto* now = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
      const auto* at6 = onnx::OpSchemaRegistry::Schema(node.op_type(), kMinOpset, "");
      if (now == nullptr || at6 == nullptr || now->since_version() != at6->since_version()) {
        return absl::UnimplementedError(
            absl::StrCat(ctx.origin(), ": this definition of ", node.op_type(), " predates opset ",
                         kMinOpset, " (opsets ", kMinOpset, "..", kMaxOpset, " are supported)"));
      }
    }
    for (int i = 0; i < node.input_size(); ++i) {
      if (!node.input(i).empty() && names.count(node.input(i)) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(ctx.origin(), ": input '", node.input(i), "' is not defined before use"));
      }
    }
    for (const auto& a : node.attribute()) {
      if (a.has_g() || a.graphs_size() > 0) {
        return absl::UnimplementedError(
            absl::StrCat(ctx.origin(), ": subgraphs are not supported"));
      }
    }
    bool all_const = node.input_size() > 0;
    for (int i = 0; i < node.input_size(); ++i) {
      if (ctx.has_input(i) && !ctx.input(i).is_const()) all_const = false;
    }
    TRY(it->second.handler(ctx));
    // Outputs the handler defined as values were folded by the handler itself.
    if (tmp.empty()) {
      if (node.op_type() != "Constant") ++out->folded;
      continue;
    }
    if (all_const) {
      absl::Status st = FoldOps(g, tmp);
      if (st.ok()) {
        ++out->folded;
        continue;
      }
      if (st.code() == absl::StatusCode::kInvalidArgument) return st;
      // The runtime could not evaluate it here; leave the ops for run time.
      out->notes.push_back(absl::StrCat(ctx.origin(), ": not folded (", st.message(), ")"));
    }
    for (Op& op : tmp) g.ops.push_back(std::move(op));
  }

  // Graph outputs.
  std::vector<bool> seen(g.tensors.size(), false);
  std::set<int> input_set(g.inputs.begin(), g.inputs.end());
  for (const auto& vi : graph.output()) {
    auto f = names.find(vi.name());
    if (f == names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", vi.name(), "' is never computed"));
    }
    int id = f->second;
    const Tensor& t = g.tensors[id];
    if (vi.type().has_tensor_type()) {
      const auto& tt = vi.type().tensor_type();
      if (tt.elem_type() != 0 && tt.elem_type() != t.elem) {
        return absl::InvalidArgumentError(absl::StrCat(
            "graph output '", vi.name(), "' is declared ", internal::ElemName(tt.elem_type()),
            " but computes ", internal::ElemName(t.elem)));
      }
      if (tt.has_shape()) {
        bool declared_static = true;
        Dims d;
        for (const auto& x : tt.shape().dim()) {
          if (!x.has_dim_value()) declared_static = false;
          d.push_back(x.dim_value());
        }
        if (declared_static && d != t.shape) {
          return absl::InvalidArgumentError(
              absl::StrCat("graph output '", vi.name(), "' is declared ", internal::DimsToString(d),
                           " but computes ", internal::DimsToString(t.shape)));
        }
      }
    }
    TRY(CheckRuntimeElem(t.elem, "graph output", vi.name()));
    // A graph output must be an op's output of its own.
    if (t.is_const() || input_set.count(id) || seen[id] || state_inputs.count(t.name)) {
      const bool was_const = t.is_const();
      const int src = id;
      if (was_const) g.tensors[src].name = vi.name() + "/value";
      id = g.AddTensor(vi.name(), g.tensors[src].elem, g.tensors[src].shape);
      Op copy;
      copy.type = efm::OpType::Copy;
      copy.inputs = {src};
      copy.outputs = {id};
      copy.name = vi.name();
      copy.origin = absl::StrCat("graph output '", vi.name(), "'");
      g.ops.push_back(std::move(copy));
      seen.resize(g.tensors.size(), false);
    }
    seen[id] = true;
    g.outputs.push_back(id);
  }

  // Fusion (graph and state outputs are kept as they are).
  if (options.fuse) {
    std::vector<bool> keep(g.tensors.size(), false);
    for (int id : g.outputs) keep[id] = true;
    internal::FusionStats fs;
    internal::Fuse(g, keep, &fs);
    out->fused = fs.fused_nodes;
    for (auto& n : fs.notes) out->notes.push_back(std::move(n));
  }

  // State pairs.
  for (const PendingState& p : pending) {
    const int in = names[p.in];
    int oi = -1;
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      if (g.tensors[g.outputs[k]].name == p.out) oi = static_cast<int>(k);
    }
    const int o = oi >= 0 ? g.outputs[oi] : -1;
    if (o < 0 || g.tensors[in].elem != g.tensors[o].elem ||
        g.tensors[in].shape != g.tensors[o].shape) {
      const std::string why = o < 0 ? "output not found"
                                    : absl::StrCat(internal::ElemName(g.tensors[in].elem),
                                                   internal::DimsToString(g.tensors[in].shape),
                                                   " vs ", internal::ElemName(g.tensors[o].elem),
                                                   internal::DimsToString(g.tensors[o].shape));
      if (p.explicit_pair) {
        return absl::InvalidArgumentError(absl::StrCat("state pair '", p.in, "' -> '", p.out,
                                                       "': dtype or shape differ (", why, ")"));
      }
      out->notes.push_back(absl::StrCat("'", p.in, "' / '", p.out,
                                        "' look like a state pair but differ (", why,
                                        "); left as plain input and output"));
      continue;
    }
    internal::StatePair sp;
    sp.input = in;
    sp.output = o;
    auto init = state_init.find(p.in);
    if (init != state_init.end()) sp.initial = init->second;
    g.state.push_back(sp);
    g.inputs.erase(std::find(g.inputs.begin(), g.inputs.end(), in));
    g.outputs.erase(g.outputs.begin() + oi);
    StatePairInfo info;
    info.input = p.in;
    info.output = p.out;
    for (int64_t d : g.tensors[in].shape) info.shape.push_back(static_cast<int32_t>(d));
    out->state.push_back(info);
    out->notes.push_back(absl::StrCat("state pair '", p.in, "' -> '", p.out, "'",
                                      p.explicit_pair ? "" : " (detected by name)"));
  }
  // A state input that was not paired after all but had an initializer stays a graph input.

  // Dead ops (nothing reads their outputs) go; unused optional RNN outputs become absent.
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<int> readers(g.tensors.size(), 0);
    for (const Op& op : g.ops) {
      for (int id : op.inputs) {
        if (id >= 0) ++readers[id];
      }
    }
    for (int id : g.outputs) ++readers[id];
    for (const auto& s : g.state) ++readers[s.output];
    std::vector<Op> kept;
    for (Op& op : g.ops) {
      bool used = false;
      for (int id : op.outputs) used = used || (id >= 0 && readers[id] > 0);
      if (!used) {
        changed = true;
        continue;
      }
      if (op.type == efm::OpType::LSTM || op.type == efm::OpType::GRU) {
        for (int& id : op.outputs) {
          if (id >= 0 && readers[id] == 0) id = -1;
        }
      }
      kept.push_back(std::move(op));
    }
    g.ops = std::move(kept);
  }

  for (const Op& op : g.ops) TRY(internal::CheckRuntimeTypes(g, op));
  return absl::OkStatus();
}

absl::StatusOr<std::string> SelfTestBytes(const runtime::HostTensor& t, const Tensor& want,
                                          absl::string_view role, size_t index) {
  runtime::DType dt;
  internal::RuntimeDType(want.elem, &dt);
  std::vector<int32_t> shape(want.shape.begin(), want.shape.end());
  if (t.dtype != dt || t.shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat("self-test ", role, " ", index, " ('", want.name,
                                                   "') does not match the model's dtype/shape ",
                                                   internal::DimsToString(want.shape)));
  }
  if (t.data.size() !=
      static_cast<size_t>(internal::NumElements(want.shape)) * runtime::DTypeSize(dt)) {
    return absl::InvalidArgumentError(
        absl::StrCat("self-test ", role, " ", index, " has ", t.data.size(), " bytes of data"));
  }
  return t.data;
}

absl::StatusOr<CompiledModel> CompileOnnxImpl(const onnx::ModelProto& model,
                                              const CompileOptions& options) {
  Compilation comp;
  TRY(Import(model, options, &comp));
  const Graph& g = comp.g;

  internal::EmitOptions eo;
  eo.name = !options.name.empty()           ? options.name
            : !model.graph().name().empty() ? model.graph().name()
                                            : "model";
  eo.producer = absl::StrCat("edgefleet compiler ", kVersion, " (onnx opset ", comp.opset, ")");
  if (!options.selftest_inputs.empty() || !options.selftest_outputs.empty()) {
    if (options.selftest_inputs.size() != g.inputs.size() ||
        options.selftest_outputs.size() != g.outputs.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("self-test vector has ", options.selftest_inputs.size(), " inputs and ",
                       options.selftest_outputs.size(), " outputs; the model has ", g.inputs.size(),
                       " and ", g.outputs.size(), " (state excluded)"));
    }
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      auto b = SelfTestBytes(options.selftest_inputs[k], g.tensors[g.inputs[k]], "input", k);
      if (!b.ok()) return b.status();
      eo.selftest_inputs.push_back(std::move(*b));
    }
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      auto b = SelfTestBytes(options.selftest_outputs[k], g.tensors[g.outputs[k]], "output", k);
      if (!b.ok()) return b.status();
      eo.selftest_outputs.push_back(std::move(*b));
    }
    eo.selftest_atol = options.selftest_atol;
    eo.selftest_rtol = options.selftest_rtol;
  }
  auto emitted = internal::EmitEfm(g, eo);
  if (!emitted.ok()) return emitted.status();

  CompiledModel result;
  result.efm = std::move(emitted->efm);
  CompileReport& r = result.report;
  r.arena_bytes = emitted->arena_bytes;
  r.unplanned_bytes = emitted->unplanned_bytes;
  r.constant_bytes = emitted->constant_bytes;
  r.macs = emitted->macs;
  r.source_opset = comp.opset;
  r.source_nodes = comp.source_nodes;
  r.ops = emitted->ops;
  r.folded_nodes = comp.folded;
  r.fused_nodes = comp.fused;
  r.state = std::move(comp.state);
  r.notes = std::move(comp.notes);
  return result;
}

}  // namespace

absl::StatusOr<CompiledModel> CompileOnnx(const onnx::ModelProto& model,
                                          const CompileOptions& options) {
  // libonnx and the standard library may throw (bad_alloc on absurd sizes); nothing escapes.
  try {
    return CompileOnnxImpl(model, options);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while compiling");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("unexpected error while compiling: ", e.what()));
  }
}

absl::StatusOr<CompiledModel> CompileOnnxBytes(const std::string& bytes,
                                               const CompileOptions& options) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return absl::InvalidArgumentError("not an ONNX model (protobuf parse failed)");
  }
  return CompileOnnx(model, options);
}

absl::StatusOr<CompiledModel> CompileOnnxFile(const std::string& path,
                                              const CompileOptions& options) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  if (!f.good() && !f.eof()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  CompileOptions opts = options;
  if (opts.name.empty()) {
    std::string stem = path;
    const size_t slash = stem.find_last_of('/');
    if (slash != std::string::npos) stem = stem.substr(slash + 1);
    const size_t dot = stem.rfind('.');
    if (dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
    opts.name = stem;
  }
  auto r = CompileOnnxBytes(ss.str(), opts);
  if (!r.ok())
    return absl::Status(r.status().code(), absl::StrCat(path, ": ", r.status().message()));
  return r;
}

std::vector<std::string> SupportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto& [name, entry] : internal::OpTable()) {
    if (entry.runtime) ops.push_back(name);
  }
  std::sort(ops.begin(), ops.end());
  return ops;
}

absl::StatusOr<runtime::HostTensor> TensorFromOnnxBytes(const std::string& tensor_proto_bytes) {
  onnx::TensorProto t;
  if (!t.ParseFromString(tensor_proto_bytes)) {
    return absl::InvalidArgumentError("not an ONNX TensorProto (protobuf parse failed)");
  }
  auto v = internal::HostValueFromProto(t);
  if (!v.ok()) return v.status();
  if (v->elem == internal::kDouble) v->elem = internal::kFloat;  // documented: double -> f32
  runtime::DType dt;
  if (!internal::RuntimeDType(v->elem, &dt)) {
    return absl::UnimplementedError(absl::StrCat("tensor '", t.name(), "' has element type ",
                                                 internal::ElemName(v->elem),
                                                 ", which the runtime does not support"));
  }
  runtime::HostTensor out;
  out.dtype = dt;
  for (int64_t d : v->shape) {
    if (d > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", t.name(), "' is too large"));
    }
    out.shape.push_back(static_cast<int32_t>(d));
  }
  auto bytes = internal::RuntimeBytes(*v, t.name());
  if (!bytes.ok()) return bytes.status();
  out.data = std::move(*bytes);
  return out;
}

}  // namespace edge::compiler
