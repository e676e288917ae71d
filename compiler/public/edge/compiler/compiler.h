// edge::compiler — ONNX model -> .efm (host only).
//
// Pipeline: parse -> onnx::checker -> onnx shape inference -> import into the compiler's graph
// (static shapes required; int64 tensors become int32 at run time) -> constant folding (including
// Shape/Slice/Concat/Gather chains and rank-0 tensors; float nodes are folded by running them
// through lib/runtime itself) -> fusion (Conv/Gemm/MatMul + BatchNormalization + Relu/Clip) ->
// state-pair detection -> lowering to efm ops -> memory planning by tensor lifetime -> .efm.
//
// Anything unsupported fails with Unimplemented and a message naming the node, op type and opset,
// e.g. "node '/rnn/Loop' (Loop, opset 13): op not supported". Malformed input is InvalidArgument.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/runtime/host_tensor.h"

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace edge::compiler {

struct CompileOptions {
  std::string name;  // model name written into the .efm; default: the file stem / graph name
  // Explicit state pairs (graph input name, graph output name). Pairs are also detected from
  // names containing "state_in" / "state_out" (same text around them, same dtype and shape)
  // unless detect_state is false.
  std::vector<std::pair<std::string, std::string>> state;
  bool detect_state = true;
  bool fuse = true;  // BatchNorm folding and activation fusion
  // Optional self-test vector, in graph input / graph output order (state inputs excluded).
  std::vector<runtime::HostTensor> selftest_inputs;
  std::vector<runtime::HostTensor> selftest_outputs;
  float selftest_atol = 1e-5f;
  float selftest_rtol = 1e-3f;
};

struct StatePairInfo {
  std::string input;
  std::string output;
  std::vector<int32_t> shape;
};

struct CompileReport {
  uint32_t arena_bytes = 0;      // planned region (what the runtime needs beyond state)
  uint64_t unplanned_bytes = 0;  // sum of every activation tensor + scratch, no reuse
  uint64_t constant_bytes = 0;   // bytes of constant buffers
  uint64_t macs = 0;
  int source_opset = 0;
  int source_nodes = 0;
  int ops = 0;           // efm ops after folding and fusion
  int folded_nodes = 0;  // ONNX nodes evaluated at compile time
  int fused_nodes = 0;   // BatchNorm / activation nodes merged into their producer
  std::vector<StatePairInfo> state;
  std::vector<std::string> notes;  // human-readable remarks (e.g. "BatchNorm 'bn1' folded")
};

struct CompiledModel {
  std::string efm;  // the FlatBuffer (file identifier EFM0)
  CompileReport report;
};

absl::StatusOr<CompiledModel> CompileOnnx(const onnx::ModelProto& model,
                                          const CompileOptions& options);
absl::StatusOr<CompiledModel> CompileOnnxBytes(const std::string& bytes,
                                               const CompileOptions& options);
absl::StatusOr<CompiledModel> CompileOnnxFile(const std::string& path,
                                              const CompileOptions& options);

// ONNX op types (domain "" / ai.onnx) the importer maps, sorted. The conformance runner reports a
// test whose model uses any other op as skipped with the missing op.
std::vector<std::string> SupportedOnnxOps();

// ONNX TensorProto (raw_data or typed fields) -> HostTensor with the runtime's dtypes
// (float -> f32; int64/int32/int16/uint8/bool -> i32 with a range check; int8 -> i8; double ->
// f32). Used for initializers and by the conformance runner for test_data_set_*/*.pb.
absl::StatusOr<runtime::HostTensor> TensorFromOnnxBytes(const std::string& tensor_proto_bytes);

}  // namespace edge::compiler
