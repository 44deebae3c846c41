/*
 * Module Name: x86/sgemm_avx512_12x32.cc
 *
 * Abstract: AVX-512F GEMM micro-kernel with a 12 x 32 register tile (24 zmm accumulators, two
 * zmm loads of packed B and twelve broadcasts of A per rank-1 update). A is read in place
 * through its strides, as in the AVX2 kernel. Edge tiles store through lane masks. Compiled
 * with the AVX-512 flags only; helpers have internal linkage.
 */
#include <immintrin.h>

#include "../kernel_table.h"

namespace nn::kernels::avx512 {
namespace {

template <bool kUnitCol>
void Kernel(index_t k, const float* a, index_t rs, index_t cs, const float* b, float* c, index_t ldc, int m,
            int n, float alpha, float beta) {
  __m512 acc[kMr][2];
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  // C's tile is read (beta != 0) or written after the loop: start bringing its lines in now
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) {
    if (i >= m) break;
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
  const index_t row = kUnitCol ? rs : 1;
  const index_t step = kUnitCol ? 1 : cs;
  for (index_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    const float* ap = a + p * step;
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(ap[i * row]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    b += kNr;
  }
  const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
  const int n0 = n < 16 ? n : 16, n1 = n < 16 ? 0 : n - 16;
  const __mmask16 k0 = static_cast<__mmask16>((1u << n0) - 1u);
  const __mmask16 k1 = static_cast<__mmask16>((1u << n1) - 1u);
  const bool beta0 = beta == 0.0f;
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) {
    if (i >= m) break;
    float* ci = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(valpha, acc[i][0]);
    __m512 r1 = _mm512_mul_ps(valpha, acc[i][1]);
    if (!beta0) {
      r0 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(k0, ci), r0);
      r1 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(k1, ci + 16), r1);
    }
    _mm512_mask_storeu_ps(ci, k0, r0);
    _mm512_mask_storeu_ps(ci + 16, k1, r1);
  }
}

}  // namespace

void SgemmUkr(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* b, float* c, index_t ldc, int m,
              int n, float alpha, float beta) {
  if (cs_a == 1) Kernel<true>(k, a, rs_a, cs_a, b, c, ldc, m, n, alpha, beta);
  else Kernel<false>(k, a, rs_a, cs_a, b, c, ldc, m, n, alpha, beta);
}

}  // namespace nn::kernels::avx512
