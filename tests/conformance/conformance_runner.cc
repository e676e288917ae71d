// ONNX backend conformance runner: every test of Debian's libonnx-testdata
// (/usr/share/libonnx-testdata/data/{node,pytorch-converted,pytorch-operator,simple}) whose ops and
// graph I/O types this project supports is compiled to .efm (edge::compiler), run in the portable
// interpreter (optimised and reference kernels, twice each) and compared with the expected outputs
// (|got - want| <= atol + rtol * |want|, NaN == NaN, integers exact).
//
// Classification, per test (in the parent process):
//   skipped    an op outside SupportedOnnxOps() (subgraphs included), or a graph input/output that
//              is not a tensor of a type the runtime handles (float32; int64/int32/int16/uint8/bool
//              as i32; int8)
//   attempted  everything else; each attempted test runs in a forked child (so a crash or a hang
//              is one failed test, not a dead runner), at most --jobs at a time
//
// A test the compiler refuses because a parameter input (Reshape shape, Resize scales, Slice
// starts,
// ...) is not a compile-time constant is retried with those inputs turned into initializers holding
// the test's values; the outcome is appended to its failure reason ("[as initializers: passes]"),
// which shows whether the kernels behind it are right. The test still counts as failed.
//
// Every attempted test must pass unless it is listed, with its reason, in expected_failures.txt
// (`test_name<TAB>reason`). The exit status is 1 if a test fails and is not listed, if a listed
// test passes, or if a listed test is skipped or unknown (the file must stay honest).
//
// Not a place for performance measurements: the suite's tensors are tiny.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/compiler/compiler.h"
#include "edge/runtime/diagnostic.h"
#include "edge/runtime/host_tensor.h"
#include "edge/runtime/interpreter.h"
#include "edge/runtime/tensor.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#ifndef EDGE_CONFORMANCE_EXPECTED_FAILURES
#define EDGE_CONFORMANCE_EXPECTED_FAILURES "tests/conformance/expected_failures.txt"
#endif

namespace edge::conformance {
namespace {

namespace fs = std::filesystem;
using runtime::DType;
using runtime::HostTensor;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-5;
constexpr const char* kDefaultDataDir = "/usr/share/libonnx-testdata/data";
// `real/` holds only download pointers, no models.
constexpr const char* kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

enum class KernelMode { kOptimized, kReference, kBoth };

struct Options {
  std::string data_dir = kDefaultDataDir;
  std::string expected_path = EDGE_CONFORMANCE_EXPECTED_FAILURES;
  std::set<std::string> only;
  bool verbose = false;
  bool update_expected = false;
  bool fork = true;
  int jobs = 2;
  int timeout_s = 60;
  KernelMode kernels = KernelMode::kBoth;
  bool params_as_initializers = true;
};

enum class Outcome { kSkipped, kPassed, kFailed };

struct TestCase {
  std::string suite;
  std::string name;
  fs::path dir;
  std::set<std::string> ops;             // op types, "domain.Op" outside the default domain
  std::vector<std::string> input_names;  // graph inputs without an initializer, in graph order
  std::vector<std::string> output_names;
  Outcome outcome = Outcome::kSkipped;
  std::string reason;  // skip or failure reason (one line)
  std::string log;     // --verbose details
};

// One line, no tabs (the expected-failures file is tab separated).
std::string OneLine(std::string s, size_t max_len = 400) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max_len) {
    s.resize(max_len - 3);
    s += "...";
  }
  return s;
}

std::string StatusText(const absl::Status& status) {
  std::string text = absl::StatusCodeToString(status.code());
  if (!status.message().empty()) {
    text += ": ";
    text.append(status.message().data(), status.message().size());
  }
  return text;
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "f32";
    case DType::kI8:
      return "i8";
    case DType::kI32:
      return "i32";
  }
  return "?";
}

std::string ShapeText(const int32_t* dims, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i > 0) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string ShapeText(const std::vector<int32_t>& dims) {
  return ShapeText(dims.data(), static_cast<int>(dims.size()));
}

std::string ShapeText(const runtime::Shape& shape) { return ShapeText(shape.dims, shape.rank); }

// Multi-index of flat element `flat` in C order, e.g. "[0,2,1]".
std::string IndexText(int64_t flat, const runtime::Shape& shape) {
  std::vector<int32_t> idx(static_cast<size_t>(shape.rank));
  for (int i = shape.rank - 1; i >= 0; --i) {
    const int32_t d = shape.dims[i] > 0 ? shape.dims[i] : 1;
    idx[static_cast<size_t>(i)] = static_cast<int32_t>(flat % d);
    flat /= d;
  }
  return ShapeText(idx);
}

std::string FloatText(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Classification (parent process)

void CollectOps(const onnx::GraphProto& graph, std::set<std::string>* ops) {
  for (const onnx::NodeProto& node : graph.node()) {
    const std::string& domain = node.domain();
    if (domain.empty() || domain == "ai.onnx") {
      ops->insert(node.op_type());
    } else {
      ops->insert(domain + "." + node.op_type());
    }
    for (const onnx::AttributeProto& attr : node.attribute()) {
      if (attr.has_g()) CollectOps(attr.g(), ops);
      for (const onnx::GraphProto& g : attr.graphs()) CollectOps(g, ops);
    }
  }
}

std::string LowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Empty if the runtime can take/produce values of this type, otherwise the type's name.
std::string UnsupportedType(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType:
      break;
    case onnx::TypeProto::kSequenceType:
      return "sequence";
    case onnx::TypeProto::kOptionalType:
      return "optional";
    case onnx::TypeProto::kMapType:
      return "map";
    case onnx::TypeProto::kSparseTensorType:
      return "sparse_tensor";
    default:
      return "unknown";
  }
  const int elem = type.tensor_type().elem_type();
  switch (elem) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::INT8:
      return "";
    default:
      break;
  }
  if (!onnx::TensorProto::DataType_IsValid(elem) || elem == onnx::TensorProto::UNDEFINED) {
    return "undefined";
  }
  return LowerCase(
      onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem)));
}

// Fills ops, input/output names and, for a skipped test, the reason. Returns false (with
// test->reason set) if the model cannot be read at all.
bool Classify(const std::set<std::string>& supported, TestCase* test) {
  std::string bytes;
  onnx::ModelProto model;
  if (!ReadFile(test->dir / "model.onnx", &bytes)) {
    test->reason = "cannot read model.onnx";
    return false;
  }
  try {
    if (!model.ParseFromString(bytes)) {
      test->reason = "model.onnx is not an ONNX ModelProto";
      return false;
    }
  } catch (const std::exception& e) {
    test->reason = std::string("parsing model.onnx: ") + e.what();
    return false;
  }
  const onnx::GraphProto& graph = model.graph();
  CollectOps(graph, &test->ops);

  std::set<std::string> initializers;
  for (const onnx::TensorProto& t : graph.initializer()) initializers.insert(t.name());
  for (const onnx::ValueInfoProto& vi : graph.input()) {
    if (initializers.count(vi.name()) == 0) test->input_names.push_back(vi.name());
  }
  for (const onnx::ValueInfoProto& vi : graph.output()) test->output_names.push_back(vi.name());

  std::vector<std::string> missing;
  for (const std::string& op : test->ops) {
    if (supported.count(op) == 0) missing.push_back(op);
  }
  if (!missing.empty()) {
    test->outcome = Outcome::kSkipped;
    test->reason = missing.size() == 1 ? "missing op " : "missing ops ";
    for (size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) test->reason += ", ";
      test->reason += missing[i];
    }
    return true;
  }
  auto check = [&](const onnx::ValueInfoProto& vi) {
    const std::string t = UnsupportedType(vi.type());
    if (t.empty()) return true;
    test->outcome = Outcome::kSkipped;
    test->reason = "unsupported type " + t + " (" + vi.name() + ")";
    return false;
  };
  for (const onnx::ValueInfoProto& vi : graph.input()) {
    if (initializers.count(vi.name()) == 0 && !check(vi)) return true;
  }
  for (const onnx::ValueInfoProto& vi : graph.output()) {
    if (!check(vi)) return true;
  }
  test->outcome = Outcome::kFailed;  // attempted; RunTest decides
  return true;
}

// ---------------------------------------------------------------------------------------------
// Running one test (child process, or in-process with --no-fork)

struct Named {
  std::string name;
  HostTensor tensor;
  std::string proto;  // the serialized onnx.TensorProto (for --params-as-initializers)
};

// Reads <set>/<prefix>_<k>.pb for k = 0, 1, ... and names each tensor: by the TensorProto's own
// name if it is one of `names`, else by position.
absl::Status ReadTensors(const fs::path& set, const char* prefix,
                         const std::vector<std::string>& names, std::vector<Named>* out) {
  for (size_t k = 0;; ++k) {
    const std::string file = std::string(prefix) + "_" + std::to_string(k) + ".pb";
    const fs::path path = set / file;
    if (!fs::exists(path)) break;
    std::string bytes;
    if (!ReadFile(path, &bytes)) return absl::NotFoundError("cannot read " + file);
    onnx::TensorProto proto;
    bool parsed = false;
    try {
      parsed = proto.ParseFromString(bytes);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(file + ": " + e.what());
    }
    if (!parsed) return absl::InvalidArgumentError(file + " is not a TensorProto");
    std::string name;
    if (!proto.name().empty() &&
        std::find(names.begin(), names.end(), proto.name()) != names.end()) {
      name = proto.name();
    } else if (k < names.size()) {
      name = names[k];
    } else {
      return absl::InvalidArgumentError(file + ": more test tensors than graph " + prefix + "s");
    }
    absl::StatusOr<HostTensor> tensor = compiler::TensorFromOnnxBytes(bytes);
    if (!tensor.ok()) {
      return absl::InvalidArgumentError(file + " (" + name + "): " + StatusText(tensor.status()));
    }
    out->push_back(Named{name, *std::move(tensor), std::move(bytes)});
  }
  return absl::OkStatus();
}

// A heap buffer whose data() is 16-byte aligned.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t size) : storage_(size + 16) {
    const uintptr_t p = reinterpret_cast<uintptr_t>(storage_.data());
    data_ = storage_.data() + ((16 - (p & 15)) & 15);
    size_ = size;
  }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  std::vector<uint8_t> storage_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

absl::Status CompareOutput(const std::string& name, const runtime::Tensor& got,
                           const HostTensor& want) {
  if (got.dtype != want.dtype) {
    return absl::DataLossError("output " + name + ": dtype " + DTypeName(got.dtype) +
                               ", expected " + DTypeName(want.dtype));
  }
  bool same_shape = static_cast<size_t>(got.shape.rank) == want.shape.size();
  for (int i = 0; same_shape && i < got.shape.rank; ++i) {
    same_shape = got.shape.dims[i] == want.shape[static_cast<size_t>(i)];
  }
  if (!same_shape) {
    return absl::DataLossError("output " + name + ": shape " + ShapeText(got.shape) +
                               ", expected " + ShapeText(want.shape));
  }
  const int64_t n = got.elements();
  if (n == 0) return absl::OkStatus();
  if (got.data == nullptr) return absl::DataLossError("output " + name + ": null data");
  int64_t bad = 0;
  int64_t worst = -1;
  double worst_excess = -1;
  double worst_got = 0;
  double worst_want = 0;
  for (int64_t i = 0; i < n; ++i) {
    double g = 0;
    double w = 0;
    bool ok = false;
    double excess = 0;
    switch (got.dtype) {
      case DType::kF32: {
        g = got.f32()[i];
        w = want.f32()[i];
        if (std::isnan(w)) {
          ok = std::isnan(g);
          excess = ok ? 0 : INFINITY;
        } else if (std::isinf(w) || std::isinf(g) || std::isnan(g)) {
          ok = g == w;
          excess = ok ? 0 : INFINITY;
        } else {
          const double diff = std::fabs(g - w);
          const double tol = kAtol + kRtol * std::fabs(w);
          ok = diff <= tol;
          excess = diff - tol;
        }
        break;
      }
      case DType::kI32:
        g = got.i32()[i];
        w = reinterpret_cast<const int32_t*>(want.data.data())[i];
        ok = g == w;
        excess = std::fabs(g - w);
        break;
      case DType::kI8:
        g = got.i8()[i];
        w = reinterpret_cast<const int8_t*>(want.data.data())[i];
        ok = g == w;
        excess = std::fabs(g - w);
        break;
    }
    if (!ok) {
      ++bad;
      if (excess > worst_excess) {
        worst_excess = excess;
        worst = i;
        worst_got = g;
        worst_want = w;
      }
    }
  }
  if (bad == 0) return absl::OkStatus();
  return absl::DataLossError("output " + name + " " + ShapeText(got.shape) + ": " +
                             std::to_string(bad) + "/" + std::to_string(n) +
                             " elements differ; worst at " + IndexText(worst, got.shape) +
                             ": got " + FloatText(worst_got) + ", want " + FloatText(worst_want));
}

// Reports the current stage (for crash and timeout messages) and detail lines (for --verbose).
struct Progress {
  std::function<void(const std::string&)> stage;
  std::function<void(const std::string&)> detail;
};

absl::Status RunOnce(AlignedBuffer& model, bool reference,
                     const std::vector<std::vector<Named>>& inputs,
                     const std::vector<std::vector<Named>>& outputs, const Progress& progress) {
  const std::string kernels = reference ? "reference kernels" : "optimised kernels";
  runtime::Diagnostic diag;
  progress.stage("RequiredArenaBytes (" + kernels + ")");
  Result<size_t> arena_bytes =
      runtime::Interpreter::RequiredArenaBytes(model.data(), model.size(), &diag);
  if (!arena_bytes.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(arena_bytes.status().code()),
                        std::string("RequiredArenaBytes: ") + diag.text());
  }
  AlignedBuffer arena(*arena_bytes);
  std::memset(arena.data(), 0xFF, arena.size());  // NaN everywhere: uninitialised reads show
  progress.stage("Interpreter::Create (" + kernels + ")");
  runtime::InterpreterOptions options;
  options.reference_kernels = reference;
  Result<runtime::Interpreter> created = runtime::Interpreter::Create(
      model.data(), model.size(), arena.data(), arena.size(), options, &diag);
  if (!created.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(created.status().code()),
                        std::string("Interpreter::Create: ") + diag.text());
  }
  runtime::Interpreter interp = *std::move(created);

  for (size_t set = 0; set < inputs.size(); ++set) {
    for (int round = 0; round < 2; ++round) {
      const std::string when = std::string(round == 0 ? "" : "second Invoke: ") +
                               (inputs.size() > 1 ? "data set " + std::to_string(set) + ": " : "");
      std::vector<bool> fed(interp.num_inputs(), false);
      for (const Named& in : inputs[set]) {
        const int idx = interp.FindInput(in.name.c_str());
        if (idx < 0) {
          if (round == 0) progress.detail("input " + in.name + " is not a runtime input (folded)");
          continue;
        }
        runtime::Tensor t = interp.input(static_cast<size_t>(idx));
        if (t.dtype != in.tensor.dtype) {
          return absl::InvalidArgumentError(when + "input " + in.name + ": runtime dtype " +
                                            DTypeName(t.dtype) + ", test data " +
                                            DTypeName(in.tensor.dtype));
        }
        bool same_shape = static_cast<size_t>(t.shape.rank) == in.tensor.shape.size();
        for (int i = 0; same_shape && i < t.shape.rank; ++i) {
          same_shape = t.shape.dims[i] == in.tensor.shape[static_cast<size_t>(i)];
        }
        if (!same_shape || t.bytes() != in.tensor.data.size()) {
          return absl::InvalidArgumentError(when + "input " + in.name + ": runtime shape " +
                                            ShapeText(t.shape) + ", test data " +
                                            ShapeText(in.tensor.shape));
        }
        if (t.bytes() > 0) std::memcpy(t.data, in.tensor.data.data(), t.bytes());
        fed[static_cast<size_t>(idx)] = true;
      }
      for (size_t i = 0; i < fed.size(); ++i) {
        if (!fed[i]) {
          return absl::InvalidArgumentError(
              when + "runtime input " + std::string(interp.input_name(i)) + " has no test data");
        }
      }
      progress.stage("Invoke (" + kernels + ")");
      diag.Clear();
      const Status st = interp.Invoke(&diag);
      if (!st.ok()) {
        return absl::Status(static_cast<absl::StatusCode>(st.code()),
                            when + "Invoke: " + diag.text());
      }
      progress.stage("compare (" + kernels + ")");
      for (const Named& out : outputs[set]) {
        const int idx = interp.FindOutput(out.name.c_str());
        if (idx < 0) return absl::NotFoundError(when + "output " + out.name + " not produced");
        absl::Status cmp =
            CompareOutput(out.name, interp.output(static_cast<size_t>(idx)), out.tensor);
        if (!cmp.ok()) {
          return absl::Status(cmp.code(),
                              when + std::string(cmp.message().data(), cmp.message().size()));
        }
      }
    }
  }
  return absl::OkStatus();
}

// Compiles `model_bytes` and runs every data set (optimised and/or reference kernels).
absl::Status CompileAndRun(const TestCase& test, const std::string& model_bytes,
                           const Options& opts, const std::vector<std::vector<Named>>& inputs,
                           const std::vector<std::vector<Named>>& outputs,
                           const Progress& progress) {
  progress.stage("compile");
  compiler::CompileOptions copts;
  copts.name = test.name;
  copts.detect_state = false;
  absl::StatusOr<compiler::CompiledModel> compiled = compiler::CompileOnnxBytes(model_bytes, copts);
  if (!compiled.ok()) {
    return absl::Status(compiled.status().code(), "compile: " + StatusText(compiled.status()));
  }
  progress.detail("compiled: " + std::to_string(compiled->efm.size()) + " bytes, " +
                  std::to_string(compiled->report.ops) + " ops, arena " +
                  std::to_string(compiled->report.arena_bytes) + " bytes, " +
                  std::to_string(compiled->report.folded_nodes) + " folded, " +
                  std::to_string(compiled->report.fused_nodes) + " fused");
  for (const std::string& note : compiled->report.notes) progress.detail("note: " + note);
  AlignedBuffer model(compiled->efm.size());
  if (!compiled->efm.empty()) std::memcpy(model.data(), compiled->efm.data(), model.size());

  for (const bool reference : {false, true}) {
    if (reference && opts.kernels == KernelMode::kOptimized) continue;
    if (!reference && opts.kernels == KernelMode::kReference) continue;
    absl::Status st = RunOnce(model, reference, inputs, outputs, progress);
    if (!st.ok()) {
      const std::string prefix = opts.kernels == KernelMode::kBoth
                                     ? (reference ? "[reference kernels] " : "[optimised kernels] ")
                                     : "";
      return absl::Status(st.code(),
                          prefix + std::string(st.message().data(), st.message().size()));
    }
  }
  return absl::OkStatus();
}

// The tensor name in the compiler's "input 1 (shape, 'shape') must be a compile-time constant"
// message, or "" if `reason` is not that error.
std::string ConstantInputName(const std::string& reason) {
  const size_t end = reason.find("') must be a compile-time constant");
  if (end == std::string::npos) return "";
  const size_t begin = reason.rfind('\'', end - 1);
  if (begin == std::string::npos) return "";
  return reason.substr(begin + 1, end - begin - 1);
}

// Turns the run-time inputs the compiler wants as constants into initializers holding the test's
// values (one at a time, as the compiler names them), then compiles and runs again.
absl::Status RetryWithInitializers(const TestCase& test, const std::string& model_bytes,
                                   const Options& opts,
                                   const std::vector<std::vector<Named>>& inputs,
                                   const std::vector<std::vector<Named>>& outputs,
                                   const Progress& progress) {
  onnx::ModelProto model;
  if (!model.ParseFromString(model_bytes)) return absl::InvalidArgumentError("reparse failed");
  std::set<std::string> done;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string bytes;
    model.SerializeToString(&bytes);
    absl::Status st = CompileAndRun(test, bytes, opts, inputs, outputs, progress);
    if (st.ok()) return st;
    const std::string name =
        ConstantInputName(std::string(st.message().data(), st.message().size()));
    if (name.empty() || done.count(name) > 0) return st;
    const Named* data = nullptr;
    for (const Named& in : inputs[0]) {
      if (in.name == name) data = &in;
    }
    if (data == nullptr) return st;  // not a graph input the test feeds
    onnx::TensorProto* init = model.mutable_graph()->add_initializer();
    if (!init->ParseFromString(data->proto)) return absl::InvalidArgumentError("bad test tensor");
    init->set_name(name);
    done.insert(name);
    progress.detail("parameter " + name + " made an initializer");
  }
  return absl::InternalError("too many parameter inputs");
}

// OK if the test passes; otherwise the failure (message = the reason).
absl::Status RunTest(const TestCase& test, const Options& opts, const Progress& progress) {
  progress.stage("reading test data");
  std::vector<fs::path> sets;
  for (const fs::directory_entry& e : fs::directory_iterator(test.dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(e.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return absl::NotFoundError("no test_data_set_*");
  std::vector<std::vector<Named>> inputs(sets.size());
  std::vector<std::vector<Named>> outputs(sets.size());
  for (size_t s = 0; s < sets.size(); ++s) {
    absl::Status st = ReadTensors(sets[s], "input", test.input_names, &inputs[s]);
    if (st.ok()) st = ReadTensors(sets[s], "output", test.output_names, &outputs[s]);
    if (!st.ok()) return absl::Status(st.code(), "test data: " + StatusText(st));
    if (outputs[s].empty()) return absl::NotFoundError("test data: no output_*.pb");
  }

  progress.stage("reading model");
  std::string model_bytes;
  if (!ReadFile(test.dir / "model.onnx", &model_bytes)) {
    return absl::NotFoundError("cannot read model.onnx");
  }
  absl::Status strict = CompileAndRun(test, model_bytes, opts, inputs, outputs, progress);
  if (strict.ok() || !opts.params_as_initializers || sets.size() != 1) return strict;
  const std::string reason(strict.message().data(), strict.message().size());
  if (ConstantInputName(reason).empty()) return strict;
  // Informational second pass (as in onnx2c_conformance.md): the test still counts as failed,
  // but its reason says whether the kernels get it right once the parameters are constants.
  progress.stage("parameters as initializers");
  absl::Status second = RetryWithInitializers(test, model_bytes, opts, inputs, outputs, progress);
  return absl::Status(strict.code(), reason + " [as initializers: " +
                                         (second.ok() ? std::string("passes")
                                                      : std::string(second.message().data(),
                                                                    second.message().size())) +
                                         "]");
}

absl::Status RunTestCatching(const TestCase& test, const Options& opts, const Progress& progress) {
  try {
    return RunTest(test, opts, progress);
  } catch (const std::exception& e) {
    return absl::InternalError(std::string("exception: ") + e.what());
  } catch (...) {
    return absl::InternalError("unknown exception");
  }
}

// ---------------------------------------------------------------------------------------------
// Forked execution. Child -> parent protocol, one record per line:
//   S <stage>      the stage the child is entering
//   D <text>       a detail line (--verbose)
//   P              passed
//   F <reason>     failed

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void ChildMain(int fd, const TestCase& test, const Options& opts) {
  Progress progress;
  progress.stage = [fd](const std::string& s) { WriteAll(fd, "S " + OneLine(s) + "\n"); };
  progress.detail = [fd](const std::string& s) { WriteAll(fd, "D " + OneLine(s, 2000) + "\n"); };
  const absl::Status st = RunTestCatching(test, opts, progress);
  WriteAll(fd, st.ok()
                   ? std::string("P\n")
                   : "F " + OneLine(std::string(st.message().data(), st.message().size())) + "\n");
  ::close(fd);
  ::_exit(0);  // no static destructors / atexit handlers in the child
}

struct Running {
  pid_t pid = -1;
  int fd = -1;
  TestCase* test = nullptr;
  std::string buf;
  std::chrono::steady_clock::time_point start;
  bool timed_out = false;
  bool done = false;
};

void FinishChild(Running& r, const Options& opts) {
  ::close(r.fd);
  int wstatus = 0;
  while (::waitpid(r.pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  std::string stage = "start";
  bool have_result = false;
  std::istringstream lines(r.buf);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const std::string rest = line.size() > 2 ? line.substr(2) : "";
    switch (line[0]) {
      case 'S':
        stage = rest;
        break;
      case 'D':
        r.test->log += "    " + rest + "\n";
        break;
      case 'P':
        r.test->outcome = Outcome::kPassed;
        have_result = true;
        break;
      case 'F':
        r.test->outcome = Outcome::kFailed;
        r.test->reason = rest;
        have_result = true;
        break;
      default:
        break;
    }
  }
  if (have_result && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return;
  r.test->outcome = Outcome::kFailed;
  if (r.timed_out) {
    r.test->reason = "timed out after " + std::to_string(opts.timeout_s) + " s during " + stage;
  } else if (WIFSIGNALED(wstatus)) {
    const int sig = WTERMSIG(wstatus);
    const char* name = sigabbrev_np(sig);
    r.test->reason =
        std::string("crashed (SIG") + (name != nullptr ? name : "?") + ") during " + stage;
  } else {
    r.test->reason = "child exited with status " +
                     std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) + " during " +
                     stage;
  }
}

void RunForked(const std::vector<TestCase*>& todo, const Options& opts) {
  size_t next = 0;
  std::vector<Running> running;
  while (next < todo.size() || !running.empty()) {
    while (running.size() < static_cast<size_t>(opts.jobs) && next < todo.size()) {
      TestCase* test = todo[next++];
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) {
        test->outcome = Outcome::kFailed;
        test->reason = std::string("pipe: ") + std::strerror(errno);
        continue;
      }
      std::fflush(stdout);
      std::fflush(stderr);
      const pid_t pid = ::fork();
      if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        test->outcome = Outcome::kFailed;
        test->reason = std::string("fork: ") + std::strerror(errno);
        continue;
      }
      if (pid == 0) {
        ::close(fds[0]);
        ChildMain(fds[1], *test, opts);
      }
      ::close(fds[1]);
      Running r;
      r.pid = pid;
      r.fd = fds[0];
      r.test = test;
      r.start = std::chrono::steady_clock::now();
      running.push_back(std::move(r));
    }
    if (running.empty()) continue;
    std::vector<pollfd> pfds;
    for (const Running& r : running) pfds.push_back(pollfd{r.fd, POLLIN, 0});
    const int ready = ::poll(pfds.data(), pfds.size(), 200);
    if (ready < 0 && errno != EINTR) {
      std::perror("poll");
      std::exit(2);
    }
    for (size_t i = 0; i < running.size(); ++i) {
      Running& r = running[i];
      if (ready > 0 && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char chunk[65536];
        const ssize_t n = ::read(r.fd, chunk, sizeof(chunk));
        if (n > 0) {
          r.buf.append(chunk, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          FinishChild(r, opts);
          r.done = true;
          continue;
        }
      }
      if (!r.timed_out &&
          std::chrono::steady_clock::now() - r.start > std::chrono::seconds(opts.timeout_s)) {
        ::kill(r.pid, SIGKILL);  // the pipe then reports EOF
        r.timed_out = true;
      }
    }
    running.erase(
        std::remove_if(running.begin(), running.end(), [](const Running& r) { return r.done; }),
        running.end());
  }
}

void RunInProcess(const std::vector<TestCase*>& todo, const Options& opts) {
  for (TestCase* test : todo) {
    Progress progress;
    progress.stage = [&](const std::string& s) {
      if (opts.verbose) std::fprintf(stderr, "  %s: %s\n", test->name.c_str(), s.c_str());
    };
    progress.detail = [&](const std::string& s) { test->log += "    " + OneLine(s, 2000) + "\n"; };
    const absl::Status st = RunTestCatching(*test, opts, progress);
    if (st.ok()) {
      test->outcome = Outcome::kPassed;
    } else {
      test->outcome = Outcome::kFailed;
      test->reason = OneLine(std::string(st.message().data(), st.message().size()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Expected failures

struct ExpectedFile {
  std::vector<std::string> header;             // leading comment lines, kept by --update-expected
  std::map<std::string, std::string> entries;  // test -> reason
};

bool ReadExpected(const std::string& path, ExpectedFile* out, std::string* error) {
  std::ifstream in(path);
  if (!in) return true;  // a missing file lists nothing
  std::string line;
  int lineno = 0;
  bool in_header = true;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') {
      if (in_header) out->header.push_back(line);
      continue;
    }
    in_header = false;
    const size_t tab = line.find('\t');
    const std::string name = line.substr(0, tab);
    const std::string reason = tab == std::string::npos ? "" : line.substr(tab + 1);
    if (name.empty() || name.find(' ') != std::string::npos || reason.empty()) {
      *error = path + ":" + std::to_string(lineno) + ": expected `test_name<TAB>reason`";
      return false;
    }
    if (!out->entries.emplace(name, reason).second) {
      *error = path + ":" + std::to_string(lineno) + ": " + name + " is listed twice";
      return false;
    }
  }
  return true;
}

bool WriteExpected(const std::string& path, const ExpectedFile& file) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return false;
  for (const std::string& h : file.header) out << h << "\n";
  for (const auto& [name, reason] : file.entries) out << name << "\t" << reason << "\n";
  return static_cast<bool>(out);
}

const char* kDefaultHeader[] = {
    "# ONNX backend conformance: attempted tests that are known to fail, one per line:",
    "# test_name<TAB>reason. The conformance test fails if an attempted test fails and is not",
    "# listed here, or if a listed test passes or is skipped. Regenerate (then review) with",
    "#   edge.conformance_runner --update-expected",
    "",
};

// ---------------------------------------------------------------------------------------------
// main

void Usage() {
  std::fprintf(stderr,
               "usage: edge.conformance_runner [--data-dir DIR] [--expected FILE] [--only a,b]\n"
               "         [--verbose] [--update-expected] [--jobs N] [--timeout S] [--no-fork]\n"
               "         [--kernels optimised|reference|both] [--no-params-as-initializers]\n");
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool ParseArgs(int argc, char** argv, Options* opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take = [&](std::string* v) {
      if (has_value) {
        *v = value;
        return true;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        return false;
      }
      *v = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--data-dir") {
      if (!take(&opts->data_dir)) return false;
    } else if (arg == "--expected") {
      if (!take(&opts->expected_path)) return false;
    } else if (arg == "--only") {
      if (!take(&v)) return false;
      for (const std::string& name : Split(v, ',')) opts->only.insert(name);
    } else if (arg == "--verbose" || arg == "-v") {
      opts->verbose = true;
    } else if (arg == "--update-expected") {
      opts->update_expected = true;
    } else if (arg == "--no-params-as-initializers") {
      opts->params_as_initializers = false;
    } else if (arg == "--no-fork") {
      opts->fork = false;
    } else if (arg == "--jobs" || arg == "-j") {
      if (!take(&v)) return false;
      opts->jobs = std::max(1, std::atoi(v.c_str()));
    } else if (arg == "--timeout") {
      if (!take(&v)) return false;
      opts->timeout_s = std::max(1, std::atoi(v.c_str()));
    } else if (arg == "--kernels") {
      if (!take(&v)) return false;
      if (v == "optimised" || v == "optimized") {
        opts->kernels = KernelMode::kOptimized;
      } else if (v == "reference") {
        opts->kernels = KernelMode::kReference;
      } else if (v == "both") {
        opts->kernels = KernelMode::kBoth;
      } else {
        std::fprintf(stderr, "--kernels: optimised, reference or both\n");
        return false;
      }
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      Usage();
      return false;
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  Options opts;
  if (!ParseArgs(argc, argv, &opts)) return 2;
  const auto t0 = std::chrono::steady_clock::now();

  std::error_code ec;
  if (!fs::is_directory(opts.data_dir, ec)) {
    std::printf(
        "conformance: FAILED: ONNX test data directory %s not found. Install Debian's "
        "libonnx-testdata (scripts/install-deps.sh installs it) or pass --data-dir.\n",
        opts.data_dir.c_str());
    return 1;
  }
  ExpectedFile expected;
  std::string error;
  if (!ReadExpected(opts.expected_path, &expected, &error)) {
    std::printf("conformance: FAILED: %s\n", error.c_str());
    return 1;
  }

  // Tests.
  std::vector<TestCase> tests;
  for (const char* suite : kSuites) {
    const fs::path dir = fs::path(opts.data_dir) / suite;
    if (!fs::is_directory(dir, ec)) {
      std::printf("conformance: FAILED: %s is missing (incomplete libonnx-testdata?)\n",
                  dir.c_str());
      return 1;
    }
    std::vector<fs::path> dirs;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path& d : dirs) {
      TestCase t;
      t.suite = suite;
      t.name = d.filename().string();
      t.dir = d;
      tests.push_back(std::move(t));
    }
  }
  std::set<std::string> all_names;
  for (const TestCase& t : tests) all_names.insert(t.name);
  for (const std::string& name : opts.only) {
    if (all_names.count(name) == 0) {
      std::printf("conformance: FAILED: --only: no test named %s\n", name.c_str());
      return 1;
    }
  }
  auto selected = [&](const std::string& name) {
    return opts.only.empty() || opts.only.count(name) > 0;
  };

  // Classification. Building the ONNX schema registry once here spares every child the cost.
  (void)onnx::OpSchemaRegistry::Schema("Add", 13, "");
  std::set<std::string> supported;
  for (const std::string& op : compiler::SupportedOnnxOps()) supported.insert(op);
  std::vector<TestCase*> todo;
  for (TestCase& t : tests) {
    if (!selected(t.name)) continue;
    if (!Classify(supported, &t)) {
      t.outcome = Outcome::kFailed;  // unreadable model: attempted and failed
      continue;
    }
    if (t.outcome != Outcome::kSkipped) todo.push_back(&t);
  }

  if (opts.fork) {
    RunForked(todo, opts);
  } else {
    RunInProcess(todo, opts);
  }

  // Report.
  int total = 0;
  int attempted = 0;
  int passed = 0;
  int skipped = 0;
  int xfail = 0;
  int unexpected_fail = 0;
  int unexpected_pass = 0;
  int stale = 0;
  std::map<std::string, std::vector<std::string>> skips;  // reason -> tests
  struct OpRow {
    int tests = 0, attempted = 0, passed = 0, failed = 0, xfail = 0, skipped = 0;
  };
  std::map<std::string, OpRow> rows;
  for (const TestCase& t : tests) {
    if (!selected(t.name)) continue;
    ++total;
    const auto listed = expected.entries.find(t.name);
    const bool is_listed = listed != expected.entries.end();
    bool is_xfail = false;
    switch (t.outcome) {
      case Outcome::kSkipped:
        ++skipped;
        skips[t.reason].push_back(t.name);
        if (is_listed) {
          ++stale;
          std::printf("STALE  %s  listed in %s but skipped (%s)\n", t.name.c_str(),
                      fs::path(opts.expected_path).filename().c_str(), t.reason.c_str());
        }
        break;
      case Outcome::kPassed:
        ++attempted;
        ++passed;
        if (is_listed) {
          ++unexpected_pass;
          std::printf("XPASS  %s  passes but is listed in %s (%s): remove it\n", t.name.c_str(),
                      fs::path(opts.expected_path).filename().c_str(), listed->second.c_str());
        } else if (opts.verbose) {
          std::printf("PASS   %s\n", t.name.c_str());
        }
        break;
      case Outcome::kFailed:
        ++attempted;
        if (is_listed) {
          ++xfail;
          is_xfail = true;
          std::printf("XFAIL  %s  %s\n", t.name.c_str(), t.reason.c_str());
        } else {
          ++unexpected_fail;
          std::printf("FAIL   %s  %s\n", t.name.c_str(), t.reason.c_str());
        }
        break;
    }
    if (opts.verbose && !t.log.empty()) std::printf("%s", t.log.c_str());
    for (const std::string& op : t.ops) {
      OpRow& row = rows[op];
      ++row.tests;
      if (t.outcome == Outcome::kSkipped) {
        ++row.skipped;
      } else {
        ++row.attempted;
        if (t.outcome == Outcome::kPassed) ++row.passed;
        if (t.outcome == Outcome::kFailed) ++(is_xfail ? row.xfail : row.failed);
      }
    }
  }
  // Listed tests that do not exist (typos, or tests removed from the data).
  for (const auto& [name, reason] : expected.entries) {
    if (all_names.count(name) == 0 && opts.only.empty()) {
      ++stale;
      std::printf("STALE  %s  listed in %s but there is no such test\n", name.c_str(),
                  fs::path(opts.expected_path).filename().c_str());
    }
  }

  std::printf("\nskipped (%d):\n", skipped);
  for (const auto& [reason, names] : skips) {
    std::printf("  %s (%zu):", reason.c_str(), names.size());
    for (const std::string& n : names) std::printf(" %s", n.c_str());
    std::printf("\n");
  }

  std::printf("\n%-34s %3s %6s %9s %6s %6s %6s %7s\n", "op", "sup", "tests", "attempted", "passed",
              "xfail", "FAIL", "skipped");
  for (const auto& [op, row] : rows) {
    std::printf("%-34s %3s %6d %9d %6d %6d %6d %7d\n", op.c_str(),
                supported.count(op) > 0 ? "yes" : "-", row.tests, row.attempted, row.passed,
                row.xfail, row.failed, row.skipped);
  }
  if (opts.only.empty()) {
    std::string untested;
    for (const std::string& op : supported) {
      if (rows.count(op) == 0) untested += " " + op;
    }
    if (!untested.empty()) std::printf("supported ops with no test:%s\n", untested.c_str());
  }

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "\nconformance: passed %d / attempted %d / total %d (skipped %d, expected failures %d) "
      "in %.1f s\n",
      passed, attempted, total, skipped, xfail, secs);

  if (opts.update_expected) {
    ExpectedFile updated;
    updated.header = expected.header;
    if (updated.header.empty()) {
      for (const char* h : kDefaultHeader) updated.header.push_back(h);
    }
    for (const auto& [name, reason] : expected.entries) {
      if (!selected(name) && all_names.count(name) > 0) updated.entries[name] = reason;
    }
    for (const TestCase& t : tests) {
      if (selected(t.name) && t.outcome == Outcome::kFailed) updated.entries[t.name] = t.reason;
    }
    if (!WriteExpected(opts.expected_path, updated)) {
      std::printf("conformance: cannot write %s\n", opts.expected_path.c_str());
      return 1;
    }
    std::printf("conformance: wrote %zu entries to %s (review the reasons before committing)\n",
                updated.entries.size(), opts.expected_path.c_str());
    return 0;
  }

  if (unexpected_fail + unexpected_pass + stale > 0) {
    std::printf(
        "conformance: FAILED: %d unexpected failure(s), %d unexpected pass(es), %d stale "
        "entr%s in %s\n",
        unexpected_fail, unexpected_pass, stale, stale == 1 ? "y" : "ies",
        opts.expected_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace edge::conformance

int main(int argc, char** argv) { return edge::conformance::Main(argc, argv); }
