// ONNX node -> efm-level ops (lower.cc). Host only; not API.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir.h"
#include "onnx/onnx_pb.h"

namespace edge::compiler::internal {

// ONNX TensorProto -> HostValue (raw_data or the typed fields). Strings, external data and
// complex types are refused.
absl::StatusOr<HostValue> HostValueFromProto(const onnx::TensorProto& t);

// What one node handler sees: its inputs as graph tensors, its attributes, and where its ops go.
class NodeCtx {
 public:
  NodeCtx(Graph* g, std::unordered_map<std::string, int>* names, const onnx::NodeProto& node,
          int opset, std::vector<Op>* sink,
          const std::unordered_map<std::string, std::pair<int32_t, Dims>>* inferred,
          int model_opset = 0);

  const onnx::NodeProto& node() const { return node_; }
  // The opset whose op definitions the handler follows. Models below opset 6 are accepted only
  // for nodes whose definition is unchanged at opset 6, and are handled as opset 6.
  int opset() const { return opset_; }
  Graph& graph() { return *g_; }
  const std::string& origin() const { return origin_; }
  std::string base_name() const;

  // Inputs. in(i) is -1 for an absent optional input.
  int num_inputs() const { return node_.input_size(); }
  bool has_input(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  int in(int i) const;
  const Tensor& t(int id) const { return g_->tensors[id]; }
  const Tensor& input(int i) const { return g_->tensors[in(i)]; }
  bool is_const(int i) const { return has_input(i) && input(i).is_const(); }
  // The compile-time value of input i; Unimplemented (naming `what`) if it is not constant.
  absl::StatusOr<const HostValue*> ConstInput(int i, absl::string_view what) const;
  absl::StatusOr<std::vector<int64_t>> ConstInts(int i, absl::string_view what) const;
  absl::StatusOr<std::vector<float>> ConstFloats(int i, absl::string_view what) const;

  // Outputs. Out() defines ONNX output i as a new tensor (-1 if the node leaves it out).
  int num_outputs() const { return node_.output_size(); }
  bool has_output(int i) const { return i < node_.output_size() && !node_.output(i).empty(); }
  absl::StatusOr<int> Out(int i, int32_t elem, Dims shape);
  // The next Out() skips the cross-check against ONNX shape inference (where onnx 1.12's rule is
  // known to differ, e.g. pools with ceil_mode).
  void SkipInferenceCheck() { skip_inferred_ = true; }
  // Defines output i as a compile-time value.
  absl::Status OutValue(int i, HostValue value);
  int Temp(int32_t elem, Dims shape, absl::string_view suffix);
  int Const(HostValue value, absl::string_view suffix);
  // Appends an op (origin and name filled in). The reference is valid until the next Emit.
  Op& Emit(efm::OpType type, std::vector<int> inputs, std::vector<int> outputs);
  // A tensor with x's data viewed as `shape` (a constant, or a Copy op).
  int Reshaped(int x, Dims shape, absl::string_view suffix);

  // Attributes.
  const onnx::AttributeProto* attr(absl::string_view name) const;
  bool has_attr(absl::string_view name) const { return attr(name) != nullptr; }
  int64_t AttrInt(absl::string_view name, int64_t def) const;
  float AttrFloat(absl::string_view name, float def) const;
  std::string AttrString(absl::string_view name, absl::string_view def) const;
  std::vector<int64_t> AttrInts(absl::string_view name) const;
  std::vector<float> AttrFloats(absl::string_view name) const;
  std::vector<std::string> AttrStrings(absl::string_view name) const;

  // "node 'n' (Op, opset k): what" as Unimplemented / InvalidArgument.
  absl::Status Unsupported(absl::string_view what) const;
  absl::Status Invalid(absl::string_view what) const;

 private:
  Graph* g_;
  std::unordered_map<std::string, int>* names_;
  const onnx::NodeProto& node_;
  int opset_;
  std::vector<Op>* sink_;
  const std::unordered_map<std::string, std::pair<int32_t, Dims>>* inferred_;
  std::string origin_;
  bool skip_inferred_ = false;
};

using NodeHandler = absl::Status (*)(NodeCtx&);

struct OpEntry {
  NodeHandler handler = nullptr;
  // false: the op is only evaluated at compile time (its inputs must be constants); true: it
  // lowers to efm ops when its inputs are run-time tensors.
  bool runtime = false;
};

// The handler table, by ONNX op type (default domain).
const std::unordered_map<std::string, OpEntry>& OpTable();

// Checks the element types of an op's operands against what the runtime's kernels compute.
absl::Status CheckRuntimeTypes(const Graph& g, const Op& op);

}  // namespace edge::compiler::internal
