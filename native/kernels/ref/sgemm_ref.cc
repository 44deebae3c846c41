/*
 * Module Name: ref/sgemm_ref.cc
 *
 * Abstract: the scalar reference GEMM micro-kernel (4 x 8 register tile). It states what the
 * optimized micro-kernels must compute: a series of k rank-1 updates into the tile AB, then
 * C := alpha * AB + beta * C on the m x n corner that is inside the matrix.
 */
#include "../kernel_table.h"

namespace nn::kernels::ref {

/*
 * Routine Description: C[0:m, 0:n] = alpha * (A * B_packed) + beta * C[0:m, 0:n].
 * Arguments: k - depth; a - A's top-left element, A(i, p) = a[i * rs_a + p * cs_a] for i < kMr
 *   (all kMr rows readable); a_ptrs - or null: A(i, p) = a_ptrs[i][p] instead (kMr pointers);
 *   b - packed B, k x kNr (b[p * kNr + j]); c - C's top-left element; ldc - C's row stride;
 *   m, n - the tile corner to store (m <= kMr, n <= kNr); alpha, beta - scalars (beta == 0: C
 *   is not read); prefetch - a cache hint, ignored here.
 */
void SgemmUkr(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
              float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* /*prefetch*/) {
  float ab[kMr][kNr] = {};
  for (index_t p = 0; p < k; ++p) {
    for (int i = 0; i < kMr; ++i) {
      const float ai = a_ptrs != nullptr ? a_ptrs[i][p] : a[i * rs_a + p * cs_a];
      for (int j = 0; j < kNr; ++j) ab[i][j] += ai * b[p * kNr + j];
    }
  }
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ab[i][j];
    } else {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ab[i][j] + beta * ci[j];
    }
  }
}

}  // namespace nn::kernels::ref
