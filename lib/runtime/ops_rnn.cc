// placeholder: kernels land here
#include "edge/runtime/internal/op_context.h"
namespace edge::runtime {
Status PrepareLstm(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalLstm(const OpContext&) { return Status::Unimplemented(); }
Status PrepareGru(const OpContext& ctx, size_t*) { return OpFail(ctx, "not implemented yet"); }
Status EvalGru(const OpContext&) { return Status::Unimplemented(); }
}  // namespace edge::runtime
