#include "edge/runtime/describe.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "edge/runtime/efm_generated.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/runtime/interpreter.h"

namespace edge::runtime {
namespace {

EfmTensorInfo Info(const efm::Model* m, int32_t idx) {
  const efm::Tensor* t = m->tensors()->Get(static_cast<uint32_t>(idx));
  EfmTensorInfo info;
  info.name = t->name() != nullptr ? t->name()->str() : "";
  info.dtype = static_cast<DType>(t->dtype());
  if (t->shape() != nullptr) info.shape.assign(t->shape()->begin(), t->shape()->end());
  return info;
}

uint64_t Elements(const std::vector<int32_t>& shape) {
  uint64_t n = 1;
  for (int32_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string TensorJson(const EfmTensorInfo& t) {
  return absl::StrCat("{\"name\": ", JsonString(t.name), ", \"dtype\": \"", DTypeName(t.dtype),
                      "\", \"shape\": [", absl::StrJoin(t.shape, ", "), "]}");
}

}  // namespace

std::string DTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "f32";
    case DType::kI8:
      return "i8";
    case DType::kI32:
      return "i32";
  }
  return "?";
}

std::string ShapeString(const std::vector<int32_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

bool LooksLikeEfm(absl::string_view bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data() + 4, "EFM0", 4) == 0;
}

absl::StatusOr<EfmSummary> SummarizeEfm(absl::string_view bytes) {
  // The runtime needs 16-byte alignment; std::string's buffer gives no such promise.
  std::vector<uint64_t> aligned_storage(bytes.size() / 8 + 2);
  auto* aligned = reinterpret_cast<uint8_t*>(aligned_storage.data());
  if (reinterpret_cast<uintptr_t>(aligned) % 16 != 0) aligned += 8;
  if (!bytes.empty()) std::memcpy(aligned, bytes.data(), bytes.size());
  Diagnostic diag;
  Result<size_t> need = Interpreter::RequiredArenaBytes(aligned, bytes.size(), &diag);
  if (!need.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid .efm model: ", diag.text()));
  }
  const efm::Model* m = efm::GetModel(aligned);
  EfmSummary s;
  s.name = m->name() != nullptr ? m->name()->str() : "";
  s.producer = m->producer() != nullptr ? m->producer()->str() : "";
  s.format_version = m->format_version();
  if (m->inputs() != nullptr) {
    for (int32_t i : *m->inputs()) s.inputs.push_back(Info(m, i));
  }
  if (m->outputs() != nullptr) {
    for (int32_t i : *m->outputs()) s.outputs.push_back(Info(m, i));
  }
  if (m->state() != nullptr) {
    for (const efm::StatePair* p : *m->state()) {
      EfmStateInfo st;
      st.input = Info(m, p->input());
      st.output = Info(m, p->output()).name;
      st.has_initial = p->initial() >= 0;
      s.state_bytes += Elements(st.input.shape) * DTypeSize(st.input.dtype);
      s.state.push_back(std::move(st));
    }
  }
  if (m->ops() != nullptr) {
    for (const efm::Op* op : *m->ops()) ++s.op_counts[OpTypeName(op->type())];
    s.ops = static_cast<int>(m->ops()->size());
  }
  if (m->tensors() != nullptr) {
    s.tensors = static_cast<int>(m->tensors()->size());
    for (const efm::Tensor* t : *m->tensors()) {
      if (t->kind() != efm::TensorKind::Constant) continue;
      uint64_t n = 1;
      if (t->shape() != nullptr) {
        for (int32_t d : *t->shape()) n *= static_cast<uint64_t>(d);
      }
      s.parameters += n;
    }
  }
  if (m->buffers() != nullptr) {
    for (const efm::Buffer* b : *m->buffers()) {
      if (b->data() != nullptr) s.constant_bytes += b->data()->size();
    }
  }
  s.planned_arena_bytes = m->arena_bytes();
  s.required_arena_bytes = *need;
  s.macs = m->macs();
  if (m->op_set() != nullptr) s.op_set.assign(m->op_set()->begin(), m->op_set()->end());
  s.has_self_test = m->self_test() != nullptr;
  return s;
}

std::string DescribeEfm(const EfmSummary& s) {
  std::string out;
  absl::StrAppend(&out, "model:      ", s.name.empty() ? "(unnamed)" : s.name, " (efm v",
                  s.format_version, ")\n");
  if (!s.producer.empty()) absl::StrAppend(&out, "producer:   ", s.producer, "\n");
  for (const auto& t : s.inputs) {
    absl::StrAppend(&out, "input:      ", t.name, " ", DTypeName(t.dtype), " ",
                    ShapeString(t.shape), "\n");
  }
  for (const auto& t : s.outputs) {
    absl::StrAppend(&out, "output:     ", t.name, " ", DTypeName(t.dtype), " ",
                    ShapeString(t.shape), "\n");
  }
  for (const auto& st : s.state) {
    absl::StrAppend(&out, "state:      ", st.input.name, " -> ", st.output, " ",
                    DTypeName(st.input.dtype), " ", ShapeString(st.input.shape),
                    st.has_initial ? " (initial value stored)" : " (starts at zero)", "\n");
  }
  std::vector<std::string> ops;
  for (const auto& [name, n] : s.op_counts) ops.push_back(absl::StrCat(name, " x", n));
  absl::StrAppend(&out, "ops:        ", s.ops, " (", absl::StrJoin(ops, ", "), ")\n");
  absl::StrAppend(&out, "tensors:    ", s.tensors, "\n");
  absl::StrAppend(&out, "parameters: ", s.parameters, " (", s.constant_bytes, " constant bytes)\n");
  absl::StrAppend(&out, "arena:      ", s.planned_arena_bytes, " bytes planned; ",
                  s.required_arena_bytes, " bytes to run (incl. ", 2 * s.state_bytes,
                  " bytes of state)\n");
  absl::StrAppend(&out, "macs:       ", s.macs, " multiply-adds per call\n");
  absl::StrAppend(&out, "self-test:  ", s.has_self_test ? "yes" : "no", "\n");
  return out;
}

std::string EfmSummaryJson(const EfmSummary& s) {
  std::vector<std::string> inputs, outputs, state, ops;
  for (const auto& t : s.inputs) inputs.push_back(TensorJson(t));
  for (const auto& t : s.outputs) outputs.push_back(TensorJson(t));
  for (const auto& st : s.state) {
    state.push_back(absl::StrCat("{\"input\": ", TensorJson(st.input),
                                 ", \"output\": ", JsonString(st.output),
                                 ", \"has_initial\": ", st.has_initial ? "true" : "false", "}"));
  }
  for (const auto& [name, n] : s.op_counts) ops.push_back(absl::StrCat(JsonString(name), ": ", n));
  return absl::StrCat(
      "{\"name\": ", JsonString(s.name), ", \"producer\": ", JsonString(s.producer),
      ", \"format_version\": ", s.format_version, ", \"inputs\": [", absl::StrJoin(inputs, ", "),
      "], \"outputs\": [", absl::StrJoin(outputs, ", "), "], \"state\": [",
      absl::StrJoin(state, ", "), "], \"ops\": ", s.ops, ", \"op_counts\": {",
      absl::StrJoin(ops, ", "), "}, \"tensors\": ", s.tensors, ", \"parameters\": ", s.parameters,
      ", \"constant_bytes\": ", s.constant_bytes,
      ", \"planned_arena_bytes\": ", s.planned_arena_bytes,
      ", \"required_arena_bytes\": ", s.required_arena_bytes, ", \"state_bytes\": ", s.state_bytes,
      ", \"macs\": ", s.macs, ", \"self_test\": ", s.has_self_test ? "true" : "false", "}");
}

}  // namespace edge::runtime
