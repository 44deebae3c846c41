/*
 * Module Name: x86/activations_avx512.cc
 *
 * Abstract: AVX-512F activations forward and backward, and exp: the AVX2 scheme (double lanes,
 * one rounding to float) with 8 doubles per zmm, vscalefpd for 2^n, and masked tails. Compiled
 * with the AVX-512 flags only; helpers have internal linkage.
 */
#include <immintrin.h>

#include "../kernel_table.h"

namespace nn::kernels::avx512 {
namespace {

inline __mmask16 Tail(index_t count) {
  return static_cast<__mmask16>(count >= 16 ? 0xFFFFu : ((1u << count) - 1u));
}

inline __m512d ExpD(__m512d x) {
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), x);
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);
  __m512d p = _mm512_set1_pd(1.0 / 39916800);
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 3628800));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 362880));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 40320));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 5040));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 720));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 120));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 24));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 6));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
  p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
  return _mm512_scalef_pd(p, n);
}

inline __m512d Clamp(__m512d x, double lo, double hi) {
  return _mm512_min_pd(_mm512_set1_pd(hi), _mm512_max_pd(_mm512_set1_pd(lo), x));
}

inline __m512d TanhD(__m512d x) {
  const __m512d ax = _mm512_min_pd(_mm512_set1_pd(20.0), _mm512_abs_pd(x));
  const __m512d e = ExpD(_mm512_add_pd(ax, ax));
  const __m512d big = _mm512_div_pd(_mm512_sub_pd(e, _mm512_set1_pd(1.0)), _mm512_add_pd(e, _mm512_set1_pd(1.0)));
  const __m512d x2 = _mm512_mul_pd(ax, ax);
  __m512d s = _mm512_fmadd_pd(x2, _mm512_set1_pd(-17.0 / 315), _mm512_set1_pd(2.0 / 15));
  s = _mm512_fmadd_pd(x2, s, _mm512_set1_pd(-1.0 / 3));
  s = _mm512_fmadd_pd(x2, s, _mm512_set1_pd(1.0));
  const __m512d t = _mm512_mask_mov_pd(big, _mm512_cmp_pd_mask(ax, _mm512_set1_pd(0.0125), _CMP_LT_OQ), _mm512_mul_pd(ax, s));
  const __m512i sign = _mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ull)));
  return _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(t), sign));
}

inline __m512d SigmoidD(__m512d x) {
  const __m512d e = ExpD(Clamp(_mm512_sub_pd(_mm512_setzero_pd(), x), -120.0, 120.0));
  return _mm512_div_pd(_mm512_set1_pd(1.0), _mm512_add_pd(_mm512_set1_pd(1.0), e));
}

template <typename F>
inline void MapD(const float* x, float* y, index_t n, F f) {
  for (index_t i = 0; i < n; i += 16) {
    const __mmask16 m = Tail(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m256 lo = _mm512_cvtpd_ps(f(_mm512_cvtps_pd(_mm512_castps512_ps256(v))));
    const __m256 hi = _mm512_cvtpd_ps(f(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))));
    _mm512_mask_storeu_ps(y + i, m, _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1));
  }
}

}  // namespace

void ActivationForward(Activation act, const float* x, float* y, index_t n) {
  const __m512 zero = _mm512_setzero_ps();
  switch (act) {
    case Activation::Linear:
      if (y != x) for (index_t i = 0; i < n; ++i) y[i] = x[i];
      return;
    case Activation::Relu:
      ReluForward(x, y, n);
      return;
    case Activation::LeakyRelu:
      for (index_t i = 0; i < n; i += 16) {
        const __mmask16 m = Tail(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        const __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(0.01f)));
      }
      return;
    case Activation::Tanh:
      MapD(x, y, n, [](__m512d v) { return TanhD(v); });
      return;
    case Activation::Sigmoid:
      MapD(x, y, n, [](__m512d v) { return SigmoidD(v); });
      return;
  }
}

void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n) {
  const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
  switch (act) {
    case Activation::Linear:
      if (dx != dy) for (index_t i = 0; i < n; ++i) dx[i] = dy[i];
      return;
    case Activation::Relu:
      ReluBackward(y, dy, dx, n);
      return;
    case Activation::LeakyRelu:
      for (index_t i = 0; i < n; i += 16) {
        const __mmask16 m = Tail(n - i);
        const __mmask16 pos = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, y + i), zero, _CMP_GT_OQ);
        const __m512 slope = _mm512_mask_mov_ps(_mm512_set1_ps(0.01f), pos, one);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), slope));
      }
      return;
    case Activation::Tanh:
      for (index_t i = 0; i < n; i += 16) {
        const __mmask16 m = Tail(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, y + i);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), _mm512_fnmadd_ps(v, v, one)));
      }
      return;
    case Activation::Sigmoid:
      for (index_t i = 0; i < n; i += 16) {
        const __mmask16 m = Tail(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, y + i);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), _mm512_mul_ps(v, _mm512_sub_ps(one, v))));
      }
      return;
  }
}

void VecExp(const float* x, float* y, index_t n) {
  MapD(x, y, n, [](__m512d v) { return ExpD(Clamp(v, -200.0, 100.0)); });
}

}  // namespace nn::kernels::avx512
