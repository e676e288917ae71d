// libFuzzer target for Interpreter::Create and everything a loaded model can do (Invoke, the
// self-test, state export/import). Built with clang -fsanitize=fuzzer,address,undefined by the
// `fuzz` preset and run in CI for a fixed time, seeded with tests/fixtures/efm/*.efm (compiled
// examples); runtime_fuzz_seed_test.cc runs the same function over the seeds, their truncations
// and bit flips in every ordinary test run.
//
// Invariants: nothing crashes or reads outside the model/arena (sanitizers); a model whose arena
// size could be computed loads in exactly that arena; a loaded model's exported state imports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "edge/runtime/interpreter.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

struct alignas(16) Block {
  uint8_t b[16];
};

constexpr size_t kMaxArena = 8u << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using edge::runtime::Interpreter;
  std::vector<Block> model((size + 15) / 16 + 1);
  if (size != 0) std::memcpy(model.data(), data, size);

  edge::runtime::Diagnostic diag;
  edge::Result<size_t> need = Interpreter::RequiredArenaBytes(model.data(), size, &diag);
  if (!need.ok()) {
    Check(!diag.empty());
    return 0;
  }
  if (*need > kMaxArena) return 0;
  std::vector<Block> arena(*need / 16 + 1);
  edge::Result<Interpreter> interp =
      Interpreter::Create(model.data(), size, arena.data(), *need, {}, &diag);
  Check(interp.ok());
  // Too small by one byte must be refused.
  if (*need > 0) {
    std::vector<Block> small(*need / 16 + 1);
    Check(!Interpreter::Create(model.data(), size, small.data(), *need - 1, {}, nullptr).ok());
  }
  // Inputs from the fuzz data itself (cycled): indices out of range, NaNs and infinities are
  // all fair game for the kernels.
  for (size_t i = 0; i < interp->num_inputs(); ++i) {
    const edge::runtime::Tensor t = interp->input(i);
    auto* p = static_cast<uint8_t*>(t.data);
    for (size_t b = 0; b < t.bytes(); ++b) p[b] = size != 0 ? data[(b * 7 + i) % size] : 0;
  }
  interp->Invoke(&diag).IgnoreError();
  interp->Invoke(&diag).IgnoreError();
  std::vector<uint8_t> state(interp->state_export_bytes());
  edge::StatusWithSize exported = interp->ExportState(state.data(), state.size());
  Check(exported.ok() && exported.size() == state.size());
  Check(interp->ImportState(state.data(), state.size(), &diag).ok());
  interp->RunSelfTest(&diag).IgnoreError();
  interp->Reset();
  return 0;
}
