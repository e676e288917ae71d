#include "model_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "edge/client/progress.h"
#include "edge/compiler/compiler.h"
#include "edge/runtime/describe.h"
#include "edge/runtime/host_tensor.h"
#include "edge/runtime/interpreter.h"

namespace edge::client {
namespace {

using runtime::HostTensor;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "edgectl: %s: %s\n", absl::StatusCodeToString(s.code()).c_str(),
               std::string(s.message()).c_str());
  return 1;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteAll(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

// A JSON string literal.
std::string Json(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool GetJson(const CLI::App& app) {
  const CLI::App* root = &app;
  while (root->get_parent() != nullptr) root = root->get_parent();
  const CLI::Option* o = root->get_option_no_throw("--json");
  return o != nullptr && o->as<bool>();
}

// ---------------------------------------------------------------------------- compile

struct CompileArgs {
  std::string input, output, name;
  std::vector<std::string> state, selftest, expect;
  bool no_fuse = false;
  bool no_detect = false;
  float atol = 1e-5f, rtol = 1e-3f;
};

// "[NAME=]FILE" -> (NAME, FILE).
std::pair<std::string, std::string> SplitNamed(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) return {"", arg};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

// Orders [NAME=]FILE arguments by `names` (the model's graph inputs or outputs). Unnamed files
// are taken in order.
absl::StatusOr<std::vector<HostTensor>> OrderTensors(const std::vector<std::string>& args,
                                                     const std::vector<std::string>& names,
                                                     const char* flag) {
  if (args.size() != names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": the model has ", names.size(), " (",
                                                   absl::StrJoin(names, ", "), "), got ",
                                                   args.size(), " file(s)"));
  }
  std::vector<HostTensor> out(names.size());
  std::vector<bool> seen(names.size(), false);
  for (size_t i = 0; i < args.size(); ++i) {
    auto [name, file] = SplitNamed(args[i]);
    size_t slot = i;
    if (!name.empty()) {
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, " ", name, ": no such tensor (have ",
                                                       absl::StrJoin(names, ", "), ")"));
      }
      slot = static_cast<size_t>(it - names.begin());
    }
    if (seen[slot])
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", names[slot], " given twice"));
    seen[slot] = true;
    absl::StatusOr<HostTensor> t = runtime::ReadNpy(file);
    if (!t.ok()) return t.status();
    out[slot] = std::move(*t);
  }
  return out;
}

int RunCompile(const CompileArgs& a, bool json) {
  compiler::CompileOptions o;
  o.name = a.name;
  if (o.name.empty()) {  // the file stem, as CompileOnnxFile would do
    std::string base = a.input.substr(a.input.find_last_of('/') + 1);
    o.name = base.substr(0, base.rfind('.'));
  }
  o.fuse = !a.no_fuse;
  o.detect_state = !a.no_detect;
  for (const std::string& s : a.state) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("--state ", s, ": expected INPUT=OUTPUT, e.g. --state h_in=h_out")));
    }
    o.state.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  if (a.selftest.empty() != a.expect.empty()) {
    return Fail(absl::InvalidArgumentError("--selftest and --expect go together"));
  }
  absl::StatusOr<std::string> onnx = ReadAll(a.input);
  if (!onnx.ok()) return Fail(onnx.status());
  absl::StatusOr<compiler::CompiledModel> model = compiler::CompileOnnxBytes(*onnx, o);
  if (!model.ok()) {
    return Fail(
        absl::Status(model.status().code(), absl::StrCat(a.input, ": ", model.status().message())));
  }
  if (!a.selftest.empty()) {
    // The self-test files are matched to the compiled model's inputs/outputs by name or order.
    absl::StatusOr<runtime::EfmSummary> s = runtime::SummarizeEfm(model->efm);
    if (!s.ok()) return Fail(s.status());
    std::vector<std::string> in_names, out_names;
    for (const auto& t : s->inputs) in_names.push_back(t.name);
    for (const auto& t : s->outputs) out_names.push_back(t.name);
    absl::StatusOr<std::vector<HostTensor>> ins = OrderTensors(a.selftest, in_names, "--selftest");
    if (!ins.ok()) return Fail(ins.status());
    absl::StatusOr<std::vector<HostTensor>> outs = OrderTensors(a.expect, out_names, "--expect");
    if (!outs.ok()) return Fail(outs.status());
    o.selftest_inputs = std::move(*ins);
    o.selftest_outputs = std::move(*outs);
    o.selftest_atol = a.atol;
    o.selftest_rtol = a.rtol;
    model = compiler::CompileOnnxBytes(*onnx, o);
    if (!model.ok()) return Fail(model.status());
    // Run it once here so a vector that does not match fails now, not on the node.
    std::vector<uint64_t> aligned(model->efm.size() / 8 + 2);
    std::memcpy(aligned.data(), model->efm.data(), model->efm.size());
    runtime::Diagnostic diag;
    Result<size_t> need =
        runtime::Interpreter::RequiredArenaBytes(aligned.data(), model->efm.size(), &diag);
    if (!need.ok()) return Fail(absl::InternalError(diag.text()));
    std::vector<uint64_t> arena(*need / 8 + 2);
    void* arena_p = arena.data();
    if (reinterpret_cast<uintptr_t>(arena_p) % 16 != 0)
      arena_p = reinterpret_cast<uint8_t*>(arena_p) + 8;
    Result<runtime::Interpreter> interp =
        runtime::Interpreter::Create(aligned.data(), model->efm.size(), arena_p, *need, {}, &diag);
    if (!interp.ok()) return Fail(absl::InternalError(diag.text()));
    if (!interp->RunSelfTest(&diag).ok()) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("the self-test vector does not pass on this machine: ", diag.text(),
                       " (check --expect, or loosen --selftest-atol/--selftest-rtol)")));
    }
  }
  std::string out = a.output;
  if (out.empty()) {  // MODEL with the extension of its file name replaced by .efm
    const size_t slash = a.input.find_last_of('/');
    const size_t dot = a.input.rfind('.');
    const bool has_ext =
        dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
    out = absl::StrCat(has_ext ? a.input.substr(0, dot) : a.input, ".efm");
  }
  if (absl::Status s = WriteAll(out, model->efm); !s.ok()) return Fail(s);
  const compiler::CompileReport& r = model->report;
  if (json) {
    std::vector<std::string> states;
    for (const auto& p : r.state) {
      states.push_back(
          absl::StrCat("{\"input\": ", Json(p.input), ", \"output\": ", Json(p.output), "}"));
    }
    std::printf(
        "{\"input\": %s, \"output\": %s, \"bytes\": %zu, \"source_opset\": %d, "
        "\"source_nodes\": %d, \"ops\": %d, \"folded_nodes\": %d, \"fused_nodes\": %d, "
        "\"arena_bytes\": %u, \"unplanned_bytes\": %llu, \"constant_bytes\": %llu, \"macs\": %llu, "
        "\"state\": [%s], \"self_test\": %s}\n",
        Json(a.input).c_str(), Json(out).c_str(), model->efm.size(), r.source_opset, r.source_nodes,
        r.ops, r.folded_nodes, r.fused_nodes, r.arena_bytes,
        static_cast<unsigned long long>(r.unplanned_bytes),
        static_cast<unsigned long long>(r.constant_bytes), static_cast<unsigned long long>(r.macs),
        absl::StrJoin(states, ", ").c_str(), a.selftest.empty() ? "false" : "true");
    return 0;
  }
  std::printf("compiled %s -> %s (%zu bytes)\n", a.input.c_str(), out.c_str(), model->efm.size());
  std::printf("  ops:    %d (from %d ONNX nodes, opset %d: %d folded, %d fused)\n", r.ops,
              r.source_nodes, r.source_opset, r.folded_nodes, r.fused_nodes);
  const double saved = r.unplanned_bytes > 0
                           ? 100.0 * (1.0 - static_cast<double>(r.arena_bytes) /
                                                static_cast<double>(r.unplanned_bytes))
                           : 0.0;
  std::printf("  arena:  %u bytes planned (all tensors without reuse: %llu bytes, %.0f%% saved)\n",
              r.arena_bytes, static_cast<unsigned long long>(r.unplanned_bytes), saved);
  std::printf("  consts: %llu bytes; %llu multiply-adds per call\n",
              static_cast<unsigned long long>(r.constant_bytes),
              static_cast<unsigned long long>(r.macs));
  for (const auto& p : r.state) {
    std::printf("  state:  %s -> %s %s\n", p.input.c_str(), p.output.c_str(),
                runtime::ShapeString(p.shape).c_str());
  }
  if (!a.selftest.empty()) std::printf("  self-test vector embedded (passes here)\n");
  for (const std::string& n : r.notes) std::printf("  note:   %s\n", n.c_str());
  return 0;
}

// ---------------------------------------------------------------------------- run

struct RunArgs {
  std::string model, out_dir;
  std::vector<std::string> inputs;
  int steps = 1;
  bool reference = false;
};

std::string ForStep(const std::string& pattern, int step) {
  return absl::StrReplaceAll(pattern, {{"{step}", std::to_string(step)}});
}

std::string FileSafe(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return s.empty() ? "unnamed" : s;
}

absl::Status Fill(const runtime::Tensor& t, const HostTensor& h, const std::string& what) {
  // Same dtype and same shape up to size-1 dims ((784,) fills [1, 784]; [3, 2] never fills [2, 3]).
  auto squeezed = [](std::vector<int32_t> dims) {
    dims.erase(std::remove(dims.begin(), dims.end(), 1), dims.end());
    return dims;
  };
  std::vector<int32_t> want(t.shape.dims, t.shape.dims + t.shape.rank);
  if (h.dtype != t.dtype || squeezed(want) != squeezed(h.shape)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": expected ", runtime::DTypeName(t.dtype), " ", runtime::ShapeString(want),
        ", the file holds ", runtime::DTypeName(h.dtype), " ", runtime::ShapeString(h.shape)));
  }
  if (!h.data.empty()) std::memcpy(t.data, h.data.data(), h.data.size());
  return absl::OkStatus();
}

int RunRun(const RunArgs& a, bool json) {
  absl::StatusOr<std::string> bytes = ReadAll(a.model);
  if (!bytes.ok()) return Fail(bytes.status());
  std::vector<uint64_t> aligned(bytes->size() / 8 + 2);
  void* model_p = aligned.data();
  if (reinterpret_cast<uintptr_t>(model_p) % 16 != 0)
    model_p = reinterpret_cast<uint8_t*>(model_p) + 8;
  std::memcpy(model_p, bytes->data(), bytes->size());
  runtime::Diagnostic diag;
  Result<size_t> need = runtime::Interpreter::RequiredArenaBytes(model_p, bytes->size(), &diag);
  if (!need.ok()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(a.model, ": ", diag.text())));
  }
  std::vector<uint64_t> arena(*need / 8 + 3);
  void* arena_p = arena.data();
  if (reinterpret_cast<uintptr_t>(arena_p) % 16 != 0)
    arena_p = reinterpret_cast<uint8_t*>(arena_p) + 8;
  runtime::InterpreterOptions io;
  io.reference_kernels = a.reference;
  Result<runtime::Interpreter> interp =
      runtime::Interpreter::Create(model_p, bytes->size(), arena_p, *need, io, &diag);
  if (!interp.ok())
    return Fail(absl::InvalidArgumentError(absl::StrCat(a.model, ": ", diag.text())));

  // Sort --input NAME=FILE into graph inputs (per step) and initial states (once).
  std::map<std::string, std::string> per_step;  // input name -> file pattern
  for (const std::string& arg : a.inputs) {
    auto [name, file] = SplitNamed(arg);
    if (name.empty()) {
      return Fail(
          absl::InvalidArgumentError(absl::StrCat("--input ", arg, ": expected NAME=FILE.npy")));
    }
    if (interp->FindInput(name.c_str()) >= 0) {
      per_step[name] = file;
    } else if (int s = interp->FindState(name.c_str()); s >= 0) {
      absl::StatusOr<HostTensor> t = runtime::ReadNpy(file);
      if (!t.ok()) return Fail(t.status());
      if (absl::Status st =
              Fill(interp->state(static_cast<size_t>(s)), *t, absl::StrCat("initial state ", name));
          !st.ok())
        return Fail(st);
    } else {
      std::vector<std::string> names;
      for (size_t i = 0; i < interp->num_inputs(); ++i) names.push_back(interp->input_name(i));
      for (size_t i = 0; i < interp->num_states(); ++i)
        names.push_back(interp->state_input_name(i));
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("--input ", name, ": the model has no input or state by that name (it has: ",
                       absl::StrJoin(names, ", "), ")")));
    }
  }
  for (size_t i = 0; i < interp->num_inputs(); ++i) {
    if (per_step.count(interp->input_name(i)) == 0) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("missing --input ", interp->input_name(i), "=FILE.npy")));
    }
  }
  if (a.steps < 1) return Fail(absl::InvalidArgumentError("--steps must be at least 1"));
  if (!a.out_dir.empty()) {
    mkdir(a.out_dir.c_str(), 0755);
    struct stat st;
    if (stat(a.out_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot create --out-dir ", a.out_dir)));
    }
  }
  const bool show_progress = !json && a.steps > 1 && isatty(STDERR_FILENO);
  double invoke_seconds = 0;
  std::vector<std::string> written;
  for (int step = 0; step < a.steps; ++step) {
    for (size_t i = 0; i < interp->num_inputs(); ++i) {
      const std::string name = interp->input_name(i);
      const std::string file = ForStep(per_step[name], step);
      absl::StatusOr<HostTensor> t = runtime::ReadNpy(file);
      if (!t.ok()) return Fail(t.status());
      if (absl::Status st =
              Fill(interp->input(i), *t, absl::StrCat("input ", name, " (", file, ")"));
          !st.ok())
        return Fail(st);
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!interp->Invoke(&diag).ok()) {
      return Fail(absl::InternalError(absl::StrCat("step ", step, ": ", diag.text())));
    }
    invoke_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a.out_dir.empty()) {
      auto save = [&](const std::string& name, const runtime::Tensor& t) -> absl::Status {
        const std::string path = absl::StrCat(a.out_dir, "/", FileSafe(name), "_", step, ".npy");
        absl::Status s = runtime::WriteNpy(path, HostTensor::FromTensor(t));
        if (s.ok()) written.push_back(path);
        return s;
      };
      for (size_t o = 0; o < interp->num_outputs(); ++o) {
        if (absl::Status s = save(interp->output_name(o), interp->output(o)); !s.ok())
          return Fail(s);
      }
      // The state after this step, under the ONNX graph output's name.
      for (size_t s = 0; s < interp->num_states(); ++s) {
        if (absl::Status st = save(interp->state_output_name(s), interp->state(s)); !st.ok())
          return Fail(st);
      }
    }
    if (show_progress) {
      std::fprintf(stderr, "\rstep %d/%d", step + 1, a.steps);
    }
  }
  if (show_progress) std::fprintf(stderr, "\n");
  const double us = invoke_seconds * 1e6 / a.steps;
  if (json) {
    std::vector<std::string> files;
    for (const auto& w : written) files.push_back(Json(w));
    std::printf("{\"model\": %s, \"steps\": %d, \"us_per_step\": %.3f, \"files\": [%s]}\n",
                Json(a.model).c_str(), a.steps, us, absl::StrJoin(files, ", ").c_str());
  } else {
    std::printf("ran %s: %d step(s), %.1f us per step%s\n", a.model.c_str(), a.steps, us,
                a.reference ? " (reference kernels)" : "");
    if (!a.out_dir.empty())
      std::printf("wrote %zu file(s) to %s\n", written.size(), a.out_dir.c_str());
  }
  return 0;
}

}  // namespace

int DescribeEfmFile(const std::string& path, const std::string& bytes, bool json) {
  absl::StatusOr<runtime::EfmSummary> s = runtime::SummarizeEfm(bytes);
  if (!s.ok())
    return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", s.status().message())));
  std::printf(
      "%s", json ? (runtime::EfmSummaryJson(*s) + "\n").c_str() : runtime::DescribeEfm(*s).c_str());
  return 0;
}

void AddModelCommands(CLI::App& app, int* exit_code) {
  auto c = std::make_shared<CompileArgs>();
  CLI::App* compile = app.add_subcommand(
      "compile", "compile an ONNX model into an .efm (fold, fuse, plan memory, find state pairs)");
  compile->add_option("MODEL", c->input, "model.onnx")->required()->check(CLI::ExistingFile);
  compile->add_option("-o,--output", c->output, "output .efm (default: MODEL with .efm)");
  compile->add_option("--name", c->name, "model name stored in the .efm (default: file stem)");
  compile->add_option("--state", c->state,
                      "state pair INPUT=OUTPUT (repeatable; *state_in*/*state_out* names are "
                      "paired automatically)");
  compile->add_flag("--no-detect-state", c->no_detect, "do not pair *state_in*/*state_out* names");
  compile->add_flag("--no-fuse", c->no_fuse, "keep BatchNorm and activations as separate ops");
  compile->add_option("--selftest", c->selftest,
                      "[INPUT=]FILE.npy: self-test input (repeatable, one per graph input)");
  compile->add_option("--expect", c->expect,
                      "[OUTPUT=]FILE.npy: expected self-test output (one per graph output)");
  compile->add_option("--selftest-atol", c->atol, "self-test absolute tolerance")
      ->capture_default_str();
  compile->add_option("--selftest-rtol", c->rtol, "self-test relative tolerance")
      ->capture_default_str();
  compile->fallthrough();  // global flags (--json) also after the subcommand
  compile->callback([c, compile, exit_code] { *exit_code = RunCompile(*c, GetJson(*compile)); });

  auto r = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand(
      "run", "run an .efm on this machine; state carries over from step to step");
  run->add_option("MODEL", r->model, "model.efm")->required()->check(CLI::ExistingFile);
  run->add_option("-i,--input", r->inputs,
                  "NAME=FILE.npy (repeatable). {step} in FILE becomes 0, 1, ...; a state input "
                  "given once sets the initial state");
  run->add_option("-n,--steps", r->steps, "number of calls")->capture_default_str();
  run->add_option("-d,--out-dir", r->out_dir,
                  "write every output of step k to DIR/<output>_<k>.npy (state outputs too)");
  run->add_flag("--reference", r->reference, "use the naive reference kernels");
  run->fallthrough();
  run->callback([r, run, exit_code] { *exit_code = RunRun(*r, GetJson(*run)); });
}

}  // namespace edge::client
