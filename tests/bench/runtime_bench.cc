// runtime_bench: lib/runtime speed on the example models (examples/models/*.onnx, compiled here
// with the real compiler): ns per Invoke, multiply-adds per second and arena bytes, for the
// optimised kernels and for the naive reference loops (InterpreterOptions::reference_kernels),
// both measured in this run on one pinned core; the speed-up is printed as a ratio.
//
//   runtime_bench [--models DIR] [--seconds S] [--only NAME,...]
//
// A benchmark, not a test: exits 0 whatever the figures are, non-zero only if a model fails to
// compile or run.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "edge/compiler/compiler.h"
#include "edge/runtime/interpreter.h"

namespace {

using edge::runtime::Interpreter;

// 64-byte aligned (the compiler puts large constants on cache lines relative to the file start).
struct alignas(64) Block {
  uint8_t b[64];
};

struct Loaded {
  std::vector<Block> model;
  std::vector<Block> arena;
  size_t size = 0;
};

struct Target {
  const char* model;
  const char* what;
  double max_ns;         // the target per Invoke (0: none)
  double min_gmacs;      // the target in G multiply-adds/s (0: none)
  double realtime_hz;    // samples/s the model must keep up with (0: n/a)
  int samples_per_call;  // samples consumed per Invoke (for the real-time factor)
};

constexpr Target kTargets[] = {
    {"iir1", "one-pole IIR (scalar, state)", 0, 0, 0, 0},
    {"biquad", "biquad (rank-0 state indexing)", 0, 0, 0, 0},
    {"resampler", "IMU->EEG resampler 20x6 -> 80x6", 0, 0, 0, 0},
    {"mlp", "MLP 784-128-64-10 (dense)", 4000, 30, 0, 0},
    {"cnn", "MNIST-style CNN (2-D conv)", 60000, 5, 0, 0},
    {"tcn", "streaming dilated Conv1d stack, 64-sample frames", 0, 0, 48000, 64},
    {"gru", "GRU 8->16, 16 steps", 0, 0, 0, 0},
};

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Minimum ns per Invoke over several repetitions of about `seconds / reps` each.
double TimeInvoke(Interpreter& interp, double seconds) {
  // Calibrate the batch so one repetition takes ~seconds/7.
  int batch = 1;
  for (;;) {
    const double t0 = NowSeconds();
    for (int i = 0; i < batch; ++i) (void)interp.Invoke();
    const double dt = NowSeconds() - t0;
    if (dt > seconds / 70 || batch > (1 << 26)) break;
    batch *= 2;
  }
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {
    const double t0 = NowSeconds();
    for (int i = 0; i < batch; ++i) (void)interp.Invoke();
    best = std::min(best, (NowSeconds() - t0) / batch);
  }
  return best * 1e9;
}

bool Load(const std::string& efm, bool reference, Loaded* l, Interpreter** out,
          std::vector<Interpreter>* keep) {
  l->size = efm.size();
  l->model.resize(efm.size() / 64 + 1);
  std::memcpy(l->model.data(), efm.data(), efm.size());
  edge::runtime::Diagnostic diag;
  auto need = Interpreter::RequiredArenaBytes(l->model.data(), l->size, &diag);
  if (!need.ok()) {
    std::fprintf(stderr, "runtime_bench: %s\n", diag.text());
    return false;
  }
  l->arena.resize(*need / 64 + 1);
  edge::runtime::InterpreterOptions o;
  o.reference_kernels = reference;
  auto interp = Interpreter::Create(l->model.data(), l->size, l->arena.data(), *need, o, &diag);
  if (!interp.ok()) {
    std::fprintf(stderr, "runtime_bench: %s\n", diag.text());
    return false;
  }
  keep->push_back(std::move(*interp));
  *out = &keep->back();
  return true;
}

void FillInputs(Interpreter& interp) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t i = 0; i < interp.num_inputs(); ++i) {
    const edge::runtime::Tensor t = interp.input(i);
    if (t.dtype != edge::runtime::DType::kF32) {
      std::memset(t.data, 0, t.bytes());
      continue;
    }
    for (int64_t e = 0; e < t.elements(); ++e) t.f32()[e] = u(rng);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = EDGE_SOURCE_DIR "/examples/models";
  double seconds = 0.5;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--models" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = absl::StrSplit(argv[++i], ',');
    } else {
      std::fprintf(stderr, "usage: runtime_bench [--models DIR] [--seconds S] [--only NAME,...]\n");
      return 2;
    }
  }
  // One core, as the targets are stated.
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  const bool pinned = sched_setaffinity(0, sizeof(set), &set) == 0;

  std::printf("runtime_bench: lib/runtime on the example models (%s, %s)\n", dir.c_str(),
              pinned ? "pinned to CPU 0" : "not pinned");
  std::printf("baseline = the same models through the naive reference loops, same run\n\n");
  std::printf("%-10s %12s %10s %12s %12s %9s %10s  %s\n", "model", "MACs/call", "arena B",
              "ns/call", "ref ns/call", "speed-up", "GMAC/s", "target");
  int failures = 0;
  for (const Target& t : kTargets) {
    if (!only.empty() && std::find(only.begin(), only.end(), t.model) == only.end()) continue;
    const std::string path = dir + "/" + t.model + ".onnx";
    if (!std::filesystem::exists(path)) {
      std::printf("%-10s (missing %s)\n", t.model, path.c_str());
      continue;
    }
    auto compiled = edge::compiler::CompileOnnxFile(path, {});
    if (!compiled.ok()) {
      std::fprintf(stderr, "runtime_bench: %s: %s\n", path.c_str(),
                   std::string(compiled.status().message()).c_str());
      ++failures;
      continue;
    }
    std::vector<Interpreter> keep;
    keep.reserve(2);
    Loaded lo, lr;
    Interpreter* opt = nullptr;
    Interpreter* ref = nullptr;
    if (!Load(compiled->efm, false, &lo, &opt, &keep) ||
        !Load(compiled->efm, true, &lr, &ref, &keep)) {
      ++failures;
      continue;
    }
    FillInputs(*opt);
    FillInputs(*ref);
    const double ns = TimeInvoke(*opt, seconds);
    const double ref_ns = TimeInvoke(*ref, seconds);
    const double macs = static_cast<double>(opt->macs());
    const double gmacs = macs > 0 ? macs / ns : 0;  // MAC per ns = G MAC/s
    std::string target;
    char buf[160];
    if (t.max_ns > 0) {
      std::snprintf(buf, sizeof(buf), "<= %.0f ns: %s; >= %.0f GMAC/s: %s", t.max_ns,
                    ns <= t.max_ns ? "met" : "NOT met", t.min_gmacs,
                    gmacs >= t.min_gmacs ? "met" : "NOT met");
      target = buf;
    } else if (t.realtime_hz > 0) {
      const double rt = (t.samples_per_call / t.realtime_hz) * 1e9 / ns;
      std::snprintf(buf, sizeof(buf), "%.0fx real time at %.0f kHz (>= 10x: %s)", rt,
                    t.realtime_hz / 1000, rt >= 10 ? "met" : "NOT met");
      target = buf;
    }
    std::printf("%-10s %12.0f %10zu %12.1f %12.1f %8.2fx %10.2f  %s\n", t.model, macs,
                opt->arena_used(), ns, ref_ns, ref_ns / ns, gmacs, target.c_str());
    std::printf("%-10s   %s\n", "", t.what);
  }
  return failures == 0 ? 0 : 1;
}
