// Size report for lib/runtime on Cortex-M4F: a firmware-like main that loads a model it only
// knows at run time and uses the whole Interpreter API (arena sizing, Create, self-test, Invoke,
// Reset, state export/import). Every kernel dispatch.cc can reach is therefore linked; the text +
// data of this ELF minus edge_verify_size_baseline's (an empty main) is what the interpreter and
// the f32 kernels (and the libm functions they call) cost in flash. It is linked, never run.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "edge/runtime/interpreter.h"
#include "edge/runtime/tensor.h"
#include "edge/status/result.h"
#include "edge/status/status.h"

// Where a firmware would find its model (e.g. a flash partition); volatile so the link keeps
// every op the runtime supports.
extern "C" {
const void* volatile edge_size_report_model;
volatile size_t edge_size_report_model_size;
}

namespace {

alignas(16) uint8_t g_arena[64 * 1024];  // .bss: not flash
alignas(8) uint8_t g_state[1024];

int Run() {
  using edge::runtime::Interpreter;
  const void* model = edge_size_report_model;
  const size_t size = edge_size_report_model_size;
  edge::Result<size_t> need = Interpreter::RequiredArenaBytes(model, size);
  if (!need.ok() || *need > sizeof g_arena) return 1;
  edge::Result<Interpreter> interp = Interpreter::Create(model, size, g_arena, *need);
  if (!interp.ok()) return 2;
  if (!interp->RunSelfTest().ok()) return 3;
  const edge::StatusWithSize saved = interp->ExportState(g_state, sizeof g_state);
  for (size_t i = 0; i < interp->num_inputs(); ++i) {
    const edge::runtime::Tensor t = interp->input(i);
    std::memset(t.data, 0, t.bytes());
  }
  if (!interp->Invoke().ok()) return 4;
  int result = 0;
  for (size_t o = 0; o < interp->num_outputs(); ++o) {
    result += static_cast<const uint8_t*>(interp->output(o).data)[0];
  }
  if (!saved.ok() || !interp->ImportState(g_state, saved.size()).ok()) return 5;
  interp->Reset();
  return result;
}

}  // namespace

int main() { return Run(); }
