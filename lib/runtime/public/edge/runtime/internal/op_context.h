// The contract between the interpreter and the kernels (lib/runtime/ops_*.cc). Not API for
// applications; public so the compiler, tests and benchmarks can reach the same kernels.
//
// For every op the interpreter builds an OpContext from the model (tensor views, options, scratch)
// and calls, through the table in dispatch.cc:
//   - Prepare once, from Create (and from the compiler's planner) with data pointers null: it
//     checks everything about shapes, dtypes, input/output counts and options that Eval relies on,
//     so that Eval can never read or write out of bounds, and reports the scratch bytes it needs.
//     A model that fails Prepare is refused with a Diagnostic naming the op.
//   - Eval on every Invoke: no allocation, bounded loops, returns an error only for run-time data
//     it cannot handle (e.g. a Gather index out of range).
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/runtime/diagnostic.h"
#include "edge/runtime/efm_generated.h"
#include "edge/runtime/tensor.h"
#include "edge/status/status.h"

namespace edge::runtime {

inline constexpr int kMaxOpInputs = 10;
inline constexpr int kMaxOpOutputs = 16;

struct OpContext {
  const efm::Op* op = nullptr;  // type and options (op->options_as_ConvOptions() etc.)
  efm::OpType type = efm::OpType::Copy;
  int index = 0;  // position in Model.ops, for messages
  int num_inputs = 0;
  int num_outputs = 0;
  Tensor inputs[kMaxOpInputs];    // absent optional inputs have present == false
  Tensor outputs[kMaxOpOutputs];  // absent optional outputs have present == false
  void* scratch = nullptr;        // 16-byte aligned, scratch_bytes long, only during this op
  size_t scratch_bytes = 0;
  bool reference = false;  // run the naive reference loops (benchmarks, cross-checks)
  Diagnostic* diag = nullptr;
};

// Fails with InvalidArgument and "op <i> (<Type> '<name>'): <parts...>" in ctx.diag.
template <typename... Parts>
Status OpFail(const OpContext& ctx, const Parts&... parts);

// Dispatch (dispatch.cc). Unimplemented for an OpType this runtime does not know.
Status PrepareOp(const OpContext& ctx, size_t* scratch_bytes);
Status EvalOp(const OpContext& ctx);
const char* OpTypeName(efm::OpType type);  // "Conv"; "?" for unknown values
bool IsSupportedOp(efm::OpType type);

// Kernel families. Each Prepare* sets *scratch_bytes (0 when none is needed).
#define EDGE_RUNTIME_DECLARE_FAMILY(F)                            \
  Status Prepare##F(const OpContext& ctx, size_t* scratch_bytes); \
  Status Eval##F(const OpContext& ctx)
EDGE_RUNTIME_DECLARE_FAMILY(Copy);       // Copy                        (ops_elementwise.cc)
EDGE_RUNTIME_DECLARE_FAMILY(Binary);     // Add Sub Mul Div Pow Min Max PRelu
EDGE_RUNTIME_DECLARE_FAMILY(Unary);      // Relu ... Cos, Clip
EDGE_RUNTIME_DECLARE_FAMILY(Softmax);    // Softmax LogSoftmax
EDGE_RUNTIME_DECLARE_FAMILY(Expand);     // Expand
EDGE_RUNTIME_DECLARE_FAMILY(Concat);     // Concat                      (ops_shape.cc)
EDGE_RUNTIME_DECLARE_FAMILY(Slice);      // Slice
EDGE_RUNTIME_DECLARE_FAMILY(Split);      // Split
EDGE_RUNTIME_DECLARE_FAMILY(Transpose);  // Transpose
EDGE_RUNTIME_DECLARE_FAMILY(Gather);     // Gather
EDGE_RUNTIME_DECLARE_FAMILY(Pad);        // Pad
EDGE_RUNTIME_DECLARE_FAMILY(Resize);     // Resize
EDGE_RUNTIME_DECLARE_FAMILY(Reduce);     // ReduceMean ReduceSum ReduceMax ReduceMin (ops_reduce.cc)
EDGE_RUNTIME_DECLARE_FAMILY(MatMul);     // MatMul                      (ops_dense.cc)
EDGE_RUNTIME_DECLARE_FAMILY(Gemm);       // Gemm
EDGE_RUNTIME_DECLARE_FAMILY(Conv);       // Conv                        (ops_conv.cc)
EDGE_RUNTIME_DECLARE_FAMILY(ConvTranspose);
EDGE_RUNTIME_DECLARE_FAMILY(Pool);       // MaxPool AveragePool GlobalAveragePool GlobalMaxPool
EDGE_RUNTIME_DECLARE_FAMILY(BatchNorm);  // BatchNormalization
EDGE_RUNTIME_DECLARE_FAMILY(Lstm);       // LSTM                        (ops_rnn.cc)
EDGE_RUNTIME_DECLARE_FAMILY(Gru);        // GRU

// ops_extra.cc
EDGE_RUNTIME_DECLARE_FAMILY(Arg);           // ArgMax ArgMin
EDGE_RUNTIME_DECLARE_FAMILY(LayerNorm);     // LayerNormalization
EDGE_RUNTIME_DECLARE_FAMILY(InstanceNorm);  // InstanceNormalization
EDGE_RUNTIME_DECLARE_FAMILY(Compare);       // Equal Less LessOrEqual Greater GreaterOrEqual And Or
                                            // Xor
EDGE_RUNTIME_DECLARE_FAMILY(Where);         // Where
EDGE_RUNTIME_DECLARE_FAMILY(Mod);           // Mod
EDGE_RUNTIME_DECLARE_FAMILY(Cast);          // Cast
EDGE_RUNTIME_DECLARE_FAMILY(ExtraUnary);    // Not Tan ThresholdedRelu Sign Round Shrink Celu
EDGE_RUNTIME_DECLARE_FAMILY(CumSum);        // CumSum
EDGE_RUNTIME_DECLARE_FAMILY(Hardmax);       // Hardmax
EDGE_RUNTIME_DECLARE_FAMILY(LpNorm);        // LpNormalization
#undef EDGE_RUNTIME_DECLARE_FAMILY

// ---- implementation details ----

namespace internal {
void OpFailPrefix(const OpContext& ctx);
}  // namespace internal

template <typename... Parts>
Status OpFail(const OpContext& ctx, const Parts&... parts) {
  if (ctx.diag != nullptr) {
    internal::OpFailPrefix(ctx);  // clears, then writes "op <i> (<Type> '<name>'): "
    (ctx.diag->Append(parts), ...);
  }
  return Status::InvalidArgument();
}

}  // namespace edge::runtime
