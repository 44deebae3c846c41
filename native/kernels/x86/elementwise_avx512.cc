/*
 * Module Name: x86/elementwise_avx512.cc
 *
 * Abstract: AVX-512F versions of the layer, loss and optimizer kernels (16 floats per vector,
 * tails through lane masks). Compiled with the AVX-512 flags only; helpers have internal linkage.
 */
#include <immintrin.h>
#include <math.h>

#include "../kernel_table.h"

namespace nn::kernels::avx512 {
namespace {

inline __mmask16 Tail(index_t count) {
  return static_cast<__mmask16>(count >= 16 ? 0xFFFFu : ((1u << count) - 1u));
}

// exp(x) per lane; the same range reduction and polynomial as the AVX2 version, with the
// 2^n scaling done by vscalefps (exact, handles the subnormal range and overflow to inf).
inline __m512 Exp(__m512 x) {
  const __m512 hi = _mm512_set1_ps(88.72283935546875f), lo = _mm512_set1_ps(-103.972084f);
  const __mmask16 overflow = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
  const __mmask16 underflow = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_min_ps(hi, _mm512_max_ps(lo, x));  // operand order keeps a NaN x
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512 y = _mm512_scalef_ps(p, n);
  y = _mm512_mask_mov_ps(y, overflow, _mm512_set1_ps(INFINITY));
  y = _mm512_mask_mov_ps(y, underflow, _mm512_setzero_ps());
  return y;
}

}  // namespace

void BiasAdd(float* y, const float* bias, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float* yr = y + r * cols;
    for (index_t j = 0; j < cols; j += 16) {
      const __mmask16 m = Tail(cols - j);
      _mm512_mask_storeu_ps(yr + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, yr + j), _mm512_maskz_loadu_ps(m, bias + j)));
    }
  }
}

void BiasGrad(const float* dy, index_t rows, index_t cols, float* db) {
  for (index_t j = 0; j < cols; j += 16) {
    const __mmask16 m = Tail(cols - j);
    __m512 acc = _mm512_setzero_ps();
    for (index_t r = 0; r < rows; ++r) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, dy + r * cols + j));
    _mm512_mask_storeu_ps(db + j, m, acc);
  }
}

void ReluForward(const float* x, float* y, index_t n) {
  const __m512 zero = _mm512_setzero_ps();
  for (index_t i = 0; i < n; i += 16) {
    const __mmask16 m = Tail(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(zero, _mm512_maskz_loadu_ps(m, x + i)));
  }
}

void ReluBackward(const float* y, const float* dy, float* dx, index_t n) {
  const __m512 zero = _mm512_setzero_ps();
  for (index_t i = 0; i < n; i += 16) {
    const __mmask16 m = Tail(n - i);
    const __mmask16 on = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + i), zero, _CMP_GT_OQ);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_maskz_loadu_ps(on, dy + i));
  }
}

double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores) {
  double total = 0.0;
  const float inv_n = 1.0f / static_cast<float>(n);
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  for (index_t r = 0; r < n; ++r) {
    const float* s = scores + r * c;
    // 1) row max (a NaN anywhere makes the max NaN)
    __m512 vmax = neg_inf;
    bool has_nan = false;
    for (index_t j = 0; j < c; j += 16) {
      const __mmask16 m = Tail(c - j);
      const __m512 v = _mm512_mask_loadu_ps(neg_inf, m, s + j);
      has_nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0;
      vmax = _mm512_max_ps(vmax, v);
    }
    const float mx = has_nan ? NAN : _mm512_reduce_max_ps(vmax);
    const __m512 vmx = _mm512_set1_ps(mx);
    // 2) sum of exp(s - max)
    __m512 vsum = _mm512_setzero_ps();
    for (index_t j = 0; j < c; j += 16) {
      const __mmask16 m = Tail(c - j);
      vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), vmx))));
    }
    const float sum = _mm512_reduce_add_ps(vsum);
    const std::int32_t y = labels[r];
    total += static_cast<double>(logf(sum) - (s[y] - mx));
    if (dscores == nullptr) continue;
    // 3) gradient (softmax - onehot) / n; d may alias s, each lane is read before it is written
    float* d = dscores + r * c;
    const __m512 vscale = _mm512_set1_ps(inv_n / sum);
    for (index_t j = 0; j < c; j += 16) {
      const __mmask16 m = Tail(c - j);
      _mm512_mask_storeu_ps(d + j, m, _mm512_mul_ps(Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), vmx)), vscale));
    }
    d[y] -= inv_n;
  }
  return total / static_cast<double>(n);
}

void SgdUpdate(float* w, const float* g, index_t n, float lr) {
  const __m512 vlr = _mm512_set1_ps(lr);
  for (index_t i = 0; i < n; i += 16) {
    const __mmask16 m = Tail(n - i);
    _mm512_mask_storeu_ps(w + i, m, _mm512_fnmadd_ps(vlr, _mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, w + i)));
  }
}

void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu) {
  const __m512 vlr = _mm512_set1_ps(lr), vmu = _mm512_set1_ps(mu);
  for (index_t i = 0; i < n; i += 16) {
    const __mmask16 m = Tail(n - i);
    const __m512 vi = _mm512_fnmadd_ps(vlr, _mm512_maskz_loadu_ps(m, g + i), _mm512_mul_ps(vmu, _mm512_maskz_loadu_ps(m, v + i)));
    _mm512_mask_storeu_ps(v + i, m, vi);
    _mm512_mask_storeu_ps(w + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, w + i), vi));
  }
}

}  // namespace nn::kernels::avx512

namespace nn::kernels::avx512 {

double FmaProbe(index_t iters, float* sink) {
  __m512 a[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm512_set1_ps(static_cast<float>(i + 1));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (index_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
  }
  __m512 s = _mm512_setzero_ps();
  for (int i = 0; i < 16; ++i) s = _mm512_add_ps(s, a[i]);
  *sink = _mm512_reduce_add_ps(s);
  return 2.0 * 16 * 16 * static_cast<double>(iters);
}

}  // namespace nn::kernels::avx512

namespace nn::kernels::avx512 {
#include "../generic/loss_optim.inc"
}  // nn::kernels::avx512
