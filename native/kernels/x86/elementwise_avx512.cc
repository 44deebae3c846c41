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

// Row by row; the last cols % 16 floats of a row in exact pieces (8, 4, then single floats), not
// one masked vector: store forwarding treats a masked store as covering all its 64 bytes, so the
// next row's first load, which overlaps them, waited for each row's store to reach the cache
// (100 x 10: 0.74 us a call that way, a chain of 100 such waits).
void BiasAdd(float* y, const float* bias, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float* yr = y + r * cols;
    index_t j = 0;
    for (; j + 16 <= cols; j += 16) _mm512_storeu_ps(yr + j, _mm512_add_ps(_mm512_loadu_ps(yr + j), _mm512_loadu_ps(bias + j)));
    if (j + 8 <= cols) {
      _mm256_storeu_ps(yr + j, _mm256_add_ps(_mm256_loadu_ps(yr + j), _mm256_loadu_ps(bias + j)));
      j += 8;
    }
    if (j + 4 <= cols) {
      _mm_storeu_ps(yr + j, _mm_add_ps(_mm_loadu_ps(yr + j), _mm_loadu_ps(bias + j)));
      j += 4;
    }
    for (; j < cols; ++j) yr[j] += bias[j];
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

namespace {

// Transposes 16 vectors of 16 lanes in place: afterwards v[i] lane j holds what v[j] lane i held.
inline void Transpose16(__m512 (&v)[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    const __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
    v[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    v[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    v[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    v[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

// One row: its loss log(sum exp(s - max)) - (s[y] - max), and its gradient (softmax - onehot) / n
// into d when d is not null (d may be s: each lane is read before it is written).
inline double SoftmaxRow(const float* s, std::int32_t y, index_t c, float inv_n, float* d) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
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
  const double loss = static_cast<double>(logf(sum) - (s[y] - mx));
  if (d == nullptr) return loss;
  // 3) gradient
  const __m512 vscale = _mm512_set1_ps(inv_n / sum);
  for (index_t j = 0; j < c; j += 16) {
    const __mmask16 m = Tail(c - j);
    _mm512_mask_storeu_ps(d + j, m, _mm512_mul_ps(Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), vmx)), vscale));
  }
  d[y] -= inv_n;
  return loss;
}

// Sixteen rows of at most 16 classes at once, one lane per row: a row at a time, each step
// (max, exp, sums, their horizontal reductions and a log) waited on the one before, about 100
// cycles a row. The rows are transposed in (16 masked row loads, vector v[j] = class j of every
// row) and the gradient transposed back out; the loss's 16 logs are one log of their arguments'
// product, in double (each argument is in [1, c], the product at most 16^16). Returns the rows'
// summed loss.
inline double SoftmaxRows16(const float* s, const std::int32_t* labels, index_t c, float inv_n, float* d) {
  const __mmask16 classes = Tail(c);
  __m512 v[16];
  for (int i = 0; i < 16; ++i) v[i] = _mm512_maskz_loadu_ps(classes, s + i * c);
  Transpose16(v);
  const __m512i y = _mm512_loadu_si512(labels);
  // the row max (vmaxps may drop a NaN, but a NaN score's exp makes its row's sum NaN anyway) and
  // the label's score
  __m512 mx = v[0], sy = v[0];
  for (int j = 1; j < c; ++j) {
    mx = _mm512_max_ps(mx, v[j]);
    sy = _mm512_mask_mov_ps(sy, _mm512_cmpeq_epi32_mask(y, _mm512_set1_epi32(j)), v[j]);
  }
  __m512 sum = _mm512_setzero_ps();
  for (int j = 0; j < c; ++j) {
    v[j] = Exp(_mm512_sub_ps(v[j], mx));
    sum = _mm512_add_ps(sum, v[j]);
  }
  const __m512d product = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(sum)),
                                        _mm512_cvtps_pd(_mm512_extractf32x8_ps(sum, 1)));
  const __m512 shift = _mm512_sub_ps(sy, mx);
  const double shifts = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(shift)),
                                                           _mm512_cvtps_pd(_mm512_extractf32x8_ps(shift, 1))));
  const double loss = log(_mm512_reduce_mul_pd(product)) - shifts;
  if (d == nullptr) return loss;
  const __m512 scale = _mm512_div_ps(_mm512_set1_ps(inv_n), sum), vinv_n = _mm512_set1_ps(inv_n);
  for (int j = 0; j < c; ++j) {
    const __m512 g = _mm512_mul_ps(v[j], scale);
    v[j] = _mm512_mask_sub_ps(g, _mm512_cmpeq_epi32_mask(y, _mm512_set1_epi32(j)), g, vinv_n);
  }
  Transpose16(v);
  for (int i = 0; i < 16; ++i) _mm512_mask_storeu_ps(d + i * c, classes, v[i]);
  return loss;
}

}  // namespace

double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores) {
  double total = 0.0;
  const float inv_n = 1.0f / static_cast<float>(n);
  index_t r = 0;
  if (c <= 16) {
    for (; r + 16 <= n; r += 16) {
      total += SoftmaxRows16(scores + r * c, labels + r, c, inv_n, dscores != nullptr ? dscores + r * c : nullptr);
    }
  }
  for (; r < n; ++r) {
    total += SoftmaxRow(scores + r * c, labels[r], c, inv_n, dscores != nullptr ? dscores + r * c : nullptr);
  }
  return total / static_cast<double>(n);
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
