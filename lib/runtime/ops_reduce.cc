// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareReduce(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalReduce(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
