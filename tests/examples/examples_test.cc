// End-to-end over the example models (examples/models, driven by manifest.json): every model is
// compiled from its .onnx with the real compiler, run in the real interpreter step by step with
// the reference inputs, and every output and the state after every step must equal what torch
// computed within the manifest's atol (1e-5). Also: the reference kernels, Reset, state
// export/import into a fresh interpreter, the embedded self-test, and the tcn streaming property.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_replace.h"
#include "edge/compiler/compiler.h"
#include "edge/runtime/describe.h"
#include "edge/runtime/host_tensor.h"
#include "edge/runtime/interpreter.h"
#include "gtest/gtest.h"

namespace edge {
namespace {

using runtime::DType;
using runtime::HostTensor;
using runtime::Interpreter;
using runtime::InterpreterOptions;
using runtime::Tensor;

const std::string kExamplesDir = EDGE_SOURCE_DIR "/examples/models";

// ------------------------------------------------------------------------------ tiny JSON reader
// Enough JSON for manifest.json: objects, arrays, strings (with the common escapes), numbers,
// true/false/null. Errors are reported through `error` (the first one wins).

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  const Json& operator[](const std::string& key) const {
    static const Json kNull;
    for (const auto& [k, v] : object) {
      if (k == key) return v;
    }
    return kNull;
  }
  bool Has(const std::string& key) const {
    return std::any_of(object.begin(), object.end(),
                       [&](const auto& kv) { return kv.first == key; });
  }
  int Int() const { return static_cast<int>(number); }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  std::optional<Json> Parse() {
    Json v = Value();
    Skip();
    if (pos_ != s_.size()) Error("trailing characters");
    if (!error_.empty()) return std::nullopt;
    return v;
  }
  const std::string& error() const { return error_; }

 private:
  void Error(const std::string& what) {
    if (error_.empty()) error_ = what + " at offset " + std::to_string(pos_);
    pos_ = s_.size();
  }
  void Skip() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr) ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Word(const char* w) {
    const size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    pos_ += n;
    return true;
  }
  std::string String() {
    std::string out;
    if (!Eat('"')) {
      Error("expected a string");
      return out;
    }
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        const char e = s_[pos_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'u': {
            // Only what json.dump writes for ASCII control characters; others become '?'.
            const std::string hex = s_.substr(pos_, 4);
            pos_ += 4;
            const long code = std::strtol(hex.c_str(), nullptr, 16);
            c = code < 0x80 ? static_cast<char>(code) : '?';
            break;
          }
          default:
            c = e;  // '"', '\\', '/'
        }
      }
      out += c;
    }
    if (pos_ >= s_.size()) {
      Error("unterminated string");
      return out;
    }
    ++pos_;
    return out;
  }
  Json Value() {
    Json v;
    Skip();
    if (pos_ >= s_.size()) {
      Error("unexpected end");
      return v;
    }
    const char c = s_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::kObject;
      ++pos_;
      if (Eat('}')) return v;
      do {
        std::string key = String();
        if (!Eat(':')) Error("expected ':'");
        Json member = Value();
        v.object.emplace_back(std::move(key), std::move(member));
      } while (Eat(','));
      if (!Eat('}')) Error("expected '}'");
    } else if (c == '[') {
      v.kind = Json::Kind::kArray;
      ++pos_;
      if (Eat(']')) return v;
      do {
        v.array.push_back(Value());
      } while (Eat(','));
      if (!Eat(']')) Error("expected ']'");
    } else if (c == '"') {
      v.kind = Json::Kind::kString;
      v.string = String();
    } else if (Word("true")) {
      v.kind = Json::Kind::kBool;
      v.boolean = true;
    } else if (Word("false")) {
      v.kind = Json::Kind::kBool;
    } else if (Word("null")) {
    } else {
      const char* begin = s_.c_str() + pos_;
      char* end = nullptr;
      v.kind = Json::Kind::kNumber;
      v.number = std::strtod(begin, &end);
      if (end == begin) Error("unexpected character");
      pos_ += static_cast<size_t>(end - begin);
    }
    return v;
  }

  const std::string& s_;
  size_t pos_ = 0;
  std::string error_;
};

// ------------------------------------------------------------------------------ the manifest

struct TensorSpec {
  std::string name;
  std::vector<int32_t> shape;
  std::string files;  // pattern with {step}, relative to kExamplesDir
  bool is_state = false;
};

struct StateSpec {
  std::string input, output;
  std::vector<int32_t> shape;
  std::string init;
  bool init_is_zero = false;
  bool init_in_onnx = false;
};

struct ModelSpec {
  std::string name;
  std::string onnx;
  int steps = 0;
  double atol = 1e-5;
  std::vector<TensorSpec> inputs;
  std::vector<StateSpec> state;
  std::vector<TensorSpec> outputs;
  std::string whole_signal_input, whole_signal_output_y;  // tcn only
};

struct Manifest {
  std::vector<ModelSpec> models;
  std::string error;  // non-empty if the manifest could not be read
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int32_t> Shape(const Json& j) {
  std::vector<int32_t> out;
  for (const Json& d : j.array) out.push_back(static_cast<int32_t>(d.number));
  return out;
}

Manifest LoadManifest() {
  Manifest m;
  const std::string text = ReadFile(kExamplesDir + "/manifest.json");
  if (text.empty()) {
    m.error = "cannot read " + kExamplesDir + "/manifest.json";
    return m;
  }
  JsonParser parser(text);
  std::optional<Json> root = parser.Parse();
  if (!root) {
    m.error = "manifest.json: " + parser.error();
    return m;
  }
  for (const Json& jm : (*root)["models"].array) {
    ModelSpec s;
    s.name = jm["name"].string;
    s.onnx = jm["onnx"].string;
    s.steps = jm["steps"].Int();
    if (jm.Has("atol")) s.atol = jm["atol"].number;
    for (const Json& ji : jm["inputs"].array) {
      s.inputs.push_back({ji["name"].string, Shape(ji["shape"]), ji["files"].string, false});
    }
    for (const Json& js : jm["state"].array) {
      s.state.push_back({js["input"].string, js["output"].string, Shape(js["shape"]),
                         js["init"].string, js["init_is_zero"].boolean,
                         js["init_in_onnx"].boolean});
    }
    for (const Json& jo : jm["outputs"].array) {
      s.outputs.push_back(
          {jo["name"].string, Shape(jo["shape"]), jo["files"].string, jo["is_state"].boolean});
    }
    if (jm.Has("whole_signal")) {
      s.whole_signal_input = jm["whole_signal"]["input"].string;
      s.whole_signal_output_y = jm["whole_signal"]["output_y"].string;
    }
    m.models.push_back(std::move(s));
  }
  if (m.models.empty()) m.error = "manifest.json lists no models";
  return m;
}

const Manifest& GetManifest() {
  static const Manifest* manifest = new Manifest(LoadManifest());
  return *manifest;
}

const ModelSpec* FindSpec(const std::string& name) {
  for (const ModelSpec& s : GetManifest().models) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const ModelSpec& s : GetManifest().models) names.push_back(s.name);
  return names;
}

std::string StepFile(const std::string& pattern, int step) {
  return kExamplesDir + "/" + absl::StrReplaceAll(pattern, {{"{step}", std::to_string(step)}});
}

// Reads a reference .npy (f32); aborts the test on failure via the caller's ASSERT.
absl::StatusOr<HostTensor> LoadNpy(const std::string& path) { return runtime::ReadNpy(path); }

// ------------------------------------------------------------------------------ running models

// A 16-byte aligned heap block.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t size)
      : size_(size),
        data_(static_cast<uint8_t*>(std::aligned_alloc(16, (size + 15) / 16 * 16 + 16))) {}
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_;
};

// One model loaded into its own aligned copy and arena.
struct Loaded {
  std::unique_ptr<AlignedBuffer> model;
  std::unique_ptr<AlignedBuffer> arena;
  std::optional<Interpreter> interp;
  std::string error;
};

std::unique_ptr<Loaded> Load(const std::string& efm, InterpreterOptions options = {}) {
  auto l = std::make_unique<Loaded>();
  l->model = std::make_unique<AlignedBuffer>(efm.size());
  std::memcpy(l->model->data(), efm.data(), efm.size());
  runtime::Diagnostic diag;
  Result<size_t> need = Interpreter::RequiredArenaBytes(l->model->data(), efm.size(), &diag);
  if (!need.ok()) {
    l->error = std::string("RequiredArenaBytes: ") + diag.text();
    return l;
  }
  l->arena = std::make_unique<AlignedBuffer>(*need);
  Result<Interpreter> interp =
      Interpreter::Create(l->model->data(), efm.size(), l->arena->data(), *need, options, &diag);
  if (!interp.ok()) {
    l->error = std::string("Interpreter::Create: ") + StatusCodeName(interp.status().code()) +
               ": " + diag.text();
    return l;
  }
  l->interp.emplace(std::move(*interp));
  return l;
}

// Compiles each example once per process (the tests share the result).
const absl::StatusOr<compiler::CompiledModel>& Compiled(const ModelSpec& spec) {
  static auto* cache = new std::map<std::string, absl::StatusOr<compiler::CompiledModel>>();
  auto it = cache->find(spec.name);
  if (it == cache->end()) {
    compiler::CompileOptions options;
    it =
        cache
            ->emplace(spec.name, compiler::CompileOnnxFile(kExamplesDir + "/" + spec.onnx, options))
            .first;
  }
  return it->second;
}

std::string ShapeText(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<int32_t> ShapeOf(const Tensor& t) {
  return std::vector<int32_t>(t.shape.dims, t.shape.dims + t.shape.rank);
}

// Max |got - want|; -1 (and a message in *why) if dtype or shape differ.
double MaxAbsError(const Tensor& got, const HostTensor& want, std::string* why) {
  if (got.dtype != DType::kF32 || want.dtype != DType::kF32) {
    *why = "dtype is not f32";
    return -1;
  }
  if (ShapeOf(got) != want.shape) {
    *why = "shape " + ShapeText(ShapeOf(got)) + ", expected " + ShapeText(want.shape);
    return -1;
  }
  double worst = 0;
  for (int64_t i = 0; i < want.elements(); ++i) {
    const double d = std::fabs(static_cast<double>(got.f32()[i]) - want.f32()[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as NaN
  }
  return worst;
}

bool BitEqual(const Tensor& a, const Tensor& b) {
  return a.dtype == b.dtype && a.shape == b.shape && std::memcmp(a.data, b.data, a.bytes()) == 0;
}

// Writes step `k`'s reference inputs into the interpreter's inputs.
void FeedStep(const ModelSpec& spec, Interpreter& interp, int k) {
  ASSERT_EQ(interp.num_inputs(), spec.inputs.size()) << spec.name;
  for (const TensorSpec& in : spec.inputs) {
    const int i = interp.FindInput(in.name.c_str());
    ASSERT_GE(i, 0) << spec.name << ": compiled model has no input '" << in.name << "'";
    absl::StatusOr<HostTensor> t = LoadNpy(StepFile(in.files, k));
    ASSERT_TRUE(t.ok()) << t.status();
    const Tensor dst = interp.input(static_cast<size_t>(i));
    ASSERT_EQ(ShapeOf(dst), t->shape) << spec.name << " input " << in.name;
    ASSERT_EQ(dst.bytes(), t->data.size());
    std::memcpy(dst.data, t->data.data(), t->data.size());
  }
}

// Sets every state from its <state_in>_init.npy.
void SetInitialState(const ModelSpec& spec, Interpreter& interp) {
  ASSERT_EQ(interp.num_states(), spec.state.size()) << spec.name;
  for (const StateSpec& st : spec.state) {
    const int s = interp.FindState(st.input.c_str());
    ASSERT_GE(s, 0) << spec.name << ": compiled model has no state '" << st.input << "'";
    absl::StatusOr<HostTensor> init = LoadNpy(kExamplesDir + "/" + st.init);
    ASSERT_TRUE(init.ok()) << init.status();
    const Tensor dst = interp.state(static_cast<size_t>(s));
    ASSERT_EQ(dst.bytes(), init->data.size()) << spec.name << " state " << st.input;
    std::memcpy(dst.data, init->data.data(), init->data.size());
  }
}

// The state index whose output is `output_name`, or -1.
int StateByOutput(const ModelSpec& spec, const Interpreter& interp,
                  const std::string& output_name) {
  for (const StateSpec& st : spec.state) {
    if (st.output == output_name) return interp.FindState(st.input.c_str());
  }
  return -1;
}

// Compares every output of step k (graph outputs, and every state output through the state API)
// with torch; returns the worst error and records failures.
double CheckStep(const ModelSpec& spec, const Interpreter& interp, int k, const char* what) {
  double worst = 0;
  for (const TensorSpec& out : spec.outputs) {
    absl::StatusOr<HostTensor> want = LoadNpy(StepFile(out.files, k));
    EXPECT_TRUE(want.ok()) << want.status();
    if (!want.ok()) continue;
    std::vector<std::pair<std::string, Tensor>> got;
    const int o = interp.FindOutput(out.name.c_str());
    if (o >= 0) got.emplace_back("output", interp.output(static_cast<size_t>(o)));
    if (out.is_state) {
      const int s = StateByOutput(spec, interp, out.name);
      EXPECT_GE(s, 0) << spec.name << ": no state produces '" << out.name << "'";
      if (s >= 0) got.emplace_back("state", interp.state(static_cast<size_t>(s)));
    } else {
      EXPECT_GE(o, 0) << spec.name << ": compiled model has no output '" << out.name << "'";
    }
    for (const auto& [kind, t] : got) {
      std::string why;
      const double err = MaxAbsError(t, *want, &why);
      EXPECT_GE(err, 0) << spec.name << " (" << what << ") step " << k << " " << kind << " "
                        << out.name << ": " << why;
      EXPECT_LE(err, spec.atol) << spec.name << " (" << what << ") step " << k << " " << kind << " "
                                << out.name << ": max abs error " << err;
      if (err > worst || std::isnan(err)) worst = err;
    }
  }
  return worst;
}

// Runs every step of `spec` from the manifest's initial state, checking each against torch.
double RunAllSteps(const ModelSpec& spec, Interpreter& interp, const char* what) {
  SetInitialState(spec, interp);
  double worst = 0;
  for (int k = 0; k < spec.steps; ++k) {
    FeedStep(spec, interp, k);
    if (::testing::Test::HasFatalFailure()) return -1;
    runtime::Diagnostic diag;
    const Status s = interp.Invoke(&diag);
    EXPECT_TRUE(s.ok()) << spec.name << " (" << what << ") step " << k << ": "
                        << StatusCodeName(s.code()) << ": " << diag.text();
    if (!s.ok()) return -1;
    worst = std::max(worst, CheckStep(spec, interp, k, what));
  }
  return worst;
}

// ------------------------------------------------------------------------------ tests

TEST(ExamplesManifest, ListsEveryExampleWithReferenceData) {
  const Manifest& m = GetManifest();
  ASSERT_TRUE(m.error.empty()) << m.error;
  EXPECT_EQ(m.models.size(), 7u);
  for (const ModelSpec& s : m.models) {
    EXPECT_FALSE(s.inputs.empty()) << s.name;
    EXPECT_FALSE(s.outputs.empty()) << s.name;
    EXPECT_LE(s.atol, 1e-5) << s.name;
    if (!s.state.empty()) {
      EXPECT_GE(s.steps, 4) << s.name << ": stateful models chain >= 4 calls";
    }
  }
  EXPECT_NE(FindSpec("tcn"), nullptr);
  ASSERT_NE(FindSpec("tcn"), nullptr);
  EXPECT_FALSE(FindSpec("tcn")->whole_signal_output_y.empty());
}

class ExampleModel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    spec_ = FindSpec(GetParam());
    ASSERT_NE(spec_, nullptr);
    const absl::StatusOr<compiler::CompiledModel>& c = Compiled(*spec_);
    ASSERT_TRUE(c.ok()) << spec_->name << ": " << c.status();
    efm_ = &c->efm;
  }

  std::unique_ptr<Loaded> LoadOrFail(InterpreterOptions options = {}) {
    std::unique_ptr<Loaded> l = Load(*efm_, options);
    EXPECT_TRUE(l->interp.has_value()) << spec_->name << ": " << l->error;
    return l;
  }

  const ModelSpec* spec_ = nullptr;
  const std::string* efm_ = nullptr;
};

TEST_P(ExampleModel, MatchesTorchAtEveryStepIncludingState) {
  std::unique_ptr<Loaded> l = LoadOrFail();
  ASSERT_TRUE(l->interp);
  ASSERT_EQ(l->interp->num_states(), spec_->state.size());
  const double worst = RunAllSteps(*spec_, *l->interp, "optimised kernels");
  std::printf(
      "[ example  ] %-10s %d step(s), max abs error vs torch %.3g (efm %zu bytes, arena %zu)\n",
      spec_->name.c_str(), spec_->steps, worst, efm_->size(), l->interp->arena_used());
  RecordProperty("max_abs_error", std::to_string(worst));
}

TEST_P(ExampleModel, IsNamedAfterItsOnnxFileAndDescribesItsInterface) {
  absl::StatusOr<runtime::EfmSummary> s = runtime::SummarizeEfm(*efm_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, spec_->name);
  EXPECT_EQ(s->format_version, runtime::kEfmFormatVersion);
  ASSERT_EQ(s->inputs.size(), spec_->inputs.size());
  for (size_t i = 0; i < s->inputs.size(); ++i) {
    EXPECT_EQ(s->inputs[i].name, spec_->inputs[i].name);
    EXPECT_EQ(s->inputs[i].shape, spec_->inputs[i].shape) << s->inputs[i].name;
  }
  ASSERT_EQ(s->state.size(), spec_->state.size());
  for (size_t i = 0; i < s->state.size(); ++i) {
    EXPECT_EQ(s->state[i].input.name, spec_->state[i].input);
    EXPECT_EQ(s->state[i].output, spec_->state[i].output);
    EXPECT_EQ(s->state[i].input.shape, spec_->state[i].shape) << s->state[i].input.name;
    EXPECT_EQ(s->state[i].has_initial, !spec_->state[i].init_is_zero) << s->state[i].input.name;
  }
  EXPECT_FALSE(s->has_self_test);
}

TEST_P(ExampleModel, ReferenceKernelsGiveTheSameAnswers) {
  InterpreterOptions ref;
  ref.reference_kernels = true;
  std::unique_ptr<Loaded> fast = LoadOrFail();
  std::unique_ptr<Loaded> slow = LoadOrFail(ref);
  ASSERT_TRUE(fast->interp && slow->interp);
  SetInitialState(*spec_, *fast->interp);
  SetInitialState(*spec_, *slow->interp);
  double worst_vs_torch = 0, worst_vs_fast = 0;
  for (int k = 0; k < spec_->steps; ++k) {
    FeedStep(*spec_, *fast->interp, k);
    FeedStep(*spec_, *slow->interp, k);
    ASSERT_FALSE(HasFatalFailure());
    runtime::Diagnostic diag;
    ASSERT_TRUE(fast->interp->Invoke(&diag).ok()) << diag.text();
    ASSERT_TRUE(slow->interp->Invoke(&diag).ok())
        << "reference kernels, step " << k << ": " << diag.text();
    worst_vs_torch =
        std::max(worst_vs_torch, CheckStep(*spec_, *slow->interp, k, "reference kernels"));
    for (size_t o = 0; o < slow->interp->num_outputs(); ++o) {
      const Tensor a = fast->interp->output(o);
      const HostTensor b = HostTensor::FromTensor(slow->interp->output(o));
      std::string why;
      const double err = MaxAbsError(a, b, &why);
      EXPECT_GE(err, 0) << why;
      EXPECT_LE(err, spec_->atol) << spec_->name << " step " << k << " output "
                                  << slow->interp->output_name(o)
                                  << ": optimised vs reference kernels differ by " << err;
      worst_vs_fast = std::max(worst_vs_fast, err);
    }
  }
  std::printf(
      "[ example  ] %-10s reference kernels: max abs error vs torch %.3g, vs optimised %.3g\n",
      spec_->name.c_str(), worst_vs_torch, worst_vs_fast);
}

TEST_P(ExampleModel, StartsFromTheManifestsInitialStateWithoutBeingTold) {
  // Zero for most models; resampler's [0.5, 0.25] comes from the ONNX initializer of state_in.
  std::unique_ptr<Loaded> l = LoadOrFail();
  ASSERT_TRUE(l->interp);
  for (const StateSpec& st : spec_->state) {
    const int s = l->interp->FindState(st.input.c_str());
    ASSERT_GE(s, 0) << st.input;
    absl::StatusOr<HostTensor> init = LoadNpy(kExamplesDir + "/" + st.init);
    ASSERT_TRUE(init.ok()) << init.status();
    std::string why;
    const double err = MaxAbsError(l->interp->state(static_cast<size_t>(s)), *init, &why);
    EXPECT_EQ(err, 0) << spec_->name << " state " << st.input << " after Create " << why
                      << (st.init_in_onnx ? " (the initial value is the ONNX initializer)" : "");
  }
}

TEST_P(ExampleModel, ResetReproducesStepZero) {
  std::unique_ptr<Loaded> l = LoadOrFail();
  ASSERT_TRUE(l->interp);
  Interpreter& interp = *l->interp;
  runtime::Diagnostic diag;
  FeedStep(*spec_, interp, 0);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(interp.Invoke(&diag).ok()) << diag.text();
  std::vector<HostTensor> first;
  for (size_t o = 0; o < interp.num_outputs(); ++o)
    first.push_back(HostTensor::FromTensor(interp.output(o)));
  for (int k = 1; k < spec_->steps; ++k) {
    FeedStep(*spec_, interp, k);
    ASSERT_TRUE(interp.Invoke(&diag).ok()) << diag.text();
  }
  interp.Reset();
  FeedStep(*spec_, interp, 0);
  ASSERT_TRUE(interp.Invoke(&diag).ok()) << diag.text();
  for (size_t o = 0; o < interp.num_outputs(); ++o) {
    EXPECT_EQ(HostTensor::FromTensor(interp.output(o)).data, first[o].data)
        << spec_->name << " output " << interp.output_name(o) << " after Reset";
  }
  CheckStep(*spec_, interp, 0, "after Reset");
}

TEST_P(ExampleModel, ExportedStateContinuesInAFreshInterpreter) {
  if (spec_->state.empty()) GTEST_SKIP() << spec_->name << " has no state";
  ASSERT_GE(spec_->steps, 3);
  std::unique_ptr<Loaded> a = LoadOrFail();
  std::unique_ptr<Loaded> b = LoadOrFail();
  ASSERT_TRUE(a->interp && b->interp);
  runtime::Diagnostic diag;
  SetInitialState(*spec_, *a->interp);
  for (int k = 0; k < 2; ++k) {
    FeedStep(*spec_, *a->interp, k);
    ASSERT_TRUE(a->interp->Invoke(&diag).ok()) << diag.text();
  }
  std::vector<uint8_t> blob(a->interp->state_export_bytes());
  ASSERT_GT(blob.size(), runtime::kStateHeaderBytes);
  const StatusWithSize exported = a->interp->ExportState(blob.data(), blob.size());
  ASSERT_TRUE(exported.ok());
  ASSERT_EQ(exported.size(), blob.size());
  EXPECT_EQ(a->interp->ExportState(blob.data(), blob.size() - 1).code(),
            StatusCode::kResourceExhausted);
  ASSERT_TRUE(b->interp->ImportState(blob.data(), blob.size(), &diag).ok()) << diag.text();
  for (int k = 2; k < spec_->steps; ++k) {
    FeedStep(*spec_, *a->interp, k);
    FeedStep(*spec_, *b->interp, k);
    ASSERT_TRUE(a->interp->Invoke(&diag).ok()) << diag.text();
    ASSERT_TRUE(b->interp->Invoke(&diag).ok()) << diag.text();
    for (size_t o = 0; o < a->interp->num_outputs(); ++o) {
      EXPECT_TRUE(BitEqual(a->interp->output(o), b->interp->output(o)))
          << spec_->name << " step " << k << " output " << a->interp->output_name(o);
    }
    for (size_t s = 0; s < a->interp->num_states(); ++s) {
      EXPECT_TRUE(BitEqual(a->interp->state(s), b->interp->state(s)))
          << spec_->name << " step " << k << " state " << a->interp->state_input_name(s);
    }
    CheckStep(*spec_, *b->interp, k, "imported state");
  }
  // A blob that is one byte short is refused.
  EXPECT_FALSE(b->interp->ImportState(blob.data(), blob.size() - 1, &diag).ok());
}

TEST_P(ExampleModel, EmbeddedSelfTestPassesAndACorruptedExpectationIsDataLoss) {
  std::unique_ptr<Loaded> plain = LoadOrFail();
  ASSERT_TRUE(plain->interp);
  runtime::Diagnostic diag;
  EXPECT_EQ(plain->interp->RunSelfTest(&diag).code(), StatusCode::kNotFound);

  // Step 0's inputs and outputs, in the compiled model's input/output order.
  const Interpreter& shape_of = *plain->interp;
  compiler::CompileOptions options;
  for (size_t i = 0; i < shape_of.num_inputs(); ++i) {
    const std::string name = shape_of.input_name(i);
    auto it = std::find_if(spec_->inputs.begin(), spec_->inputs.end(),
                           [&](const TensorSpec& t) { return t.name == name; });
    ASSERT_NE(it, spec_->inputs.end()) << name;
    absl::StatusOr<HostTensor> t = LoadNpy(StepFile(it->files, 0));
    ASSERT_TRUE(t.ok()) << t.status();
    options.selftest_inputs.push_back(std::move(*t));
  }
  for (size_t o = 0; o < shape_of.num_outputs(); ++o) {
    const std::string name = shape_of.output_name(o);
    auto it = std::find_if(spec_->outputs.begin(), spec_->outputs.end(),
                           [&](const TensorSpec& t) { return t.name == name; });
    ASSERT_NE(it, spec_->outputs.end()) << name;
    absl::StatusOr<HostTensor> t = LoadNpy(StepFile(it->files, 0));
    ASSERT_TRUE(t.ok()) << t.status();
    options.selftest_outputs.push_back(std::move(*t));
  }
  const std::string path = kExamplesDir + "/" + spec_->onnx;
  absl::StatusOr<compiler::CompiledModel> good = compiler::CompileOnnxFile(path, options);
  ASSERT_TRUE(good.ok()) << good.status();
  std::unique_ptr<Loaded> l = Load(good->efm);
  ASSERT_TRUE(l->interp) << l->error;
  const Status passed = l->interp->RunSelfTest(&diag);
  EXPECT_TRUE(passed.ok()) << spec_->name << ": " << StatusCodeName(passed.code()) << ": "
                           << diag.text();

  // The self-test Resets afterwards: a normal run still starts from the initial state.
  FeedStep(*spec_, *l->interp, 0);
  ASSERT_TRUE(l->interp->Invoke(&diag).ok()) << diag.text();
  CheckStep(*spec_, *l->interp, 0, "after RunSelfTest");

  // Off by 0.01 in one element of the last output: far outside atol 1e-5 / rtol 1e-3.
  HostTensor& victim = options.selftest_outputs.back();
  victim.f32()[victim.elements() / 2] +=
      0.01f + 0.01f * std::fabs(victim.f32()[victim.elements() / 2]);
  absl::StatusOr<compiler::CompiledModel> bad = compiler::CompileOnnxFile(path, options);
  ASSERT_TRUE(bad.ok()) << bad.status();
  std::unique_ptr<Loaded> lb = Load(bad->efm);
  ASSERT_TRUE(lb->interp) << lb->error;
  diag.Clear();
  EXPECT_EQ(lb->interp->RunSelfTest(&diag).code(), StatusCode::kDataLoss) << diag.text();
  EXPECT_FALSE(diag.empty());
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleModel, ::testing::ValuesIn(ModelNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ExampleModel);  // the manifest test says why

TEST(ExampleTcn, FrameByFrameEqualsTheWholeSignal) {
  const ModelSpec* spec = FindSpec("tcn");
  ASSERT_NE(spec, nullptr);
  const absl::StatusOr<compiler::CompiledModel>& c = Compiled(*spec);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<HostTensor> whole = LoadNpy(kExamplesDir + "/" + spec->whole_signal_output_y);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->shape.size(), 3u);
  const int channels = whole->shape[1], total = whole->shape[2];
  for (InterpreterOptions options : {InterpreterOptions{false}, InterpreterOptions{true}}) {
    std::unique_ptr<Loaded> l = Load(c->efm, options);
    ASSERT_TRUE(l->interp) << l->error;
    Interpreter& interp = *l->interp;
    const int y = interp.FindOutput("y");
    ASSERT_GE(y, 0);
    std::vector<float> streamed(static_cast<size_t>(channels) * total, NAN);
    int t0 = 0;
    for (int k = 0; k < spec->steps; ++k) {
      FeedStep(*spec, interp, k);
      runtime::Diagnostic diag;
      ASSERT_TRUE(interp.Invoke(&diag).ok()) << diag.text();
      const Tensor out = interp.output(static_cast<size_t>(y));
      ASSERT_EQ(out.shape.rank, 3);
      ASSERT_EQ(out.shape.dims[1], channels);
      const int frame = out.shape.dims[2];
      ASSERT_LE(t0 + frame, total);
      for (int ch = 0; ch < channels; ++ch) {
        for (int t = 0; t < frame; ++t) {
          streamed[static_cast<size_t>(ch) * total + t0 + t] = out.f32()[ch * frame + t];
        }
      }
      t0 += frame;
    }
    ASSERT_EQ(t0, total) << "the frames cover the whole signal";
    double worst = 0;
    for (size_t i = 0; i < streamed.size(); ++i) {
      const double d = std::fabs(static_cast<double>(streamed[i]) - whole->f32()[i]);
      if (!(d <= worst)) worst = d;
    }
    EXPECT_LE(worst, spec->atol) << (options.reference_kernels ? "reference" : "optimised")
                                 << " kernels: frame-by-frame vs whole signal";
    std::printf(
        "[ example  ] tcn        %s kernels: 4 frames vs whole signal, max abs error %.3g\n",
        options.reference_kernels ? "reference" : "optimised", worst);
  }
}

}  // namespace
}  // namespace edge
