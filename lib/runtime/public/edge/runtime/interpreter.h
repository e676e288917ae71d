// edge::runtime::Interpreter — runs one .efm model in a caller-provided arena.
//
// Lifetime and memory: the model bytes and the arena are owned by the caller and must outlive the
// Interpreter. Create checks the model completely (FlatBuffers verifier, then every index, shape,
// offset, dtype and op option; see docs/runtime.md); after Create nothing allocates: Invoke,
// Reset, state export/import and the self-test work inside the arena. The model must start at a
// 16-byte aligned address (constant buffers are read in place) and so must the arena.
//
// Arena layout: [planned region: Model.arena_bytes][state: two buffers per state pair][tables].
// RequiredArenaBytes tells how much a model needs.
//
// Inputs are written by the caller before every Invoke (input(i).data); their contents are
// undefined after Invoke because the planner reuses memory. Outputs are valid until the next
// Invoke/Reset. State tensors are owned by the runtime: after each successful Invoke every state
// pair's output becomes the next call's input (a pointer swap, not a copy); Reset() restores the
// initial values. A failed Invoke leaves the state as it was before the call.
//
// Not thread-safe; use one Interpreter per thread (several may share one model buffer).
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/runtime/diagnostic.h"
#include "edge/runtime/tensor.h"
#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge::efm {
struct Model;
}  // namespace edge::efm

namespace edge::runtime {

struct OpContext;

// Format versions and op set this runtime implements.
inline constexpr uint32_t kEfmFormatVersion = 1;
inline constexpr size_t kOpSetBytes = 32;  // bitmap of OpType values, as in image TLV 0xA2
// Writes this runtime's supported-op bitmap (kOpSetBytes bytes).
void SupportedOpSet(uint8_t out[kOpSetBytes]);

// Exported state: "EST1", u32 LE payload length, then each state pair's current value in order.
inline constexpr size_t kStateHeaderBytes = 8;

struct InterpreterOptions {
  bool reference_kernels = false;  // naive loops instead of the optimised kernels
};

// Verifies `model` as Create does. With check_plan == false the memory plan (arena offsets,
// arena_bytes, scratch) is not checked; the compiler uses this on its unplanned draft and reads
// each op's scratch requirement into scratch_bytes[op] (pass nullptr to skip).
Status VerifyModel(const void* model, size_t size, bool check_plan, uint32_t* scratch_bytes,
                   size_t scratch_count, Diagnostic* diag);

class Interpreter {
 public:
  static Result<size_t> RequiredArenaBytes(const void* model, size_t size,
                                           Diagnostic* diag = nullptr);

  // Errors: InvalidArgument (malformed or inconsistent model, misaligned buffers),
  // FailedPrecondition (a format version this runtime does not know), Unimplemented (an op this
  // runtime lacks), ResourceExhausted (arena too small). `diag` says which and where.
  static Result<Interpreter> Create(const void* model, size_t size, void* arena, size_t arena_size,
                                    InterpreterOptions options = {}, Diagnostic* diag = nullptr);

  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;
  Interpreter(Interpreter&& other) noexcept;
  Interpreter& operator=(Interpreter&& other) noexcept;
  ~Interpreter() = default;

  // Runs every op once. On error (only run-time data errors, e.g. an index out of range) the
  // outputs are undefined and the state is unchanged.
  Status Invoke(Diagnostic* diag = nullptr);
  void Reset();

  size_t num_inputs() const;
  size_t num_outputs() const;
  Tensor input(size_t i) const;
  Tensor output(size_t i) const;
  const char* input_name(size_t i) const;
  const char* output_name(size_t i) const;
  int FindInput(const char* name) const;   // -1 if absent
  int FindOutput(const char* name) const;  // -1 if absent

  size_t num_states() const;
  Tensor state(size_t i) const;  // current value (what the next Invoke reads); writable
  const char* state_input_name(size_t i) const;
  const char* state_output_name(size_t i) const;
  int FindState(const char* input_name) const;  // by the StateIn tensor's name; -1 if absent

  size_t state_export_bytes() const;  // kStateHeaderBytes + sum of state tensor bytes
  // OK with the bytes written; ResourceExhausted if cap is too small.
  StatusWithSize ExportState(void* out, size_t cap) const;
  // InvalidArgument (with diag) if the blob does not match this model's state layout.
  Status ImportState(const void* data, size_t size, Diagnostic* diag = nullptr);

  // Runs the model's self-test vector from the initial state, then Resets. NotFound: the model
  // has none; DataLoss: an output is outside tolerance (diag names output, index, values).
  Status RunSelfTest(Diagnostic* diag = nullptr);

  const efm::Model* model() const { return model_; }
  uint64_t macs() const;
  size_t arena_used() const { return arena_used_; }

 private:
  Interpreter() = default;
  Tensor* tensors_ = nullptr;     // one view per model tensor, inside the arena
  OpContext* context_ = nullptr;  // reused by Invoke, inside the arena
  const efm::Model* model_ = nullptr;
  uint8_t* planned_ = nullptr;  // start of the planned region
  size_t arena_used_ = 0;
  InterpreterOptions options_;
};

}  // namespace edge::runtime
