// Private to lib/runtime: the f32 matrix-multiply core shared by MatMul, Gemm, Conv (im2col),
// ConvTranspose and the recurrent kernels. Portable C++ (no heap, no intrinsics); the hot loops
// are plain loops GCC vectorises, compiled for several x86-64 levels with EDGE_KERNEL_CLONES.
#pragma once

#include <cstddef>

#include "edge/runtime/internal/kernel_util.h"

namespace edge::runtime::internal {

// Y(m, n) = act(alpha * sum_k A(m, k) * B(k, n) + beta * C(m, n)) for m < M, n < N, where
//   A(m, k) = a[m * a_rs + k * a_cs]
//   B(k, n) = b[k * b_rs + n * b_cs]
//   C(m, n) = c[m * c_rs + n * c_cs]   (c may be null: no addend; strides may be 0 to broadcast)
//   Y(m, n) = y[m * y_rs + n]
// Y must not overlap A, B or C. K may be 0 (the sum is then 0).
struct GemmArgs {
  int m = 0;
  int n = 0;
  int k = 0;
  const float* a = nullptr;
  ptrdiff_t a_rs = 0;
  ptrdiff_t a_cs = 0;
  const float* b = nullptr;
  ptrdiff_t b_rs = 0;
  ptrdiff_t b_cs = 0;
  float* y = nullptr;
  ptrdiff_t y_rs = 0;
  float alpha = 1.0f;
  const float* c = nullptr;
  ptrdiff_t c_rs = 0;
  ptrdiff_t c_cs = 0;
  float beta = 1.0f;
  FusedAct act;
};

// Optimised. Fast paths: B with contiguous rows (b_cs == 1, the layout the compiler gives
// constant weights; the sum runs over k in ascending order exactly as GemmReference does) and B
// with contiguous columns (b_rs == 1, e.g. Gemm trans_b and the RNN weights; A rows must then be
// contiguous, a_cs == 1, and the sum is formed from 16 interleaved partial sums). Anything else
// runs the reference loops.
void Gemm(const GemmArgs& g);

// Textbook triple loop, any strides.
void GemmReference(const GemmArgs& g);

}  // namespace edge::runtime::internal
