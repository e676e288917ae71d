// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareMatMul(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalMatMul(const OpContext&) { return Status::Unimplemented(); }
Status PrepareGemm(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalGemm(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
