// A human- and machine-readable summary of an .efm model (edgectl inspect, edgectl sign, the
// daemon's model info). Host only: edge.runtime.host.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/runtime/tensor.h"

namespace edge::runtime {

struct EfmTensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int32_t> shape;
};

struct EfmStateInfo {
  EfmTensorInfo input;
  std::string output;
  bool has_initial = false;
};

struct EfmSummary {
  std::string name;
  std::string producer;
  uint32_t format_version = 0;
  std::vector<EfmTensorInfo> inputs;
  std::vector<EfmTensorInfo> outputs;
  std::vector<EfmStateInfo> state;
  std::map<std::string, int> op_counts;  // OpType name -> count
  int ops = 0;
  int tensors = 0;
  uint64_t parameters = 0;      // elements in constant tensors
  uint64_t constant_bytes = 0;  // bytes of constant buffers
  uint32_t planned_arena_bytes = 0;
  uint64_t required_arena_bytes = 0;  // what Interpreter::Create needs (plan + state + tables)
  uint64_t state_bytes = 0;           // one copy of every state tensor
  uint64_t macs = 0;
  std::string op_set;  // raw bitmap bytes (image TLV 0xA2)
  bool has_self_test = false;
};

bool LooksLikeEfm(absl::string_view bytes);  // FlatBuffers file identifier "EFM0"
// Verifies the model fully (as Interpreter::Create does); InvalidArgument with the runtime's
// diagnostic otherwise.
absl::StatusOr<EfmSummary> SummarizeEfm(absl::string_view bytes);
std::string DescribeEfm(const EfmSummary& s);                // multi-line text
std::string EfmSummaryJson(const EfmSummary& s);             // one JSON object
std::string DTypeName(DType t);                              // "f32", "i8", "i32"
std::string ShapeString(const std::vector<int32_t>& shape);  // "[1, 784]"

}  // namespace edge::runtime
