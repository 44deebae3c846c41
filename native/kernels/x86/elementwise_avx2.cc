/*
 * Module Name: x86/elementwise_avx2.cc
 *
 * Abstract: AVX2+FMA versions of the layer, loss and optimizer kernels (8 floats per vector,
 * scalar tails). Compiled with -mavx2 -mfma only; helpers have internal linkage.
 */
#include <immintrin.h>

#include <math.h>

#include "../kernel_table.h"

namespace nn::kernels::avx2 {
namespace {

// exp(x) for float lanes: n = round(x / ln2), r = x - n ln2 (two-constant Cody-Waite), a degree-6
// polynomial for e^r on |r| <= ln2/2, then scale by 2^n through the exponent bits. NaN stays NaN;
// large inputs saturate to inf, small ones to 0.
inline __m256 Exp(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.72283935546875f), lo = _mm256_set1_ps(-103.972084f);
  const __m256 overflow = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));  // operand order keeps a NaN x
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n in two steps so that n down to -150 (results in the subnormal range) stays exact-ish.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), overflow);
  y = _mm256_andnot_ps(underflow, y);
  return y;
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane mask selecting the first `count` (0..8) lanes.
inline __m256i TailMask(index_t count) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), idx);
}

}  // namespace

void BiasAdd(float* y, const float* bias, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float* yr = y + r * cols;
    index_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      _mm256_storeu_ps(yr + j, _mm256_add_ps(_mm256_loadu_ps(yr + j), _mm256_loadu_ps(bias + j)));
    }
    for (; j < cols; ++j) yr[j] += bias[j];
  }
}

void BiasGrad(const float* dy, index_t rows, index_t cols, float* db) {
  index_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (index_t r = 0; r < rows; ++r) acc = _mm256_add_ps(acc, _mm256_loadu_ps(dy + r * cols + j));
    _mm256_storeu_ps(db + j, acc);
  }
  for (; j < cols; ++j) {
    float acc = 0.0f;
    for (index_t r = 0; r < rows; ++r) acc += dy[r * cols + j];
    db[j] = acc;
  }
}

void ReluForward(const float* x, float* y, index_t n) {
  const __m256 zero = _mm256_setzero_ps();
  index_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(zero, _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = (x[i] > 0.0f || x[i] != x[i]) ? x[i] : 0.0f;
}

void ReluBackward(const float* y, const float* dy, float* dx, index_t n) {
  const __m256 zero = _mm256_setzero_ps();
  index_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 on = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(on, _mm256_loadu_ps(dy + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

namespace {

// Transposes 8 vectors of 8 lanes in place: afterwards v[i] lane j holds what v[j] lane i held.
inline void Transpose8(__m256 (&v)[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    v[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// One row: its loss log(sum exp(s - max)) - (s[y] - max), and its gradient (softmax - onehot) / n
// into d when d is not null (d may be s: each lane is read before it is written).
inline double SoftmaxRow(const float* s, std::int32_t y, index_t c, float inv_n, float* d) {
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  // 1) row max (masked tail lanes read as -inf; a NaN anywhere makes the max NaN)
  __m256 vmax = neg_inf;
  bool has_nan = false;
  index_t j = 0;
  for (; j + 8 <= c; j += 8) {
    const __m256 v = _mm256_loadu_ps(s + j);
    has_nan |= _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0;
    vmax = _mm256_max_ps(vmax, v);
  }
  if (j < c) {
    const __m256i mask = TailMask(c - j);
    const __m256 v = _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(s + j, mask), _mm256_castsi256_ps(mask));
    has_nan |= _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0;
    vmax = _mm256_max_ps(vmax, v);
  }
  const float mx = has_nan ? NAN : HorizontalMax(vmax);
  const __m256 vmx = _mm256_set1_ps(mx);
  // 2) sum of exp(s - max)
  __m256 vsum = _mm256_setzero_ps();
  for (j = 0; j + 8 <= c; j += 8) vsum = _mm256_add_ps(vsum, Exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmx)));
  if (j < c) {
    const __m256i mask = TailMask(c - j);
    const __m256 e = Exp(_mm256_sub_ps(_mm256_maskload_ps(s + j, mask), vmx));
    vsum = _mm256_add_ps(vsum, _mm256_and_ps(e, _mm256_castsi256_ps(mask)));
  }
  const float sum = HorizontalSum(vsum);
  const double loss = static_cast<double>(logf(sum) - (s[y] - mx));
  if (d == nullptr) return loss;
  // 3) gradient (softmax - onehot) / n
  const __m256 vscale = _mm256_set1_ps(inv_n / sum);
  for (j = 0; j + 8 <= c; j += 8) {
    _mm256_storeu_ps(d + j, _mm256_mul_ps(Exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmx)), vscale));
  }
  if (j < c) {
    const __m256i mask = TailMask(c - j);
    _mm256_maskstore_ps(d + j, mask, _mm256_mul_ps(Exp(_mm256_sub_ps(_mm256_maskload_ps(s + j, mask), vmx)), vscale));
  }
  d[y] -= inv_n;
  return loss;
}

// Sum of 8 floats in double.
inline double SumD(__m256 v) {
  const __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

// Product of 8 floats in double.
inline double ProductD(__m256 v) {
  const __m256d p = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  const __m128d h = _mm_mul_pd(_mm256_castpd256_pd128(p), _mm256_extractf128_pd(p, 1));
  return _mm_cvtsd_f64(_mm_mul_sd(h, _mm_unpackhi_pd(h, h)));
}

// Eight rows of at most 16 classes at once, one lane per row (as the AVX-512 version, 16 rows):
// rows transposed in (classes 0-7 and 8-15 as two 8 x 8 blocks), vertical max / exp / sums, the
// 8 logs as one log of the sums' product in double (each sum in [1, c]), and the gradient
// transposed back out. Returns the rows' summed loss.
inline double SoftmaxRows8(const float* s, const std::int32_t* labels, index_t c, float inv_n, float* d) {
  const __m256i low = TailMask(c), high = TailMask(c > 8 ? c - 8 : 0);
  __m256 lo[8], hi[8];  // class j < 8 in lo[j], else in hi[j - 8] (after the transposes)
  const auto cls = [&](int j) -> __m256& { return j < 8 ? lo[j] : hi[j - 8]; };
  for (int i = 0; i < 8; ++i) {
    lo[i] = _mm256_maskload_ps(s + i * c, low);
    hi[i] = c > 8 ? _mm256_maskload_ps(s + i * c + 8, high) : _mm256_setzero_ps();
  }
  Transpose8(lo);
  if (c > 8) Transpose8(hi);
  const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(labels));
  // the row max (vmaxps may drop a NaN, but a NaN score's exp makes its row's sum NaN anyway) and
  // the label's score
  __m256 mx = lo[0], sy = lo[0];
  for (int j = 1; j < c; ++j) {
    mx = _mm256_max_ps(mx, cls(j));
    sy = _mm256_blendv_ps(sy, cls(j), _mm256_castsi256_ps(_mm256_cmpeq_epi32(y, _mm256_set1_epi32(j))));
  }
  __m256 sum = _mm256_setzero_ps();
  for (int j = 0; j < c; ++j) {
    cls(j) = Exp(_mm256_sub_ps(cls(j), mx));
    sum = _mm256_add_ps(sum, cls(j));
  }
  const double loss = log(ProductD(sum)) - SumD(_mm256_sub_ps(sy, mx));
  if (d == nullptr) return loss;
  const __m256 scale = _mm256_div_ps(_mm256_set1_ps(inv_n), sum), vinv_n = _mm256_set1_ps(inv_n);
  for (int j = 0; j < c; ++j) {
    const __m256 label = _mm256_castsi256_ps(_mm256_cmpeq_epi32(y, _mm256_set1_epi32(j)));
    cls(j) = _mm256_sub_ps(_mm256_mul_ps(cls(j), scale), _mm256_and_ps(label, vinv_n));
  }
  Transpose8(lo);
  if (c > 8) Transpose8(hi);
  for (int i = 0; i < 8; ++i) {
    _mm256_maskstore_ps(d + i * c, low, lo[i]);
    if (c > 8) _mm256_maskstore_ps(d + i * c + 8, high, hi[i]);
  }
  return loss;
}

}  // namespace

double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores) {
  double total = 0.0;
  const float inv_n = 1.0f / static_cast<float>(n);
  index_t r = 0;
  if (c <= 16) {
    for (; r + 8 <= n; r += 8) {
      total += SoftmaxRows8(scores + r * c, labels + r, c, inv_n, dscores != nullptr ? dscores + r * c : nullptr);
    }
  }
  for (; r < n; ++r) {
    total += SoftmaxRow(scores + r * c, labels[r], c, inv_n, dscores != nullptr ? dscores + r * c : nullptr);
  }
  return total / static_cast<double>(n);
}

}  // namespace nn::kernels::avx2

namespace nn::kernels::avx2 {

double FmaProbe(index_t iters, float* sink) {
  // 12 independent dependency chains: enough to cover FMA latency x throughput on current cores.
  __m256 a0 = _mm256_set1_ps(1), a1 = _mm256_set1_ps(2), a2 = _mm256_set1_ps(3), a3 = _mm256_set1_ps(4);
  __m256 a4 = _mm256_set1_ps(5), a5 = _mm256_set1_ps(6), a6 = _mm256_set1_ps(7), a7 = _mm256_set1_ps(8);
  __m256 a8 = _mm256_set1_ps(9), a9 = _mm256_set1_ps(10), a10 = _mm256_set1_ps(11), a11 = _mm256_set1_ps(12);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (index_t it = 0; it < iters; ++it) {
    a0 = _mm256_fmadd_ps(a0, x, y);
    a1 = _mm256_fmadd_ps(a1, x, y);
    a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y);
    a4 = _mm256_fmadd_ps(a4, x, y);
    a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y);
    a7 = _mm256_fmadd_ps(a7, x, y);
    a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y);
    a10 = _mm256_fmadd_ps(a10, x, y);
    a11 = _mm256_fmadd_ps(a11, x, y);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  *sink = HorizontalSum(s);
  return 2.0 * 8 * 12 * static_cast<double>(iters);
}

}  // namespace nn::kernels::avx2

namespace nn::kernels::avx2 {
#include "../generic/loss_optim.inc"
}  // nn::kernels::avx2
