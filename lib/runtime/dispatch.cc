// OpType -> kernel family. The one place that knows which OpTypes this runtime implements.
#include "edge/runtime/internal/op_context.h"
#include "edge/runtime/interpreter.h"

namespace edge::runtime {
namespace {

using PrepareFn = Status (*)(const OpContext&, size_t*);
using EvalFn = Status (*)(const OpContext&);

struct Family {
  PrepareFn prepare;
  EvalFn eval;
};

#define FAMILY(F) \
  Family { &Prepare##F, &Eval##F }

// nullptr prepare = not implemented by this runtime.
Family FamilyOf(efm::OpType t) {
  using T = efm::OpType;
  switch (t) {
    case T::Copy:
      return FAMILY(Copy);
    case T::Add:
    case T::Sub:
    case T::Mul:
    case T::Div:
    case T::Pow:
    case T::Min:
    case T::Max:
    case T::PRelu:
      return FAMILY(Binary);
    case T::Relu:
    case T::LeakyRelu:
    case T::Sigmoid:
    case T::Tanh:
    case T::HardSigmoid:
    case T::HardSwish:
    case T::Elu:
    case T::Selu:
    case T::Softplus:
    case T::Clip:
    case T::Exp:
    case T::Sqrt:
    case T::Neg:
    case T::Abs:
    case T::Log:
    case T::Reciprocal:
    case T::Floor:
    case T::Ceil:
    case T::Erf:
    case T::Softsign:
    case T::Sin:
    case T::Cos:
      return FAMILY(Unary);
    case T::Softmax:
    case T::LogSoftmax:
      return FAMILY(Softmax);
    case T::Expand:
      return FAMILY(Expand);
    case T::Concat:
      return FAMILY(Concat);
    case T::Slice:
      return FAMILY(Slice);
    case T::Split:
      return FAMILY(Split);
    case T::Transpose:
      return FAMILY(Transpose);
    case T::Gather:
      return FAMILY(Gather);
    case T::Pad:
      return FAMILY(Pad);
    case T::Resize:
      return FAMILY(Resize);
    case T::ReduceMean:
    case T::ReduceSum:
    case T::ReduceMax:
    case T::ReduceMin:
      return FAMILY(Reduce);
    case T::MatMul:
      return FAMILY(MatMul);
    case T::Gemm:
      return FAMILY(Gemm);
    case T::Conv:
      return FAMILY(Conv);
    case T::ConvTranspose:
      return FAMILY(ConvTranspose);
    case T::MaxPool:
    case T::AveragePool:
    case T::GlobalAveragePool:
    case T::GlobalMaxPool:
      return FAMILY(Pool);
    case T::BatchNormalization:
      return FAMILY(BatchNorm);
    case T::LSTM:
      return FAMILY(Lstm);
    case T::GRU:
      return FAMILY(Gru);
    case T::ArgMax:
    case T::ArgMin:
      return FAMILY(Arg);
    case T::LayerNormalization:
      return FAMILY(LayerNorm);
    case T::InstanceNormalization:
      return FAMILY(InstanceNorm);
    case T::Equal:
    case T::Less:
    case T::LessOrEqual:
    case T::Greater:
    case T::GreaterOrEqual:
    case T::And:
    case T::Or:
    case T::Xor:
      return FAMILY(Compare);
    case T::Where:
      return FAMILY(Where);
    case T::Mod:
      return FAMILY(Mod);
    case T::Cast:
      return FAMILY(Cast);
    case T::Not:
    case T::Tan:
    case T::ThresholdedRelu:
    case T::Sign:
    case T::Round:
    case T::Shrink:
    case T::Celu:
      return FAMILY(ExtraUnary);
    case T::CumSum:
      return FAMILY(CumSum);
    case T::Hardmax:
      return FAMILY(Hardmax);
    case T::LpNormalization:
      return FAMILY(LpNorm);
  }
  return Family{nullptr, nullptr};
}

#undef FAMILY

}  // namespace

bool IsSupportedOp(efm::OpType type) { return FamilyOf(type).prepare != nullptr; }

const char* OpTypeName(efm::OpType type) {
  const auto v = static_cast<uint16_t>(type);
  if (v > static_cast<uint16_t>(efm::OpType::MAX)) return "?";
  const char* name = efm::EnumNameOpType(type);
  return (name == nullptr || *name == '\0') ? "?" : name;
}

Status PrepareOp(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  const Family f = FamilyOf(ctx.type);
  if (f.prepare == nullptr) {
    internal::OpFailPrefix(ctx);
    if (ctx.diag != nullptr) ctx.diag->Append("op type not implemented by this runtime");
    return Status::Unimplemented();
  }
  return f.prepare(ctx, scratch_bytes);
}

Status EvalOp(const OpContext& ctx) {
  const Family f = FamilyOf(ctx.type);
  if (f.eval == nullptr) return Status::Unimplemented();
  return f.eval(ctx);
}

namespace internal {
void OpFailPrefix(const OpContext& ctx) {
  if (ctx.diag == nullptr) return;
  ctx.diag->Clear();
  ctx.diag->Append("op ").Append(ctx.index).Append(" (").Append(OpTypeName(ctx.type));
  if (ctx.op != nullptr && ctx.op->name() != nullptr && ctx.op->name()->size() > 0) {
    ctx.diag->Append(" '").Append(ctx.op->name()->c_str()).Append("'");
  }
  ctx.diag->Append("): ");
}
}  // namespace internal

void SupportedOpSet(uint8_t out[kOpSetBytes]) {
  for (size_t i = 0; i < kOpSetBytes; ++i) out[i] = 0;
  for (uint32_t v = 0; v < kOpSetBytes * 8; ++v) {
    if (v > static_cast<uint32_t>(efm::OpType::MAX)) break;
    const auto t = static_cast<efm::OpType>(v);
    if (efm::EnumNameOpType(t)[0] != '\0' && IsSupportedOp(t)) out[v / 8] |= 1u << (v % 8);
  }
}

}  // namespace edge::runtime
