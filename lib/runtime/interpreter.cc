// The interpreter: model verification (Create), arena layout, the op loop, state handling.
#include "edge/runtime/interpreter.h"

#include <cstdint>
#include <cstring>
#include <new>

#include "edge/runtime/efm_generated.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/status/try.h"

namespace edge::runtime {
namespace {

constexpr size_t kAlign = 16;
constexpr uint64_t kMaxTensorBytes = 0x7fffffffu;  // 2 GiB - 1: far beyond any device
// Create's bookkeeping uses one bit per tensor on the stack (1 KB at the default).
#ifndef EDGE_RUNTIME_MAX_TENSORS
#define EDGE_RUNTIME_MAX_TENSORS 8192
#endif  // EDGE_RUNTIME_MAX_TENSORS
constexpr uint32_t kMaxTensors = EDGE_RUNTIME_MAX_TENSORS;
constexpr uint32_t kMaxOps = 65535;

constexpr size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

template <typename T>
uint32_t Len(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? 0 : v->size();
}

const char* NameOf(const efm::Tensor* t) {
  return (t->name() != nullptr && t->name()->size() > 0) ? t->name()->c_str() : "(unnamed)";
}

// Shape of tensor `t` (already checked by CheckTensor).
Shape ShapeOf(const efm::Tensor* t) {
  Shape s;
  s.rank = static_cast<int>(Len(t->shape()));
  for (int i = 0; i < s.rank; ++i) s.dims[i] = t->shape()->Get(static_cast<uint32_t>(i));
  return s;
}

// Byte size of tensor `t` (already checked by CheckTensor).
size_t BytesOf(const efm::Tensor* t) {
  return static_cast<size_t>(ShapeOf(t).elements()) * DTypeSize(static_cast<DType>(t->dtype()));
}

struct Layout {
  size_t planned = 0;  // rounded planned region
  size_t state = 0;    // both buffers of every pair
  size_t table = 0;    // Tensor views
  size_t total = 0;
};

// Everything about the model except the op kernels' own checks; fills the layout.
class Verifier {
 public:
  Verifier(const void* data, size_t size, Diagnostic* diag)
      : data_(static_cast<const uint8_t*>(data)), size_(size), diag_(diag) {}

  Status Run(bool check_plan, uint32_t* scratch, size_t scratch_count, Layout* layout) {
    if (data_ == nullptr || size_ < 8) {
      return Fail(diag_, Status::InvalidArgument(), "model is empty or truncated (",
                  static_cast<int64_t>(size_), " bytes)");
    }
    if (reinterpret_cast<uintptr_t>(data_) % kAlign != 0) {
      return Fail(diag_, Status::InvalidArgument(),
                  "model buffer must start at a 16-byte aligned address");
    }
    if (!efm::ModelBufferHasIdentifier(data_)) {
      return Fail(diag_, Status::InvalidArgument(),
                  "not an .efm model (file identifier is not EFM0)");
    }
    flatbuffers::Verifier fbv(data_, size_, /*max_depth=*/32, /*max_tables=*/1000000);
    if (!efm::VerifyModelBuffer(fbv)) {
      return Fail(diag_, Status::InvalidArgument(),
                  "model failed FlatBuffers verification (truncated or corrupt)");
    }
    m_ = efm::GetModel(data_);
    if (m_->format_version() != kEfmFormatVersion) {
      return Fail(diag_, Status::FailedPrecondition(), "model format version ",
                  m_->format_version(), " is not supported (this runtime reads ", kEfmFormatVersion,
                  ")");
    }
    if (Len(m_->tensors()) > kMaxTensors || Len(m_->ops()) > kMaxOps) {
      return Fail(diag_, Status::InvalidArgument(), "model has more than ", kMaxTensors,
                  " tensors or ", kMaxOps, " ops");
    }
    if (Len(m_->op_set()) > kOpSetBytes) {
      return Fail(diag_, Status::InvalidArgument(), "op_set bitmap longer than ", kOpSetBytes,
                  " bytes");
    }
    check_plan_ = check_plan;
    for (uint32_t i = 0; i < Len(m_->tensors()); ++i) EDGE_TRY(CheckTensor(i));
    EDGE_TRY(CheckState());
    EDGE_TRY(CheckGraphIo());
    EDGE_TRY(CheckOps(scratch, scratch_count));
    EDGE_TRY(CheckSelfTest());

    // In 64 bits: on a 32-bit target size_t sums of attacker-chosen sizes could wrap.
    const uint64_t planned = (uint64_t{m_->arena_bytes()} + kAlign - 1) / kAlign * kAlign;
    uint64_t state = 0;
    for (uint32_t i = 0; i < Len(m_->state()); ++i) {
      const uint64_t b = BytesOf(m_->tensors()->Get(m_->state()->Get(i)->input()));
      state += 2 * ((b + kAlign - 1) / kAlign * kAlign);
    }
    // Tensor views, then one OpContext reused by every Invoke (no per-call zeroing of ~1 KB).
    const uint64_t table =
        (uint64_t{sizeof(Tensor)} * Len(m_->tensors()) + kAlign - 1) / kAlign * kAlign +
        AlignUp(sizeof(OpContext), kAlign);
    const uint64_t total = planned + state + table;
    if (total > kMaxTensorBytes * 4 || total > static_cast<uint64_t>(SIZE_MAX)) {
      return Fail(diag_, Status::InvalidArgument(), "model needs an arena larger than 8 GiB");
    }
    layout->planned = static_cast<size_t>(planned);
    layout->state = static_cast<size_t>(state);
    layout->table = static_cast<size_t>(table);
    layout->total = static_cast<size_t>(total);
    return OkStatus();
  }

  const efm::Model* model() const { return m_; }

 private:
  Status TensorFail(uint32_t i, const char* what) {
    return Fail(diag_, Status::InvalidArgument(), "tensor ", i, " '", NameOf(m_->tensors()->Get(i)),
                "': ", what);
  }

  Status CheckTensor(uint32_t i) {
    const efm::Tensor* t = m_->tensors()->Get(i);
    const uint32_t rank = Len(t->shape());
    if (rank > static_cast<uint32_t>(kMaxRank)) return TensorFail(i, "rank above 8");
    const auto dtype = static_cast<uint8_t>(t->dtype());
    if (dtype > static_cast<uint8_t>(efm::DType::MAX)) return TensorFail(i, "unknown dtype");
    uint64_t bytes = DTypeSize(static_cast<DType>(dtype));
    for (uint32_t d = 0; d < rank; ++d) {
      const int32_t dim = t->shape()->Get(d);
      if (dim < 0) return TensorFail(i, "negative dimension");
      bytes *= static_cast<uint64_t>(dim);
      if (bytes > kMaxTensorBytes) return TensorFail(i, "tensor larger than 2 GiB");
    }
    // A zero dim makes the size 0 whatever the others are; kernels still multiply the others
    // (strides, row counts), so their product is bounded too.
    uint64_t nonzero = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      const int32_t dim = t->shape()->Get(d);
      if (dim > 0) nonzero *= static_cast<uint64_t>(dim);
      if (nonzero > kMaxTensorBytes) return TensorFail(i, "dimensions too large");
    }
    switch (t->kind()) {
      case efm::TensorKind::Constant: {
        if (t->buffer() < 0 || static_cast<uint32_t>(t->buffer()) >= Len(m_->buffers())) {
          return TensorFail(i, "constant buffer index out of range");
        }
        const auto* data = m_->buffers()->Get(static_cast<uint32_t>(t->buffer()))->data();
        if (Len(data) != bytes) return TensorFail(i, "constant buffer size does not match shape");
        if (data != nullptr && reinterpret_cast<uintptr_t>(data->data()) % 4 != 0) {
          return TensorFail(i, "constant buffer is not 4-byte aligned");
        }
        break;
      }
      case efm::TensorKind::Activation:
        if (check_plan_) {
          if (t->arena_offset() % 4 != 0) return TensorFail(i, "arena offset not 4-byte aligned");
          if (static_cast<uint64_t>(t->arena_offset()) + bytes > m_->arena_bytes()) {
            return TensorFail(i, "arena offset + size beyond arena_bytes");
          }
        }
        break;
      case efm::TensorKind::StateIn:
      case efm::TensorKind::StateOut:
        break;
      default:
        return TensorFail(i, "unknown tensor kind");
    }
    return OkStatus();
  }

  bool IndexOk(int32_t idx) const {
    return idx >= 0 && static_cast<uint32_t>(idx) < Len(m_->tensors());
  }

  Status CheckState() {
    const uint32_t n = Len(m_->state());
    uint32_t state_tensors = 0;
    for (uint32_t i = 0; i < Len(m_->tensors()); ++i) {
      const auto k = m_->tensors()->Get(i)->kind();
      if (k == efm::TensorKind::StateIn || k == efm::TensorKind::StateOut) ++state_tensors;
    }
    if (state_tensors != 2 * n) {
      return Fail(diag_, Status::InvalidArgument(),
                  "every StateIn/StateOut tensor must belong to exactly one state pair");
    }
    for (uint32_t p = 0; p < n; ++p) {
      const efm::StatePair* sp = m_->state()->Get(p);
      if (!IndexOk(sp->input()) || !IndexOk(sp->output())) {
        return Fail(diag_, Status::InvalidArgument(), "state pair ", p,
                    ": tensor index out of range");
      }
      const efm::Tensor* in = m_->tensors()->Get(static_cast<uint32_t>(sp->input()));
      const efm::Tensor* out = m_->tensors()->Get(static_cast<uint32_t>(sp->output()));
      if (in->kind() != efm::TensorKind::StateIn || out->kind() != efm::TensorKind::StateOut) {
        return Fail(diag_, Status::InvalidArgument(), "state pair ", p,
                    ": input must be a StateIn and output a StateOut tensor");
      }
      for (uint32_t q = 0; q < p; ++q) {
        const efm::StatePair* o = m_->state()->Get(q);
        if (o->input() == sp->input() || o->output() == sp->output()) {
          return Fail(diag_, Status::InvalidArgument(), "state pair ", p, " repeats a tensor");
        }
      }
      if (in->dtype() != out->dtype() || ShapeOf(in) != ShapeOf(out)) {
        return Fail(diag_, Status::InvalidArgument(), "state pair ", p, " ('", NameOf(in), "' -> '",
                    NameOf(out), "'): dtype or shape differ");
      }
      if (sp->initial() != -1) {
        if (sp->initial() < 0 || static_cast<uint32_t>(sp->initial()) >= Len(m_->buffers())) {
          return Fail(diag_, Status::InvalidArgument(), "state pair ", p,
                      ": initial buffer index out of range");
        }
        const auto* data = m_->buffers()->Get(static_cast<uint32_t>(sp->initial()))->data();
        if (Len(data) != BytesOf(in)) {
          return Fail(diag_, Status::InvalidArgument(), "state pair ", p,
                      ": initial value size does not match the state tensor");
        }
      }
    }
    return OkStatus();
  }

  Status CheckIoList(const flatbuffers::Vector<int32_t>* list, const char* what) {
    for (uint32_t i = 0; i < Len(list); ++i) {
      const int32_t idx = list->Get(i);
      if (!IndexOk(idx)) {
        return Fail(diag_, Status::InvalidArgument(), what, " ", i, ": tensor index out of range");
      }
      if (m_->tensors()->Get(static_cast<uint32_t>(idx))->kind() != efm::TensorKind::Activation) {
        return Fail(diag_, Status::InvalidArgument(), what, " ", i,
                    ": must be an arena (Activation) tensor");
      }
      for (uint32_t j = 0; j < i; ++j) {
        if (list->Get(j) == idx) {
          return Fail(diag_, Status::InvalidArgument(), what, " ", i, ": listed twice");
        }
      }
    }
    return OkStatus();
  }

  Status CheckGraphIo() {
    EDGE_TRY(CheckIoList(m_->inputs(), "graph input"));
    EDGE_TRY(CheckIoList(m_->outputs(), "graph output"));
    for (uint32_t i = 0; i < Len(m_->inputs()); ++i) {
      for (uint32_t j = 0; j < Len(m_->outputs()); ++j) {
        if (m_->inputs()->Get(i) == m_->outputs()->Get(j)) {
          return Fail(diag_, Status::InvalidArgument(), "tensor ", m_->inputs()->Get(i),
                      " is both a graph input and a graph output");
        }
      }
    }
    return OkStatus();
  }

  // Tensors written so far; sized for the largest model (bit per tensor, no heap).
  bool Written(int32_t idx) const { return (written_[idx / 32] >> (idx % 32)) & 1u; }
  void SetWritten(int32_t idx) { written_[idx / 32] |= 1u << (idx % 32); }

  Status CheckOps(uint32_t* scratch, size_t scratch_count) {
    for (auto& w : written_) w = 0;
    for (uint32_t i = 0; i < Len(m_->inputs()); ++i) SetWritten(m_->inputs()->Get(i));
    OpContext ctx;
    ctx.diag = diag_;
    for (uint32_t o = 0; o < Len(m_->ops()); ++o) {
      const efm::Op* op = m_->ops()->Get(o);
      ctx.op = op;
      ctx.type = op->type();
      ctx.index = static_cast<int>(o);
      if (!IsSupportedOp(op->type())) {
        internal::OpFailPrefix(ctx);
        if (diag_ != nullptr)
          diag_->Append("op type ")
              .Append(static_cast<int>(op->type()))
              .Append(" is not implemented by this runtime");
        return Status::Unimplemented();
      }
      const auto bit = static_cast<uint32_t>(op->type());
      if (Len(m_->op_set()) > 0 &&
          (bit / 8 >= Len(m_->op_set()) || ((m_->op_set()->Get(bit / 8) >> (bit % 8)) & 1u) == 0)) {
        return OpFail(ctx, "op type missing from the model's op_set");
      }
      if (Len(op->inputs()) > static_cast<uint32_t>(kMaxOpInputs) ||
          Len(op->outputs()) > static_cast<uint32_t>(kMaxOpOutputs)) {
        return OpFail(ctx, "too many inputs or outputs");
      }
      ctx.num_inputs = static_cast<int>(Len(op->inputs()));
      ctx.num_outputs = static_cast<int>(Len(op->outputs()));
      for (int k = 0; k < ctx.num_inputs; ++k) {
        const int32_t idx = op->inputs()->Get(static_cast<uint32_t>(k));
        ctx.inputs[k] = Tensor{};
        if (idx == -1) continue;
        if (!IndexOk(idx)) return OpFail(ctx, "input ", k, ": tensor index out of range");
        const efm::Tensor* t = m_->tensors()->Get(static_cast<uint32_t>(idx));
        const bool ready = t->kind() == efm::TensorKind::Constant ||
                           t->kind() == efm::TensorKind::StateIn || Written(idx);
        if (!ready) {
          return OpFail(ctx, "input ", k, " reads tensor '", NameOf(t), "' before it is written");
        }
        ctx.inputs[k] = Tensor{true, static_cast<DType>(t->dtype()), ShapeOf(t), nullptr};
      }
      for (int k = 0; k < ctx.num_outputs; ++k) {
        const int32_t idx = op->outputs()->Get(static_cast<uint32_t>(k));
        ctx.outputs[k] = Tensor{};
        if (idx == -1) continue;
        if (!IndexOk(idx)) return OpFail(ctx, "output ", k, ": tensor index out of range");
        const efm::Tensor* t = m_->tensors()->Get(static_cast<uint32_t>(idx));
        if (t->kind() != efm::TensorKind::Activation && t->kind() != efm::TensorKind::StateOut) {
          return OpFail(ctx, "output ", k, " writes constant or state-input tensor '", NameOf(t),
                        "'");
        }
        if (Written(idx))
          return OpFail(ctx, "output ", k, " tensor '", NameOf(t), "' written twice");
        SetWritten(idx);
        ctx.outputs[k] = Tensor{true, static_cast<DType>(t->dtype()), ShapeOf(t), nullptr};
      }
      if (check_plan_) EDGE_TRY(CheckDisjoint(ctx, op));
      size_t need = 0;
      EDGE_TRY(PrepareOp(ctx, &need));
      if (scratch != nullptr && o < scratch_count) scratch[o] = static_cast<uint32_t>(need);
      if (check_plan_) {
        if (op->scratch_bytes() < need) {
          return OpFail(ctx, "needs ", static_cast<int64_t>(need), " scratch bytes, plan gives ",
                        op->scratch_bytes());
        }
        if (op->scratch_bytes() > 0 &&
            (op->scratch_offset() % kAlign != 0 ||
             static_cast<uint64_t>(op->scratch_offset()) + op->scratch_bytes() >
                 m_->arena_bytes())) {
          return OpFail(ctx, "scratch outside the arena or misaligned");
        }
      }
    }
    for (uint32_t i = 0; i < Len(m_->outputs()); ++i) {
      if (!Written(m_->outputs()->Get(i))) {
        return Fail(diag_, Status::InvalidArgument(), "graph output ", i, " is never written");
      }
    }
    for (uint32_t p = 0; p < Len(m_->state()); ++p) {
      if (!Written(m_->state()->Get(p)->output())) {
        return Fail(diag_, Status::InvalidArgument(), "state pair ", p,
                    ": output is never written");
      }
    }
    return OkStatus();
  }

  // The arena range [begin, end) of tensor idx, or an empty range if it is not in the arena.
  void ArenaRange(int32_t idx, uint64_t* begin, uint64_t* end) const {
    *begin = *end = 0;
    if (idx < 0) return;
    const efm::Tensor* t = m_->tensors()->Get(static_cast<uint32_t>(idx));
    if (t->kind() != efm::TensorKind::Activation) return;
    *begin = t->arena_offset();
    *end = *begin + BytesOf(t);
  }

  // Kernels assume an op's outputs and scratch overlap neither its inputs nor each other (the
  // compiler's plan guarantees it; a hand-made model must not be able to break it).
  Status CheckDisjoint(const OpContext& ctx, const efm::Op* op) {
    const uint32_t n_in = Len(op->inputs());
    const uint32_t n_out = Len(op->outputs());
    const uint64_t s_begin = op->scratch_offset();
    const uint64_t s_end = op->scratch_bytes() > 0 ? s_begin + op->scratch_bytes() : s_begin;
    auto overlaps = [](uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
      return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
    };
    for (uint32_t k = 0; k < n_out; ++k) {
      uint64_t o0, o1;
      ArenaRange(op->outputs()->Get(k), &o0, &o1);
      if (overlaps(o0, o1, s_begin, s_end)) return OpFail(ctx, "output ", k, " overlaps scratch");
      for (uint32_t j = 0; j < n_in; ++j) {
        uint64_t i0, i1;
        ArenaRange(op->inputs()->Get(j), &i0, &i1);
        if (overlaps(o0, o1, i0, i1)) {
          return OpFail(ctx, "output ", k, " overlaps input ", j, " in the arena");
        }
      }
      for (uint32_t j = 0; j < k; ++j) {
        uint64_t p0, p1;
        ArenaRange(op->outputs()->Get(j), &p0, &p1);
        if (overlaps(o0, o1, p0, p1)) {
          return OpFail(ctx, "outputs ", j, " and ", k, " overlap in the arena");
        }
      }
    }
    for (uint32_t j = 0; j < n_in; ++j) {
      uint64_t i0, i1;
      ArenaRange(op->inputs()->Get(j), &i0, &i1);
      if (overlaps(i0, i1, s_begin, s_end)) return OpFail(ctx, "input ", j, " overlaps scratch");
    }
    return OkStatus();
  }

  Status CheckVectorBuffers(const flatbuffers::Vector<int32_t>* bufs,
                            const flatbuffers::Vector<int32_t>* tensors, const char* what) {
    if (Len(bufs) != Len(tensors)) {
      return Fail(diag_, Status::InvalidArgument(), "self-test has ", Len(bufs), " ", what,
                  " values, the graph has ", Len(tensors));
    }
    for (uint32_t i = 0; i < Len(bufs); ++i) {
      const int32_t b = bufs->Get(i);
      if (b < 0 || static_cast<uint32_t>(b) >= Len(m_->buffers())) {
        return Fail(diag_, Status::InvalidArgument(), "self-test ", what, " ", i,
                    ": buffer index out of range");
      }
      const auto* data = m_->buffers()->Get(static_cast<uint32_t>(b))->data();
      if (Len(data) != BytesOf(m_->tensors()->Get(static_cast<uint32_t>(tensors->Get(i))))) {
        return Fail(diag_, Status::InvalidArgument(), "self-test ", what, " ", i,
                    ": size does not match the tensor");
      }
    }
    return OkStatus();
  }

  Status CheckSelfTest() {
    const efm::SelfTest* st = m_->self_test();
    if (st == nullptr) return OkStatus();
    EDGE_TRY(CheckVectorBuffers(st->inputs(), m_->inputs(), "input"));
    return CheckVectorBuffers(st->outputs(), m_->outputs(), "output");
  }

  const uint8_t* data_;
  size_t size_;
  Diagnostic* diag_;
  const efm::Model* m_ = nullptr;
  bool check_plan_ = true;
  uint32_t written_[(kMaxTensors + 32) / 32] = {};
};

void CopyBytes(void* dst, const void* src, size_t n) {
  if (n != 0) std::memcpy(dst, src, n);
}

void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t GetLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

Status VerifyModel(const void* model, size_t size, bool check_plan, uint32_t* scratch_bytes,
                   size_t scratch_count, Diagnostic* diag) {
  DiagClear(diag);
  Verifier v(model, size, diag);
  Layout layout;
  return v.Run(check_plan, scratch_bytes, scratch_count, &layout);
}

Result<size_t> Interpreter::RequiredArenaBytes(const void* model, size_t size, Diagnostic* diag) {
  DiagClear(diag);
  Verifier v(model, size, diag);
  Layout layout;
  EDGE_TRY(v.Run(true, nullptr, 0, &layout));
  return layout.total;
}

Result<Interpreter> Interpreter::Create(const void* model, size_t size, void* arena,
                                        size_t arena_size, InterpreterOptions options,
                                        Diagnostic* diag) {
  DiagClear(diag);
  Verifier v(model, size, diag);
  Layout layout;
  EDGE_TRY(v.Run(true, nullptr, 0, &layout));
  if (arena == nullptr || reinterpret_cast<uintptr_t>(arena) % kAlign != 0) {
    return Fail(diag, Status::InvalidArgument(), "arena must be a 16-byte aligned buffer");
  }
  if (arena_size < layout.total) {
    return Fail(diag, Status::ResourceExhausted(), "arena too small: model needs ",
                static_cast<int64_t>(layout.total), " bytes, got ",
                static_cast<int64_t>(arena_size));
  }
  const efm::Model* m = v.model();
  auto* base = static_cast<uint8_t*>(arena);
  Interpreter interp;
  interp.model_ = m;
  interp.options_ = options;
  interp.planned_ = base;
  interp.tensors_ = reinterpret_cast<Tensor*>(base + layout.planned + layout.state);
  interp.arena_used_ = layout.total;
  interp.context_ = new (base + layout.planned + layout.state +
                         AlignUp(sizeof(Tensor) * Len(m->tensors()), kAlign)) OpContext();
  const uint32_t n = Len(m->tensors());
  for (uint32_t i = 0; i < n; ++i) {
    const efm::Tensor* t = m->tensors()->Get(i);
    Tensor* view = new (&interp.tensors_[i]) Tensor{};  // placement: the arena is raw bytes
    view->present = true;
    view->dtype = static_cast<DType>(t->dtype());
    view->shape = ShapeOf(t);
    if (t->kind() == efm::TensorKind::Constant) {
      const auto* data = m->buffers()->Get(static_cast<uint32_t>(t->buffer()))->data();
      view->data = data == nullptr ? nullptr : const_cast<uint8_t*>(data->data());
    } else if (t->kind() == efm::TensorKind::Activation) {
      view->data = base + t->arena_offset();
    }
  }
  uint8_t* state = base + layout.planned;
  for (uint32_t p = 0; p < Len(m->state()); ++p) {
    const efm::StatePair* sp = m->state()->Get(p);
    const size_t bytes = AlignUp(interp.tensors_[sp->input()].bytes(), kAlign);
    interp.tensors_[sp->input()].data = state;
    interp.tensors_[sp->output()].data = state + bytes;
    state += 2 * bytes;
  }
  interp.Reset();
  return interp;
}

Interpreter::Interpreter(Interpreter&& other) noexcept = default;
Interpreter& Interpreter::operator=(Interpreter&& other) noexcept = default;

Status Interpreter::Invoke(Diagnostic* diag) {
  DiagClear(diag);
  const auto* ops = model_->ops();
  OpContext& ctx = *context_;
  ctx.diag = diag;
  ctx.reference = options_.reference_kernels;
  for (uint32_t o = 0; o < Len(ops); ++o) {
    const efm::Op* op = ops->Get(o);
    ctx.op = op;
    ctx.type = op->type();
    ctx.index = static_cast<int>(o);
    ctx.num_inputs = static_cast<int>(Len(op->inputs()));
    ctx.num_outputs = static_cast<int>(Len(op->outputs()));
    for (int k = 0; k < ctx.num_inputs; ++k) {
      const int32_t idx = op->inputs()->Get(static_cast<uint32_t>(k));
      if (idx < 0) {
        ctx.inputs[k].present = false;
      } else {
        ctx.inputs[k] = tensors_[idx];
      }
    }
    for (int k = 0; k < ctx.num_outputs; ++k) {
      const int32_t idx = op->outputs()->Get(static_cast<uint32_t>(k));
      if (idx < 0) {
        ctx.outputs[k].present = false;
      } else {
        ctx.outputs[k] = tensors_[idx];
      }
    }
    ctx.scratch = op->scratch_bytes() > 0 ? planned_ + op->scratch_offset() : nullptr;
    ctx.scratch_bytes = op->scratch_bytes();
    Status s = EvalOp(ctx);
    if (!s.ok()) {
      if (diag != nullptr && diag->empty()) {  // a kernel that gave no reason still names the op
        internal::OpFailPrefix(ctx);
        diag->Append("failed");
      }
      return s;
    }
  }
  for (uint32_t p = 0; p < Len(model_->state()); ++p) {
    const efm::StatePair* sp = model_->state()->Get(p);
    void* tmp = tensors_[sp->input()].data;
    tensors_[sp->input()].data = tensors_[sp->output()].data;
    tensors_[sp->output()].data = tmp;
  }
  return OkStatus();
}

void Interpreter::Reset() {
  for (uint32_t p = 0; p < Len(model_->state()); ++p) {
    const efm::StatePair* sp = model_->state()->Get(p);
    Tensor& in = tensors_[sp->input()];
    if (sp->initial() >= 0) {
      const auto* data = model_->buffers()->Get(static_cast<uint32_t>(sp->initial()))->data();
      CopyBytes(in.data, data->data(), in.bytes());
    } else if (in.bytes() != 0) {
      std::memset(in.data, 0, in.bytes());
    }
  }
}

size_t Interpreter::num_inputs() const { return Len(model_->inputs()); }
size_t Interpreter::num_outputs() const { return Len(model_->outputs()); }
Tensor Interpreter::input(size_t i) const {
  return tensors_[model_->inputs()->Get(static_cast<uint32_t>(i))];
}
Tensor Interpreter::output(size_t i) const {
  return tensors_[model_->outputs()->Get(static_cast<uint32_t>(i))];
}

namespace {
const char* TensorName(const efm::Model* m, int32_t idx) {
  const efm::Tensor* t = m->tensors()->Get(static_cast<uint32_t>(idx));
  return t->name() != nullptr ? t->name()->c_str() : "";
}
int FindIn(const efm::Model* m, const flatbuffers::Vector<int32_t>* list, const char* name) {
  for (uint32_t i = 0; i < Len(list); ++i) {
    if (std::strcmp(TensorName(m, list->Get(i)), name) == 0) return static_cast<int>(i);
  }
  return -1;
}
}  // namespace

const char* Interpreter::input_name(size_t i) const {
  return TensorName(model_, model_->inputs()->Get(static_cast<uint32_t>(i)));
}
const char* Interpreter::output_name(size_t i) const {
  return TensorName(model_, model_->outputs()->Get(static_cast<uint32_t>(i)));
}
int Interpreter::FindInput(const char* name) const {
  return FindIn(model_, model_->inputs(), name);
}
int Interpreter::FindOutput(const char* name) const {
  return FindIn(model_, model_->outputs(), name);
}

size_t Interpreter::num_states() const { return Len(model_->state()); }
Tensor Interpreter::state(size_t i) const {
  return tensors_[model_->state()->Get(static_cast<uint32_t>(i))->input()];
}
const char* Interpreter::state_input_name(size_t i) const {
  return TensorName(model_, model_->state()->Get(static_cast<uint32_t>(i))->input());
}
const char* Interpreter::state_output_name(size_t i) const {
  return TensorName(model_, model_->state()->Get(static_cast<uint32_t>(i))->output());
}
int Interpreter::FindState(const char* input_name) const {
  for (uint32_t i = 0; i < Len(model_->state()); ++i) {
    if (std::strcmp(state_input_name(i), input_name) == 0) return static_cast<int>(i);
  }
  return -1;
}

size_t Interpreter::state_export_bytes() const {
  size_t n = kStateHeaderBytes;
  for (size_t i = 0; i < num_states(); ++i) n += state(i).bytes();
  return n;
}

StatusWithSize Interpreter::ExportState(void* out, size_t cap) const {
  const size_t total = state_export_bytes();
  if (cap < total) return StatusWithSize(Status::ResourceExhausted(), 0);
  auto* p = static_cast<uint8_t*>(out);
  std::memcpy(p, "EST1", 4);
  PutLe32(p + 4, static_cast<uint32_t>(total - kStateHeaderBytes));
  size_t at = kStateHeaderBytes;
  for (size_t i = 0; i < num_states(); ++i) {
    const Tensor t = state(i);
    CopyBytes(p + at, t.data, t.bytes());
    at += t.bytes();
  }
  return StatusWithSize(total);
}

Status Interpreter::ImportState(const void* data, size_t size, Diagnostic* diag) {
  DiagClear(diag);
  const size_t total = state_export_bytes();
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < kStateHeaderBytes || std::memcmp(p, "EST1", 4) != 0) {
    return Fail(diag, Status::InvalidArgument(), "state blob: missing EST1 header");
  }
  if (GetLe32(p + 4) != total - kStateHeaderBytes || size != total) {
    return Fail(diag, Status::InvalidArgument(), "state blob holds ", static_cast<int64_t>(size),
                " bytes; this model's state is ", static_cast<int64_t>(total), " bytes");
  }
  size_t at = kStateHeaderBytes;
  for (size_t i = 0; i < num_states(); ++i) {
    const Tensor t = state(i);
    CopyBytes(t.data, p + at, t.bytes());
    at += t.bytes();
  }
  return OkStatus();
}

Status Interpreter::RunSelfTest(Diagnostic* diag) {
  DiagClear(diag);
  const efm::SelfTest* st = model_->self_test();
  if (st == nullptr) return Fail(diag, Status::NotFound(), "model has no self-test vector");
  Reset();
  for (size_t i = 0; i < num_inputs(); ++i) {
    const Tensor t = input(i);
    const auto* data = model_->buffers()
                           ->Get(static_cast<uint32_t>(st->inputs()->Get(static_cast<uint32_t>(i))))
                           ->data();
    CopyBytes(t.data, data->data(), t.bytes());
  }
  Status s = Invoke(diag);
  if (!s.ok()) {
    Reset();
    return s;
  }
  for (size_t o = 0; o < num_outputs(); ++o) {
    const Tensor t = output(o);
    const auto* want_bytes =
        model_->buffers()
            ->Get(static_cast<uint32_t>(st->outputs()->Get(static_cast<uint32_t>(o))))
            ->data()
            ->data();
    const int64_t n = t.elements();
    for (int64_t e = 0; e < n; ++e) {
      bool ok;
      if (t.dtype == DType::kF32) {
        float got, want;
        std::memcpy(&got, static_cast<const uint8_t*>(t.data) + 4 * e, 4);
        std::memcpy(&want, want_bytes + 4 * e, 4);
        const float diff = got > want ? got - want : want - got;
        const float mag = want < 0 ? -want : want;
        ok = (got != got && want != want) || diff <= st->atol() + st->rtol() * mag;
      } else {
        const size_t w = DTypeSize(t.dtype);
        ok = std::memcmp(static_cast<const uint8_t*>(t.data) + w * e, want_bytes + w * e, w) == 0;
      }
      if (!ok) {
        Reset();
        return Fail(diag, Status::DataLoss(), "self-test: output ", static_cast<int64_t>(o), " '",
                    output_name(o), "' element ", e, " is outside tolerance");
      }
    }
  }
  Reset();
  return OkStatus();
}

uint64_t Interpreter::macs() const { return model_->macs(); }

}  // namespace edge::runtime
