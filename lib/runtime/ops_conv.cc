// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareConv(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalConv(const OpContext&) { return Status::Unimplemented(); }
Status PrepareConvTranspose(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalConvTranspose(const OpContext&) { return Status::Unimplemented(); }
Status PreparePool(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalPool(const OpContext&) { return Status::Unimplemented(); }
Status PrepareBatchNorm(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalBatchNorm(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
