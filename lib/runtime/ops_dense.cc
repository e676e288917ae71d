// Dense kernels: MatMul (numpy semantics) and Gemm, and the f32 matrix-multiply core
// (internal_gemm.h) that the convolution and recurrent kernels share.
//
// The core's main path computes, for one or four rows of A at a time, a strip of up to 128
// output columns kept in registers while k runs over the rows of B: y[n] += a[k] * B[k][n] over
// contiguous n, which GCC vectorises without reassociating any sum. With one row (batch-1 dense
// layers) the strip starts on a 64-byte boundary of B whenever B's rows are uniformly aligned;
// the columns before and after the aligned body are covered by two overlapping 16-wide segments
// in the same pass (they recompute identical values), so no load splits a cache line and every
// pass keeps enough independent accumulators to hide the FMA latency. Targets without SIMD
// (Cortex-M) compile a compact kernel instead (EDGE_GEMM_COMPACT) with the same summation order.
#include <cstddef>
#include <cstdint>

#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/status/try.h"
#include "internal_gemm.h"
#include "internal_nn.h"

// Hosts with SIMD get the register-blocked kernels below; other targets (Cortex-M) a compact one.
#if !defined(EDGE_GEMM_COMPACT)
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__ARM_NEON)
#define EDGE_GEMM_COMPACT 0
#else
#define EDGE_GEMM_COMPACT 1
#endif
#endif

#if defined(__GNUC__)
#define EDGE_GEMM_INLINE __attribute__((always_inline)) inline
#else
#define EDGE_GEMM_INLINE inline
#endif

#if defined(__GNUC__) && !defined(__clang__)
// GCC's unroll-and-jam (on at -O3) would interleave two k iterations and leave the accumulators
// in memory.
#define EDGE_GEMM_PASS \
  EDGE_KERNEL_CLONES __attribute__((noinline, optimize("no-loop-unroll-and-jam")))
#elif defined(__GNUC__)
#define EDGE_GEMM_PASS __attribute__((noinline))
#else
#define EDGE_GEMM_PASS
#endif

namespace edge::runtime {
namespace internal {
namespace {

// ---- epilogue ----

template <int W>
EDGE_GEMM_INLINE void StoreRow(const float* EDGE_RESTRICT acc, const GemmArgs& g, int m, int col) {
  float* EDGE_RESTRICT y = g.y + m * g.y_rs + col;
  const float alpha = g.alpha;
  if (g.c == nullptr) {
    for (int j = 0; j < W; ++j) y[j] = alpha * acc[j];
  } else {
    const float* EDGE_RESTRICT c = g.c + m * g.c_rs + col * g.c_cs;
    const float beta = g.beta;
    if (g.c_cs == 1) {
      for (int j = 0; j < W; ++j) y[j] = alpha * acc[j] + beta * c[j];
    } else if (g.c_cs == 0) {
      const float cv = beta * c[0];
      for (int j = 0; j < W; ++j) y[j] = alpha * acc[j] + cv;
    } else {
      for (int j = 0; j < W; ++j) y[j] = alpha * acc[j] + beta * c[j * g.c_cs];
    }
  }
  switch (g.act.kind) {
    case efm::FusedActivation::Relu:
      for (int j = 0; j < W; ++j) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
      break;
    case efm::FusedActivation::Clip: {
      const float lo = g.act.lo, hi = g.act.hi;
      for (int j = 0; j < W; ++j) {
        const float v = y[j] < lo ? lo : y[j];
        y[j] = v > hi ? hi : v;
      }
      break;
    }
    default:
      break;
  }
}

#if EDGE_GEMM_COMPACT

// Targets without SIMD (e.g. Cortex-M4F): four scalar accumulators per pass keep the code small;
// the sum still runs over k in ascending order.
void GemmKn(const GemmArgs& g) {
  for (int m = 0; m < g.m; ++m) {
    const float* EDGE_RESTRICT ap = g.a + m * g.a_rs;
    int n = 0;
    for (; n + 4 <= g.n; n += 4) {
      float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      const float* EDGE_RESTRICT rb = g.b + n;
      for (int k = 0; k < g.k; ++k) {
        const float av = ap[k * g.a_cs];
        for (int j = 0; j < 4; ++j) acc[j] += av * rb[j];
        rb += g.b_rs;
      }
      StoreRow<4>(acc, g, m, n);
    }
    for (; n < g.n; ++n) {
      float s = 0.0f;
      for (int k = 0; k < g.k; ++k) s += ap[k * g.a_cs] * g.b[k * g.b_rs + n];
      StoreRow<1>(&s, g, m, n);
    }
  }
}

#else  // !EDGE_GEMM_COMPACT

// ---- B row-major [K, N] (b_cs == 1) ----
//
// Each pass is its own small function (compiled per ISA level) so that its accumulators stay in
// registers. Loops are at least 32 iterations long so that GCC's loop vectoriser, rather than
// early complete unrolling plus SLP, handles them.

// One row of A: columns [body, body + NB) plus kEdges (0, 1 or 2) 32-wide segments at e0, e1.
constexpr int kE = 16;  // width of the edge segments and granularity of the body

template <int NB, int kEdges>
EDGE_GEMM_PASS void RowPass(const GemmArgs& g, int m, int body, int e0, int e1) {
  float acc[NB];
  float h[kE];
  float t[kE];
  for (int j = 0; j < NB; ++j) acc[j] = 0.0f;
  for (int j = 0; j < kE; ++j) h[j] = t[j] = 0.0f;
  const float* EDGE_RESTRICT ap = g.a + m * g.a_rs;
  const ptrdiff_t a_cs = g.a_cs;
  const ptrdiff_t ldb = g.b_rs;
  const float* EDGE_RESTRICT rb = g.b + body;
  const float* EDGE_RESTRICT r0 = g.b + e0;
  const float* EDGE_RESTRICT r1 = g.b + e1;
  for (int k = 0; k < g.k; ++k) {
    const float av = ap[k * a_cs];
    for (int j = 0; j < NB; ++j) acc[j] += av * rb[j];
    rb += ldb;
    if constexpr (kEdges >= 1) {
      for (int j = 0; j < kE; ++j) h[j] += av * r0[j];
      r0 += ldb;
    }
    if constexpr (kEdges >= 2) {
      for (int j = 0; j < kE; ++j) t[j] += av * r1[j];
      r1 += ldb;
    }
  }
  StoreRow<NB>(acc, g, m, body);
  if constexpr (kEdges >= 1) StoreRow<kE>(h, g, m, e0);
  if constexpr (kEdges >= 2) StoreRow<kE>(t, g, m, e1);
}

// One row of A, N < 32: two overlapping W-wide segments [0, W) and [N - W, N).
template <int W>
EDGE_GEMM_PASS void SmallRowPass(const GemmArgs& g, int m) {
  float h[W];
  float t[W];
  for (int j = 0; j < W; ++j) h[j] = t[j] = 0.0f;
  const float* EDGE_RESTRICT ap = g.a + m * g.a_rs;
  const float* EDGE_RESTRICT r0 = g.b;
  const float* EDGE_RESTRICT r1 = g.b + (g.n - W);
  for (int k = 0; k < g.k; ++k) {
    const float av = ap[k * g.a_cs];
    for (int j = 0; j < W; ++j) h[j] += av * r0[j];
    for (int j = 0; j < W; ++j) t[j] += av * r1[j];
    r0 += g.b_rs;
    r1 += g.b_rs;
  }
  StoreRow<W>(h, g, m, 0);
  StoreRow<W>(t, g, m, g.n - W);
}

// One row of A, one column.
void ColumnPass(const GemmArgs& g, int m, int n) {
  float s = 0.0f;
  const float* ap = g.a + m * g.a_rs;
  for (int k = 0; k < g.k; ++k) s += ap[k * g.a_cs] * g.b[k * g.b_rs + n];
  StoreRow<1>(&s, g, m, n);
}

template <int kEdges>
void RowPassN(const GemmArgs& g, int m, int body, int nb, int e0, int e1) {
  switch (nb / 16) {
    case 1:
      return RowPass<16, kEdges>(g, m, body, e0, e1);
    case 2:
      return RowPass<32, kEdges>(g, m, body, e0, e1);
    case 3:
      return RowPass<48, kEdges>(g, m, body, e0, e1);
    case 4:
      return RowPass<64, kEdges>(g, m, body, e0, e1);
    case 5:
      return RowPass<80, kEdges>(g, m, body, e0, e1);
    case 6:
      return RowPass<96, kEdges>(g, m, body, e0, e1);
    case 7:
      return RowPass<112, kEdges>(g, m, body, e0, e1);
    default:
      return RowPass<128, kEdges>(g, m, body, e0, e1);
  }
}

void GemmRowKn(const GemmArgs& g, int m) {
  const int n = g.n;
  if (n >= 32) {
    // Start the body on a 64-byte boundary when every row of B has the same alignment; the
    // columns before and after it (fewer than 16 each) are covered by 16-wide segments at 0 and
    // n - 16.
    int hb = 0;
    const uintptr_t addr = reinterpret_cast<uintptr_t>(g.b);
    if (n >= 64 && g.b_rs % 16 == 0 && addr % sizeof(float) == 0) {
      hb = static_cast<int>(((64 - addr % 64) % 64) / sizeof(float));
    }
    const int be = hb + (n - hb) / kE * kE;
    int c = hb;
    while (be - c > 128) {
      RowPass<128, 0>(g, m, c, 0, 0);
      c += 128;
    }
    const bool head = hb > 0, tail = be < n;
    if (head && tail) {
      RowPassN<2>(g, m, c, be - c, 0, n - kE);
    } else if (head || tail) {
      RowPassN<1>(g, m, c, be - c, head ? 0 : n - kE, 0);
    } else {
      RowPassN<0>(g, m, c, be - c, 0, 0);
    }
  } else if (n >= 16) {
    SmallRowPass<16>(g, m);
  } else if (n >= 8) {
    SmallRowPass<8>(g, m);
  } else if (n >= 4) {
    SmallRowPass<4>(g, m);
  } else {
    for (int j = 0; j < n; ++j) ColumnPass(g, m, j);
  }
}

// Four rows of A, columns [col, col + NB).
template <int NB>
EDGE_GEMM_PASS void Rows4Pass(const GemmArgs& g, int m, int col) {
  float c0[NB], c1[NB], c2[NB], c3[NB];
  for (int j = 0; j < NB; ++j) c0[j] = c1[j] = c2[j] = c3[j] = 0.0f;
  const float* EDGE_RESTRICT a0 = g.a + m * g.a_rs;
  const float* EDGE_RESTRICT a1 = a0 + g.a_rs;
  const float* EDGE_RESTRICT a2 = a1 + g.a_rs;
  const float* EDGE_RESTRICT a3 = a2 + g.a_rs;
  const ptrdiff_t a_cs = g.a_cs;
  const float* EDGE_RESTRICT rb = g.b + col;
  for (int k = 0; k < g.k; ++k) {
    const float v0 = a0[k * a_cs], v1 = a1[k * a_cs], v2 = a2[k * a_cs], v3 = a3[k * a_cs];
    for (int j = 0; j < NB; ++j) {
      const float bv = rb[j];
      c0[j] += v0 * bv;
      c1[j] += v1 * bv;
      c2[j] += v2 * bv;
      c3[j] += v3 * bv;
    }
    rb += g.b_rs;
  }
  StoreRow<NB>(c0, g, m, col);
  StoreRow<NB>(c1, g, m + 1, col);
  StoreRow<NB>(c2, g, m + 2, col);
  StoreRow<NB>(c3, g, m + 3, col);
}

// Rows [0, m4) of A in blocks of four; requires n >= 16. Strips of B columns are the outer loop
// so that a strip stays in L1 while every row block uses it; the last strip overlaps the one
// before it.
void GemmRows4Kn(const GemmArgs& g, int m4) {
  constexpr int kStrip = 32;
  const int n = g.n;
  if (n < kStrip) {
    for (int m = 0; m < m4; m += 4) {
      Rows4Pass<16>(g, m, 0);
      if (n > 16) Rows4Pass<16>(g, m, n - 16);
    }
    return;
  }
  for (int c = 0; c < n; c += kStrip) {
    const int col = c + kStrip <= n ? c : n - kStrip;
    for (int m = 0; m < m4; m += 4) Rows4Pass<kStrip>(g, m, col);
  }
}

void GemmKn(const GemmArgs& g) {
  int m = 0;
  if (g.n >= 16 && g.m >= 4) {
    m = g.m / 4 * 4;
    GemmRows4Kn(g, m);
  }
  for (; m < g.m; ++m) GemmRowKn(g, m);
}

#endif  // EDGE_GEMM_COMPACT

// ---- B column-major (b_rs == 1, B(k, n) = b[n * b_cs + k]) with contiguous A rows ----

EDGE_GEMM_INLINE float Sum16(const float* EDGE_RESTRICT s) {
  float t[8];
  for (int j = 0; j < 8; ++j) t[j] = s[j] + s[j + 8];
  for (int j = 0; j < 4; ++j) t[j] += t[j + 4];
  return (t[0] + t[2]) + (t[1] + t[3]);
}

EDGE_GEMM_PASS void DotPass4(const GemmArgs& g, int m, int n0) {
  float s0[16], s1[16], s2[16], s3[16];
  for (int j = 0; j < 16; ++j) s0[j] = s1[j] = s2[j] = s3[j] = 0.0f;
  const float* EDGE_RESTRICT a = g.a + m * g.a_rs;
  const float* EDGE_RESTRICT b0 = g.b + n0 * g.b_cs;
  const float* EDGE_RESTRICT b1 = b0 + g.b_cs;
  const float* EDGE_RESTRICT b2 = b1 + g.b_cs;
  const float* EDGE_RESTRICT b3 = b2 + g.b_cs;
  const int k16 = g.k / 16 * 16;
  for (int k = 0; k < k16; k += 16) {
    for (int j = 0; j < 16; ++j) {
      const float av = a[k + j];
      s0[j] += av * b0[k + j];
      s1[j] += av * b1[k + j];
      s2[j] += av * b2[k + j];
      s3[j] += av * b3[k + j];
    }
  }
  float r[4] = {Sum16(s0), Sum16(s1), Sum16(s2), Sum16(s3)};
  for (int k = k16; k < g.k; ++k) {
    const float av = a[k];
    r[0] += av * b0[k];
    r[1] += av * b1[k];
    r[2] += av * b2[k];
    r[3] += av * b3[k];
  }
  // Columns n0..n0+3 are contiguous in Y; C may have any column stride.
  StoreRow<4>(r, g, m, n0);
}

EDGE_GEMM_PASS void DotPass1(const GemmArgs& g, int m, int n0) {
  float s0[16];
  for (int j = 0; j < 16; ++j) s0[j] = 0.0f;
  const float* EDGE_RESTRICT a = g.a + m * g.a_rs;
  const float* EDGE_RESTRICT b0 = g.b + n0 * g.b_cs;
  const int k16 = g.k / 16 * 16;
  for (int k = 0; k < k16; k += 16) {
    for (int j = 0; j < 16; ++j) s0[j] += a[k + j] * b0[k + j];
  }
  float r = Sum16(s0);
  for (int k = k16; k < g.k; ++k) r += a[k] * b0[k];
  StoreRow<1>(&r, g, m, n0);
}

void GemmNk(const GemmArgs& g) {
  for (int m = 0; m < g.m; ++m) {
    int n = 0;
    for (; n + 4 <= g.n; n += 4) DotPass4(g, m, n);
    for (; n < g.n; ++n) DotPass1(g, m, n);
  }
}

}  // namespace

void Gemm(const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.b_cs == 1) return GemmKn(g);
  if (g.b_rs == 1 && g.a_cs == 1) return GemmNk(g);
  GemmReference(g);
}

void GemmReference(const GemmArgs& g) {
  for (int m = 0; m < g.m; ++m) {
    for (int n = 0; n < g.n; ++n) {
      float s = 0.0f;
      for (int k = 0; k < g.k; ++k)
        s += g.a[m * g.a_rs + k * g.a_cs] * g.b[k * g.b_rs + n * g.b_cs];
      float v = g.alpha * s;
      if (g.c != nullptr) v += g.beta * g.c[m * g.c_rs + n * g.c_cs];
      float* y = g.y + m * g.y_rs + n;
      *y = v;
      ApplyFusedActivation(g.act, y, 1);
    }
  }
}

}  // namespace internal

namespace {

using internal::FusedActOf;
using internal::FusedActValid;
using internal::GemmArgs;
using internal::HasInput;
using internal::HasOutput;

Status CheckF32(const OpContext& ctx, const Tensor& t, const char* what) {
  if (t.dtype != DType::kF32) return OpFail(ctx, what, " must be f32");
  return OkStatus();
}

// ---- MatMul ----

struct MatMulPlan {
  int m = 0, n = 0, k = 0;
  int batch_rank = 0;  // output batch dims
  int32_t batch[kMaxRank] = {};
  int64_t a_stride[kMaxRank] = {};  // per output batch dim, in elements (0 when broadcast)
  int64_t b_stride[kMaxRank] = {};
  int64_t batches = 1;
  FusedAct act;
};

Status PlanMatMul(const OpContext& ctx, MatMulPlan* p) {
  if (ctx.num_inputs < 2 || !HasInput(ctx, 0) || !HasInput(ctx, 1) || !HasOutput(ctx, 0)) {
    return OpFail(ctx, "expects inputs A, B and output Y");
  }
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  const Tensor& y = ctx.outputs[0];
  EDGE_TRY(CheckF32(ctx, a, "A"));
  EDGE_TRY(CheckF32(ctx, b, "B"));
  EDGE_TRY(CheckF32(ctx, y, "Y"));
  const int ra = a.shape.rank, rb = b.shape.rank;
  if (ra < 1 || rb < 1) return OpFail(ctx, "A and B must have rank >= 1");
  p->k = a.shape.dims[ra - 1];
  p->m = ra >= 2 ? a.shape.dims[ra - 2] : 1;
  const int kb = rb >= 2 ? b.shape.dims[rb - 2] : b.shape.dims[0];
  p->n = rb >= 2 ? b.shape.dims[rb - 1] : 1;
  if (kb != p->k) return OpFail(ctx, "inner dimensions differ: A has ", p->k, ", B has ", kb);
  const int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
  p->batch_rank = ba > bb ? ba : bb;
  Shape want;
  want.rank = p->batch_rank + (ra >= 2 ? 1 : 0) + (rb >= 2 ? 1 : 0);
  if (want.rank > kMaxRank) return OpFail(ctx, "output rank too large");
  // Element strides of the batch dims of A and B (their matrices are contiguous).
  int64_t sa = static_cast<int64_t>(p->m) * p->k, sb = static_cast<int64_t>(p->k) * p->n;
  p->batches = 1;
  for (int i = p->batch_rank - 1; i >= 0; --i) {
    const int ia = i - (p->batch_rank - ba), ib = i - (p->batch_rank - bb);
    const int32_t da = ia >= 0 ? a.shape.dims[ia] : 1;
    const int32_t db = ib >= 0 ? b.shape.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      return OpFail(ctx, "batch dimension ", i, " does not broadcast: ", da, " vs ", db);
    }
    const int32_t d = da == 1 ? db : da;
    p->batch[i] = d;
    want.dims[i] = d;
    p->a_stride[i] = da == 1 ? 0 : sa;
    p->b_stride[i] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
    p->batches *= d;
  }
  int r = p->batch_rank;
  if (ra >= 2) want.dims[r++] = p->m;
  if (rb >= 2) want.dims[r++] = p->n;
  if (y.shape != want) return OpFail(ctx, "output Y has the wrong shape");
  const auto* opts = ctx.op != nullptr ? ctx.op->options_as_MatMulOptions() : nullptr;
  p->act = FusedActOf(opts);
  if (!FusedActValid(p->act)) return OpFail(ctx, "invalid fused activation");
  return OkStatus();
}

}  // namespace

Status PrepareMatMul(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  MatMulPlan p;
  return PlanMatMul(ctx, &p);
}

Status EvalMatMul(const OpContext& ctx) {
  MatMulPlan p;
  EDGE_TRY(PlanMatMul(ctx, &p));
  GemmArgs g;
  g.m = p.m;
  g.n = p.n;
  g.k = p.k;
  g.a_rs = p.k;
  g.a_cs = 1;
  g.b_rs = p.n;
  g.b_cs = 1;
  g.y_rs = p.n;
  g.act = p.act;
  const float* a = ctx.inputs[0].f32();
  const float* b = ctx.inputs[1].f32();
  float* y = ctx.outputs[0].f32();
  const int64_t y_step = static_cast<int64_t>(p.m) * p.n;
  int32_t idx[kMaxRank] = {};
  for (int64_t i = 0; i < p.batches; ++i) {
    int64_t ao = 0, bo = 0;
    for (int d = 0; d < p.batch_rank; ++d) {
      ao += idx[d] * p.a_stride[d];
      bo += idx[d] * p.b_stride[d];
    }
    g.a = a + ao;
    g.b = b + bo;
    g.y = y + i * y_step;
    if (ctx.reference) {
      internal::GemmReference(g);
    } else {
      internal::Gemm(g);
    }
    for (int d = p.batch_rank - 1; d >= 0; --d) {
      if (++idx[d] < p.batch[d]) break;
      idx[d] = 0;
    }
  }
  return OkStatus();
}

// ---- Gemm ----

namespace {

Status PlanGemm(const OpContext& ctx, GemmArgs* g) {
  if (ctx.num_inputs < 2 || !HasInput(ctx, 0) || !HasInput(ctx, 1) || !HasOutput(ctx, 0)) {
    return OpFail(ctx, "expects inputs A, B[, C] and output Y");
  }
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  const Tensor& y = ctx.outputs[0];
  EDGE_TRY(CheckF32(ctx, a, "A"));
  EDGE_TRY(CheckF32(ctx, b, "B"));
  EDGE_TRY(CheckF32(ctx, y, "Y"));
  if (a.shape.rank != 2 || b.shape.rank != 2) return OpFail(ctx, "A and B must be 2-D");
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_GemmOptions() : nullptr;
  const bool ta = o != nullptr && o->trans_a();
  const bool tb = o != nullptr && o->trans_b();
  g->alpha = o != nullptr ? o->alpha() : 1.0f;
  g->beta = o != nullptr ? o->beta() : 1.0f;
  g->act = FusedActOf(o);
  if (!FusedActValid(g->act)) return OpFail(ctx, "invalid fused activation");
  const int m = ta ? a.shape.dims[1] : a.shape.dims[0];
  const int k = ta ? a.shape.dims[0] : a.shape.dims[1];
  const int kb = tb ? b.shape.dims[1] : b.shape.dims[0];
  const int n = tb ? b.shape.dims[0] : b.shape.dims[1];
  if (k != kb) return OpFail(ctx, "inner dimensions differ: A has ", k, ", B has ", kb);
  if (y.shape.rank != 2 || y.shape.dims[0] != m || y.shape.dims[1] != n) {
    return OpFail(ctx, "output Y must be [", m, ", ", n, "]");
  }
  g->m = m;
  g->n = n;
  g->k = k;
  g->a_rs = ta ? 1 : k;
  g->a_cs = ta ? m : 1;
  g->b_rs = tb ? 1 : n;
  g->b_cs = tb ? k : 1;
  g->y_rs = n;
  g->c = nullptr;
  if (HasInput(ctx, 2)) {
    const Tensor& c = ctx.inputs[2];
    EDGE_TRY(CheckF32(ctx, c, "C"));
    const Shape& s = c.shape;
    bool ok = true;
    if (s.rank == 0) {
      g->c_rs = g->c_cs = 0;
    } else if (s.rank == 1) {
      ok = s.dims[0] == n || s.dims[0] == 1;
      g->c_rs = 0;
      g->c_cs = s.dims[0] == 1 ? 0 : 1;
    } else if (s.rank == 2) {
      ok = (s.dims[0] == m || s.dims[0] == 1) && (s.dims[1] == n || s.dims[1] == 1);
      g->c_rs = s.dims[0] == 1 ? 0 : s.dims[1];
      g->c_cs = s.dims[1] == 1 ? 0 : 1;
    } else {
      ok = false;
    }
    if (!ok) return OpFail(ctx, "C does not broadcast to [", m, ", ", n, "]");
    g->c = c.f32();
  }
  g->a = a.f32();
  g->b = b.f32();
  g->y = y.f32();
  return OkStatus();
}

}  // namespace

Status PrepareGemm(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  GemmArgs g;
  return PlanGemm(ctx, &g);
}

Status EvalGemm(const OpContext& ctx) {
  GemmArgs g;
  EDGE_TRY(PlanGemm(ctx, &g));
  if (ctx.reference) {
    internal::GemmReference(g);
  } else {
    internal::Gemm(g);
  }
  return OkStatus();
}

}  // namespace edge::runtime
