// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareConcat(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalConcat(const OpContext&) { return Status::Unimplemented(); }
Status PrepareSlice(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalSlice(const OpContext&) { return Status::Unimplemented(); }
Status PrepareSplit(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalSplit(const OpContext&) { return Status::Unimplemented(); }
Status PrepareTranspose(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalTranspose(const OpContext&) { return Status::Unimplemented(); }
Status PrepareGather(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalGather(const OpContext&) { return Status::Unimplemented(); }
Status PreparePad(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalPad(const OpContext&) { return Status::Unimplemented(); }
Status PrepareResize(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalResize(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
