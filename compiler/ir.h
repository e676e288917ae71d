// The compiler's internal graph: efm-level ops over tensors with static shapes, some of which hold
// compile-time values. Built by the importer (import.cc + lower.cc), rewritten by fusion
// (fuse.cc), written out by the .efm writer (efm_writer.cc). Host only; not API.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/runtime/efm_generated.h"
#include "edge/runtime/tensor.h"

namespace edge::compiler::internal {

// ONNX TensorProto.DataType values (kept here so only the importer includes the ONNX headers).
enum Elem : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

const char* ElemName(int32_t elem);
bool IsFloatElem(int32_t elem);  // float, double, float16, bfloat16
bool IsIntElem(int32_t elem);    // every integer type and bool
// The run-time dtype of an ONNX element type; false if the runtime has none (double, strings...).
bool RuntimeDType(int32_t elem, runtime::DType* out);

using Dims = std::vector<int64_t>;

int64_t NumElements(const Dims& shape);
// The largest tensor the compiler builds (elements); the runtime's limit is 2 GiB per tensor.
inline constexpr int64_t kMaxElements = int64_t{1} << 31;
// False if a dim is negative or the element count exceeds kMaxElements (no overflow).
bool CheckedNumElements(const Dims& shape, int64_t* out);
std::string DimsToString(const Dims& shape);

// A compile-time tensor value. Floating types are held as float (the runtime computes in f32),
// integer types and bool as int64.
struct HostValue {
  int32_t elem = kFloat;
  Dims shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  bool is_float() const { return IsFloatElem(elem); }
  int64_t numel() const { return NumElements(shape); }
  size_t size() const { return is_float() ? f.size() : i.size(); }
  double AsDouble(size_t k) const { return is_float() ? f[k] : static_cast<double>(i[k]); }
  int64_t AsInt(size_t k) const { return is_float() ? static_cast<int64_t>(f[k]) : i[k]; }

  static HostValue Floats(Dims shape, std::vector<float> data);
  static HostValue Ints(int32_t elem, Dims shape, std::vector<int64_t> data);
  // A value of `elem` and `shape` filled with `v`.
  static HostValue Filled(int32_t elem, Dims shape, double v);
};

struct Tensor {
  std::string name;
  int32_t elem = kFloat;
  Dims shape;
  std::shared_ptr<const HostValue> value;  // set: a compile-time constant
  bool is_const() const { return value != nullptr; }
};

// Every option field any efm op uses; the writer picks the ones its OpType documents.
struct OpAttrs {
  float alpha = 0.0f;  // UnaryOptions alpha / GemmOptions alpha
  float beta = 0.0f;   // UnaryOptions beta / GemmOptions beta
  bool trans_a = false;
  bool trans_b = false;
  efm::FusedActivation act = efm::FusedActivation::None;
  float act_min = 0.0f;
  float act_max = 0.0f;
  std::vector<int32_t> kernel_shape, strides, pads, dilations, output_padding;
  int32_t group = 1;
  bool count_include_pad = false;
  float epsilon = 1e-5f;
  int32_t axis = 0;
  bool legacy_coerce = false;
  std::vector<int32_t> starts, steps;  // Slice
  std::vector<int32_t> perm;           // Transpose
  std::vector<int32_t> pad_amounts;    // Pad
  efm::PadMode pad_mode = efm::PadMode::Constant;
  float pad_value = 0.0f;
  efm::ResizeMode resize_mode = efm::ResizeMode::Nearest;
  efm::CoordinateTransform coord = efm::CoordinateTransform::HalfPixel;
  efm::NearestMode nearest = efm::NearestMode::RoundPreferFloor;
  std::vector<float> scales;
  std::vector<int32_t> axes;  // Reduce
  bool keepdims = true;
  efm::RnnDirection direction = efm::RnnDirection::Forward;
  int32_t hidden_size = 0;
  float clip = 0.0f;
  bool input_forget = false;
  bool linear_before_reset = false;
  int32_t layout = 0;
  bool select_last_index = false;                    // ArgMax / ArgMin (with axis, keepdims)
  bool fmod = false;                                 // Mod
  efm::CastTarget cast_to = efm::CastTarget::Float;  // Cast
  bool exclusive = false;                            // CumSum (with axis)
  bool reverse = false;                              // CumSum
  int32_t p = 2;                                     // LpNormalization (with axis)
};

struct Op {
  efm::OpType type = efm::OpType::Copy;
  std::vector<int> inputs;   // tensor ids, -1 = absent optional input
  std::vector<int> outputs;  // tensor ids, -1 = absent optional output
  OpAttrs a;
  std::string name;    // source node name
  std::string origin;  // "node 'name' (OpType, opset n)" for messages
  uint64_t macs = 0;
};

struct StatePair {
  int input = -1;                            // tensor id (kind StateIn)
  int output = -1;                           // tensor id (kind StateOut)
  std::shared_ptr<const HostValue> initial;  // null = zeros
};

struct Graph {
  std::deque<Tensor> tensors;  // a deque: references stay valid while tensors are added
  std::vector<Op> ops;
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::vector<StatePair> state;

  int AddTensor(std::string name, int32_t elem, Dims shape);
  int AddConstant(std::string name, HostValue value);
  bool IsStateIn(int id) const;
  bool IsStateOut(int id) const;
};

// ---- shape helpers shared by lowering and host evaluation ----

// numpy multidirectional broadcasting; false if the shapes do not broadcast.
bool BroadcastShapes(const Dims& a, const Dims& b, Dims* out);
// Normalises axis in [-rank, rank) to [0, rank); false if out of range.
bool NormalizeAxis(int64_t axis, int64_t rank, int64_t* out);

// ---- host evaluation of efm-level ops (host_eval.cc) ----

// True if the host evaluator implements `op` for the dtypes of its operands. The host evaluator
// keeps int64 precision, so shape arithmetic never goes through the runtime's int32.
bool HostCanEvaluate(const Graph& g, const Op& op);
// Evaluates `op` (all inputs constant) and stores its outputs' values in the graph.
absl::Status HostEvaluate(Graph& g, const Op& op);

// ---- the .efm writer (efm_writer.cc) ----

struct EmitOptions {
  std::string name;
  std::string producer;
  // Self-test vector: raw runtime bytes per graph input / output (empty = none).
  std::vector<std::string> selftest_inputs;
  std::vector<std::string> selftest_outputs;
  float selftest_atol = 1e-5f;
  float selftest_rtol = 1e-3f;
};

struct EmitResult {
  std::string efm;
  uint32_t arena_bytes = 0;
  uint64_t unplanned_bytes = 0;
  uint64_t constant_bytes = 0;
  uint64_t macs = 0;
  int ops = 0;
};

// Plans memory and writes the .efm for `g` (only tensors that ops, inputs, outputs or state
// reference are written), then verifies it with the runtime's own checks.
absl::StatusOr<EmitResult> EmitEfm(const Graph& g, const EmitOptions& options);

// Converts a host value to the runtime representation of its element type (range-checked).
absl::StatusOr<std::string> RuntimeBytes(const HostValue& v, absl::string_view what);

// Runs `ops` (every input constant or produced by an earlier op of the list) through
// edge::runtime::Interpreter and stores the values of every output in the graph.
absl::Status InterpreterEvaluate(Graph& g, const std::vector<Op>& ops);

// ---- fusion (fuse.cc) ----

struct FusionStats {
  int fused_nodes = 0;
  std::vector<std::string> notes;
};
// BatchNormalization folding and Relu/Clip fusion. `keep` marks tensors that must stay
// (graph outputs and state outputs).
void Fuse(Graph& g, const std::vector<bool>& keep, FusionStats* stats);

// ---- memory planning (planner.cc) ----

struct PlanItem {
  uint64_t bytes = 0;
  int first = 0;  // first op index where live (inclusive)
  int last = 0;   // last op index where live (inclusive)
  uint64_t offset = 0;
};
// Greedy by size (largest first), first fit, 16-byte aligned. Returns the region size.
uint64_t PlanMemory(std::vector<PlanItem>& items);

}  // namespace edge::compiler::internal
