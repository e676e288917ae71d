// Runtime probe: runs the compiled example models (tests/fixtures/efm, embedded at build time) on
// the real Cortex-M4F build of lib/runtime (the same library, flags and newlib libm a firmware
// links), and reports what each needs.
//
// It runs under QEMU's Linux user-mode emulator (`qemu-arm`, Debian package qemu-user), so it has
// its own _start and talks to the host through two Linux syscalls (write, exit_group); it is not
// a firmware image. Nothing allocates: the arena and the state buffers are static.
// scripts/build-cortex-m4.sh runs it when qemu-arm is installed.
//
// For every model: Interpreter::RequiredArenaBytes, Create in a static arena of exactly that
// size, RunSelfTest (the model's embedded vector: step 0 of the example's torch reference) with
// the optimised and with the reference kernels, a few Invokes on generated inputs (outputs must be
// finite), and an ExportState/ImportState round trip (re-running a step from the imported state
// must give bit-identical outputs and state). Per model it prints the model and arena bytes, the
// self-test results and the stack the model used (painted-stack high-water mark); at the end the
// deepest stack. Exit status 0 iff every check of every model passed.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "edge/runtime/diagnostic.h"
#include "edge/runtime/interpreter.h"
#include "edge/runtime/tensor.h"
#include "edge/status/result.h"
#include "edge/status/status.h"
#include "embedded_models.h"

namespace edge::runtime::probe {
namespace {

// --- Linux ARM EABI syscalls (qemu-arm user mode) ----------------------------------------------
long SysCall3(long nr, long a0, long a1, long a2) {
  register long r0 __asm__("r0") = a0;
  register long r1 __asm__("r1") = a1;
  register long r2 __asm__("r2") = a2;
  register long r7 __asm__("r7") = nr;
  __asm__ volatile("svc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

void Put(const char* s) {
  SysCall3(4 /* write */, 1, reinterpret_cast<long>(s), static_cast<long>(std::strlen(s)));
}

void PutU(unsigned long v) {
  char buf[24];
  char* p = buf + sizeof buf - 1;
  *p = '\0';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  Put(p);
}

// --- Probe -------------------------------------------------------------------------------------
constexpr size_t kArenaBytes = 128 * 1024;  // cnn, the largest example, needs about 80 KB
alignas(16) uint8_t g_arena[kArenaBytes];

constexpr size_t kStateBytes = 4096;
alignas(8) uint8_t g_state_before[kStateBytes];  // exported before the replayed step
alignas(8) uint8_t g_state_after[kStateBytes];   // exported after it, first run
alignas(8) uint8_t g_state_replay[kStateBytes];  // exported after it, replay

constexpr int kWarmupInvokes = 3;

struct ModelResult {
  size_t arena_bytes = 0;
  bool self_test = false;
  bool self_test_reference = false;
  bool invokes = false;
  bool round_trip = false;
  size_t state_bytes = 0;
  size_t stack_bytes = 0;
  bool ok() const { return self_test && self_test_reference && invokes && round_trip; }
};

void PutFailure(const char* model, const char* what, const Status& status, const Diagnostic& diag) {
  Put("runtime_probe: FAIL: ");
  Put(model);
  Put(": ");
  Put(what);
  Put(": ");
  Put(status.str());
  if (!diag.empty()) {
    Put(": ");
    Put(diag.text());
  }
  Put("\n");
}

// Fills every f32 graph input with a deterministic sequence in [-1, 1) (other dtypes: zeros).
void FillInputs(const Interpreter& interp, uint32_t seed) {
  uint32_t x = 0x9e3779b9u * (seed + 1u);
  for (size_t i = 0; i < interp.num_inputs(); ++i) {
    const Tensor t = interp.input(i);
    if (t.dtype != DType::kF32) {
      std::memset(t.data, 0, t.bytes());
      continue;
    }
    float* p = t.f32();
    for (int64_t e = 0; e < t.elements(); ++e) {
      x = x * 1664525u + 1013904223u;
      p[e] = static_cast<float>(static_cast<int32_t>(x >> 8) - (1 << 23)) /
             static_cast<float>(1 << 23);
    }
  }
}

bool OutputsFinite(const Interpreter& interp) {
  for (size_t o = 0; o < interp.num_outputs(); ++o) {
    const Tensor t = interp.output(o);
    if (t.dtype != DType::kF32) continue;
    for (int64_t e = 0; e < t.elements(); ++e) {
      if (!__builtin_isfinite(t.f32()[e])) return false;
    }
  }
  return true;
}

uint32_t HashOutputs(const Interpreter& interp) {  // FNV-1a over every output's bytes
  uint32_t h = 2166136261u;
  for (size_t o = 0; o < interp.num_outputs(); ++o) {
    const Tensor t = interp.output(o);
    const auto* p = static_cast<const uint8_t*>(t.data);
    for (size_t b = 0; b < t.bytes(); ++b) h = (h ^ p[b]) * 16777619u;
  }
  return h;
}

// The self-test with the given kernels, in a fresh interpreter.
bool SelfTest(const EmbeddedModel& m, size_t arena_bytes, bool reference) {
  Diagnostic diag;
  InterpreterOptions options;
  options.reference_kernels = reference;
  Result<Interpreter> interp =
      Interpreter::Create(m.data, m.size, g_arena, arena_bytes, options, &diag);
  if (!interp.ok()) {
    PutFailure(m.name, "Create", interp.status(), diag);
    return false;
  }
  const Status s = interp->RunSelfTest(&diag);
  if (!s.ok()) {
    PutFailure(m.name, reference ? "self-test (reference kernels)" : "self-test", s, diag);
    return false;
  }
  return true;
}

// Invokes, then a state export/import round trip: the step after the export, replayed from the
// imported state with the same input, must reproduce the outputs and the state bit for bit.
bool InvokesAndRoundTrip(const EmbeddedModel& m, size_t arena_bytes, ModelResult* r) {
  Diagnostic diag;
  Result<Interpreter> created =
      Interpreter::Create(m.data, m.size, g_arena, arena_bytes, {}, &diag);
  if (!created.ok()) {
    PutFailure(m.name, "Create", created.status(), diag);
    return false;
  }
  Interpreter& interp = *created;
  for (int k = 0; k < kWarmupInvokes; ++k) {
    FillInputs(interp, static_cast<uint32_t>(k));
    const Status s = interp.Invoke(&diag);
    if (!s.ok()) {
      PutFailure(m.name, "Invoke", s, diag);
      return false;
    }
    if (!OutputsFinite(interp)) {
      Put("runtime_probe: FAIL: ");
      Put(m.name);
      Put(": an output is not finite\n");
      return false;
    }
  }
  r->invokes = true;

  r->state_bytes = interp.state_export_bytes();
  if (r->state_bytes > kStateBytes) {
    Put("runtime_probe: FAIL: ");
    Put(m.name);
    Put(": state larger than the probe's buffers\n");
    return false;
  }
  StatusWithSize before = interp.ExportState(g_state_before, kStateBytes);
  FillInputs(interp, kWarmupInvokes);
  Status s = interp.Invoke(&diag);
  const uint32_t first = HashOutputs(interp);
  StatusWithSize after = interp.ExportState(g_state_after, kStateBytes);
  if (!before.ok() || !after.ok() || before.size() != r->state_bytes || !s.ok()) {
    PutFailure(m.name, "export/Invoke", !s.ok() ? s : Status::Internal(), diag);
    return false;
  }
  interp.Reset();  // the import must overwrite whatever the state is
  s = interp.ImportState(g_state_before, before.size(), &diag);
  if (!s.ok()) {
    PutFailure(m.name, "ImportState", s, diag);
    return false;
  }
  FillInputs(interp, kWarmupInvokes);
  s = interp.Invoke(&diag);
  const uint32_t replay = HashOutputs(interp);
  StatusWithSize replay_state = interp.ExportState(g_state_replay, kStateBytes);
  if (!s.ok() || !replay_state.ok()) {
    PutFailure(m.name, "replay Invoke/export", !s.ok() ? s : replay_state.status(), diag);
    return false;
  }
  if (replay != first || replay_state.size() != after.size() ||
      std::memcmp(g_state_replay, g_state_after, after.size()) != 0) {
    Put("runtime_probe: FAIL: ");
    Put(m.name);
    Put(": the step replayed from the imported state differs (outputs or state)\n");
    return false;
  }
  // A blob of the wrong size must be refused.
  if (interp.ImportState(g_state_before, before.size() + 4, &diag).ok()) {
    Put("runtime_probe: FAIL: ");
    Put(m.name);
    Put(": ImportState accepted a blob of the wrong size\n");
    return false;
  }
  r->round_trip = true;
  return true;
}

__attribute__((noinline)) void ProbeModel(const EmbeddedModel& m, ModelResult* r) {
  Diagnostic diag;
  Result<size_t> need = Interpreter::RequiredArenaBytes(m.data, m.size, &diag);
  if (!need.ok()) {
    PutFailure(m.name, "RequiredArenaBytes", need.status(), diag);
    return;
  }
  r->arena_bytes = *need;
  if (*need > kArenaBytes) {
    Put("runtime_probe: FAIL: ");
    Put(m.name);
    Put(": needs a larger arena than the probe's ");
    PutU(kArenaBytes);
    Put(" bytes\n");
    return;
  }
  r->self_test = SelfTest(m, *need, /*reference=*/false);
  r->self_test_reference = SelfTest(m, *need, /*reference=*/true);
  InvokesAndRoundTrip(m, *need, r);
}

constexpr size_t kStackPaintBytes = 64 * 1024;
constexpr uint32_t kStackPaintWord = 0x5a17c0deu;

// Paints the kStackPaintBytes below this frame, probes one model, and records how deep the stack
// went below the caller's frame.
__attribute__((noinline)) void ProbeModelMeasuringStack(const EmbeddedModel& m, ModelResult* r) {
  volatile uint32_t marker = 0;
  auto* top = reinterpret_cast<uint32_t*>((reinterpret_cast<uintptr_t>(&marker) - 512u) &
                                          ~static_cast<uintptr_t>(7u));
  uint32_t* bottom = top - kStackPaintBytes / 4;
  for (volatile uint32_t* w = bottom; w < top; ++w) *w = kStackPaintWord;
  ProbeModel(m, r);
  const uint32_t* w = bottom;
  while (w < top && *w == kStackPaintWord) ++w;
  r->stack_bytes =
      static_cast<size_t>(reinterpret_cast<uintptr_t>(&marker) - reinterpret_cast<uintptr_t>(w));
}

const char* PassFail(bool ok) { return ok ? "PASS" : "FAIL"; }

int Main() {
  int failures = 0;
  size_t max_stack = 0;
  const char* deepest = "";
  for (size_t i = 0; i < kEmbeddedModelCount; ++i) {
    const EmbeddedModel& m = kEmbeddedModels[i];
    ModelResult r;
    ProbeModelMeasuringStack(m, &r);
    if (!r.ok()) ++failures;
    if (r.stack_bytes > max_stack) {
      max_stack = r.stack_bytes;
      deepest = m.name;
    }
    Put("runtime_probe: ");
    Put(m.name);
    Put(": model_bytes=");
    PutU(m.size);
    Put(" arena_bytes=");
    PutU(r.arena_bytes);
    Put(" self_test=");
    Put(PassFail(r.self_test));
    Put(" self_test_reference_kernels=");
    Put(PassFail(r.self_test_reference));
    Put(" invokes=");
    Put(PassFail(r.invokes));
    Put(" state_round_trip=");
    Put(PassFail(r.round_trip));
    Put(" (");
    PutU(r.state_bytes);
    Put(" bytes) stack_bytes=");
    PutU(r.stack_bytes);
    Put("\n");
  }
  Put("runtime_probe: stack_bytes=");
  PutU(max_stack);
  Put(" (stack high-water mark of the deepest model, ");
  Put(deepest);
  Put(": RequiredArenaBytes, Create, RunSelfTest, Invoke, state export/import)\n");
  if (failures == 0) {
    Put("runtime_probe: all ");
    PutU(kEmbeddedModelCount);
    Put(" models PASS on the Cortex-M4F build\n");
    return 0;
  }
  Put("runtime_probe: FAIL: ");
  PutU(static_cast<unsigned long>(failures));
  Put(" of ");
  PutU(kEmbeddedModelCount);
  Put(" models failed\n");
  return 1;
}

}  // namespace
}  // namespace edge::runtime::probe

// Static constructors (there should be none in portable code, but run them if the link has any:
// -nostartfiles drops the C runtime that would).
extern "C" {
extern void (*__init_array_start[])(void) __attribute__((weak));
extern void (*__init_array_end[])(void) __attribute__((weak));

[[noreturn]] void _exit(int status) {
  for (;;) edge::runtime::probe::SysCall3(248 /* exit_group */, status, 0, 0);
}

int edge_runtime_probe_main(void);  // called from _start
int edge_runtime_probe_main(void) {
  for (void (**f)(void) = __init_array_start; f != __init_array_end; ++f) (*f)();
  return edge::runtime::probe::Main();
}

// Entry point (qemu-arm sets up sp; .data is loaded and .bss zeroed by the ELF loader).
[[noreturn]] __attribute__((naked)) void _start(void) {
  __asm__ volatile(
      "bl edge_runtime_probe_main\n\t"
      "bl _exit\n\t");
}
}
