// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareCopy(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalCopy(const OpContext&) { return Status::Unimplemented(); }
Status PrepareBinary(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalBinary(const OpContext&) { return Status::Unimplemented(); }
Status PrepareUnary(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalUnary(const OpContext&) { return Status::Unimplemented(); }
Status PrepareSoftmax(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalSoftmax(const OpContext&) { return Status::Unimplemented(); }
Status PrepareExpand(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalExpand(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
