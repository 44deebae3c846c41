/*
 * Module Name: x86/sgemm_avx2_6x16.cc
 *
 * Abstract: AVX2+FMA GEMM micro-kernel with a 6 x 16 register tile (12 ymm accumulators; per
 * rank-1 update two ymm loads of packed B and six broadcasts of A). A is read in place through
 * its row and column strides (row-major A: column stride 1; transposed A or a packed edge panel:
 * row stride 1), so the driver only packs B, and a row-major B is packed by the first row panel's
 * tiles as they go (SgemmUkrPacking). Compiled with -mavx2 -mfma only; everything but the
 * entry point has internal linkage, so no AVX code can be picked up by the baseline objects.
 */
#include <immintrin.h>

#include <cstdint>

#include "../kernel_table.h"

namespace nn::kernels::avx2 {

#include "pack_b.inc"
#include "row_prefetch.inc"

namespace {

// Lanes of 8 floats starting at column j0 that hold one of the first `cols` columns (all ones
// where they do), for maskload: masked lanes read as zero.
inline __m256i ColumnMask(index_t j0, index_t cols) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols - j0 < 8 ? cols - j0 : 8)), lane);
}

// The narrow kernels' vector type (x86/narrow.inc, which defines SgemmNarrow and
// SgemmNarrowPacked over it): 8 lanes.
struct NarrowVec {
  using V = __m256;
  using Mask = __m256i;
  static constexpr int kLanes = 8;
  static V Zero() { return _mm256_setzero_ps(); }
  static Mask First(index_t n) { return ColumnMask(0, n); }
  static Mask Range(int lo, int hi) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane), _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(lo - 1)));
  }
  using Index = __m256i;
  static Index RotateIndex(int s) {
    return _mm256_and_si256(_mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(s)), _mm256_set1_epi32(7));
  }
  static V Rotate(V v, Index idx) { return _mm256_permutevar8x32_ps(v, idx); }
  static V Load(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
  static V LoadAll(const float* p) { return _mm256_loadu_ps(p); }
  static V Set1(float x) { return _mm256_set1_ps(x); }
  static V Fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float Sum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static void Store(float* p, V v) { _mm256_store_ps(p, v); }
};

}  // namespace

#include "narrow.inc"

namespace {

inline void StoreRow(float* c, __m256 v0, __m256 v1, __m256 valpha, __m256 vbeta, bool beta0) {
  if (beta0) {
    _mm256_storeu_ps(c, _mm256_mul_ps(valpha, v0));
    _mm256_storeu_ps(c + 8, _mm256_mul_ps(valpha, v1));
  } else {
    _mm256_storeu_ps(c, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c), _mm256_mul_ps(valpha, v0)));
    _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c + 8), _mm256_mul_ps(valpha, v1)));
  }
}

// Rows of B ahead that a packing tile prefetches (as the AVX-512 tiles do).
constexpr index_t kPackAhead = 8;

// kUnitCol: A(i, p) = a[i * rs + p] (rows are contiguous), or a_ptrs[i][p] when a_ptrs is set;
// else A(i, p) = a[i + p * cs].
// kPack: B is read from its row-major source (b_src, rows ldb apart, n columns) instead of the
// packed sliver b, and each row is stored into `packed` as it goes (16 floats, zero past n): the
// first row panel's tiles pack B while they compute (kernel_table.h, SgemmUkrPacking).
template <bool kUnitCol, bool kPrefetch, bool kPack>
void Kernel(index_t k, const float* a, index_t rs, index_t cs, const float* const* a_ptrs, const float* b, float* c,
            index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch, const float* b_src,
            index_t ldb, float* packed) {
  const __m256i mask0 = ColumnMask(0, n), mask1 = ColumnMask(8, n);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const bool ptrs = kUnitCol && a_ptrs != nullptr;
  const float* a0 = ptrs ? a_ptrs[0] : a;
  const float* a1 = ptrs ? a_ptrs[1] : a + (kUnitCol ? rs : 1);
  const float* a2 = ptrs ? a_ptrs[2] : a + 2 * (kUnitCol ? rs : 1);
  const float* a3 = ptrs ? a_ptrs[3] : a + 3 * (kUnitCol ? rs : 1);
  const float* a4 = ptrs ? a_ptrs[4] : a + 4 * (kUnitCol ? rs : 1);
  const float* a5 = ptrs ? a_ptrs[5] : a + 5 * (kUnitCol ? rs : 1);
  const index_t step = kUnitCol ? 1 : cs;
  // one rank-1 update
  const auto update = [&](index_t) __attribute__((always_inline)) {
    __m256 b0, b1;
    if (kPack) {
      _mm_prefetch(reinterpret_cast<const char*>(b_src + kPackAhead * ldb), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b_src + kPackAhead * ldb + 15), _MM_HINT_T0);
      b0 = _mm256_maskload_ps(b_src, mask0);
      b1 = _mm256_maskload_ps(b_src + 8, mask1);
      _mm256_store_ps(packed, b0);
      _mm256_store_ps(packed + 8, b1);
      b_src += ldb;
      packed += kNr;
    } else {
      b0 = _mm256_load_ps(b);
      b1 = _mm256_load_ps(b + 8);
      b += kNr;
    }
    __m256 ai = _mm256_broadcast_ss(a0);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a1);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a2);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a3);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a4);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a5);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
    a0 += step;
    a1 += step;
    a2 += step;
    a3 += step;
    a4 += step;
    a5 += step;
  };
  if (kPrefetch) {
    UpdatesWithPrefetch(k, prefetch, update);
  } else {
#pragma GCC unroll 4
    for (index_t p = 0; p < k; ++p) update(p);
  }
  const __m256 valpha = _mm256_set1_ps(alpha), vbeta = _mm256_set1_ps(beta);
  const bool beta0 = beta == 0.0f;
  if (m == kMr && n == kNr) {
    StoreRow(c + 0 * ldc, c00, c01, valpha, vbeta, beta0);
    StoreRow(c + 1 * ldc, c10, c11, valpha, vbeta, beta0);
    StoreRow(c + 2 * ldc, c20, c21, valpha, vbeta, beta0);
    StoreRow(c + 3 * ldc, c30, c31, valpha, vbeta, beta0);
    StoreRow(c + 4 * ldc, c40, c41, valpha, vbeta, beta0);
    StoreRow(c + 5 * ldc, c50, c51, valpha, vbeta, beta0);
    return;
  }
  // Edge tile: spill the accumulators, then store only the m x n corner inside C.
  alignas(32) float t[kMr * kNr];
  const __m256 acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < kMr; ++i) {
    _mm256_store_ps(t + i * kNr, acc[i][0]);
    _mm256_store_ps(t + i * kNr + 8, acc[i][1]);
  }
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    const float* ti = t + i * kNr;
    if (beta0) {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ti[j];
    } else {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ti[j] + beta * ci[j];
    }
  }
}

// The same for a tile at most 8 columns wide (the last sliver of an N that is 1..8 past a
// multiple of 16): half the FMAs, reading only the first 8 floats of each packed B row.
template <bool kUnitCol>
void KernelHalf(index_t k, const float* a, index_t rs, index_t cs, const float* const* a_ptrs, const float* b, float* c,
                index_t ldc, int m, int n, float alpha, float beta) {
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps();
  __m256 c3 = _mm256_setzero_ps(), c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps();
  const index_t row = kUnitCol ? rs : 1;
  const index_t step = kUnitCol ? 1 : cs;
  const float* rows[kMr];
  for (int i = 0; i < kMr; ++i) rows[i] = kUnitCol && a_ptrs != nullptr ? a_ptrs[i] : a + i * row;
#pragma GCC unroll 4
  for (index_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const index_t q = p * step;
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[0] + q), b0, c0);
    c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[1] + q), b0, c1);
    c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[2] + q), b0, c2);
    c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[3] + q), b0, c3);
    c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[4] + q), b0, c4);
    c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(rows[5] + q), b0, c5);
    b += kNr;
  }
  alignas(32) float t[kMr * 8];
  _mm256_store_ps(t + 0, c0);
  _mm256_store_ps(t + 8, c1);
  _mm256_store_ps(t + 16, c2);
  _mm256_store_ps(t + 24, c3);
  _mm256_store_ps(t + 32, c4);
  _mm256_store_ps(t + 40, c5);
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    const float* ti = t + i * 8;
    if (beta == 0.0f) {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ti[j];
    } else {
      for (int j = 0; j < n; ++j) ci[j] = alpha * ti[j] + beta * ci[j];
    }
  }
}

}  // namespace

// prefetch: followed by the full-width kernel; the half-width one (a last sliver of 8 columns or
// less) ignores it. Rows given as pointers (a_ptrs) take the contiguous-rows form.
void SgemmUkr(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
              float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch) {
  const bool unit = cs_a == 1 || a_ptrs != nullptr;
  if (n <= 8) {
    if (unit) KernelHalf<true>(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta);
    else KernelHalf<false>(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta);
  } else {
    const bool pf = HasRows(prefetch);
    if (unit) {
      (pf ? Kernel<true, true, false> : Kernel<true, false, false>)(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha,
                                                                    beta, prefetch, nullptr, 0, nullptr);
    } else {
      (pf ? Kernel<false, true, false> : Kernel<false, false, false>)(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha,
                                                                      beta, prefetch, nullptr, 0, nullptr);
    }
  }
}

// SgemmUkr packing its sliver of a row-major B as it goes; a sliver of at most 8 columns runs the
// full-width kernel too (its second vector of zeros is packed as well).
void SgemmUkrPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                     const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                     float beta, const RowPrefetch* prefetch) {
  const bool pf = HasRows(prefetch);
  if (cs_a == 1 || a_ptrs != nullptr) {
    (pf ? Kernel<true, true, true> : Kernel<true, false, true>)(k, a, rs_a, cs_a, a_ptrs, nullptr, c, ldc, m, n, alpha,
                                                                beta, prefetch, b_src, ldb, b);
  } else {
    (pf ? Kernel<false, true, true> : Kernel<false, false, true>)(k, a, rs_a, cs_a, a_ptrs, nullptr, c, ldc, m, n,
                                                                  alpha, beta, prefetch, b_src, ldb, b);
  }
}

namespace {

// One sliver of a transposed B: dst[p * nr + j] = src[j * ldb + p] for p < kc, j < cols, zero for
// cols <= j < nr. 8 x 8 blocks, the rest element by element.
void PackBTransposed(const float* src, index_t ldb, index_t kc, index_t cols, index_t nr, float* dst) {
  const index_t full = cols / 8 * 8;
  index_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (index_t j = 0; j < full; j += 8) Transpose8x8(src + j * ldb + p, ldb, dst + p * nr + j, nr);
    for (index_t q = p; q < p + 8; ++q) {
      for (index_t j = full; j < cols; ++j) dst[q * nr + j] = src[j * ldb + q];
      for (index_t j = cols; j < nr; ++j) dst[q * nr + j] = 0.0f;
    }
  }
  for (; p < kc; ++p) {
    for (index_t j = 0; j < cols; ++j) dst[p * nr + j] = src[j * ldb + p];
    for (index_t j = cols; j < nr; ++j) dst[p * nr + j] = 0.0f;
  }
}

// One sliver of a non-transposed B: dst[p * nr + j] = B[p * ldb + j] for j < cols, zero up to nr
// (nr a multiple of 8; masked loads past cols read zeros).
void PackBRows(const float* b, index_t ldb, index_t kc, index_t cols, index_t nr, float* dst) {
  for (index_t j = 0; j < nr; j += 8) {
    float* d = dst + j;
    const float* src = b + j;
    if (j + 8 <= cols) {
      for (index_t p = 0; p < kc; ++p) _mm256_store_ps(d + p * nr, _mm256_loadu_ps(src + p * ldb));
    } else if (j < cols) {
      const __m256i mask = ColumnMask(j, cols);
      for (index_t p = 0; p < kc; ++p) _mm256_store_ps(d + p * nr, _mm256_maskload_ps(src + p * ldb, mask));
    } else {
      for (index_t p = 0; p < kc; ++p) _mm256_store_ps(d + p * nr, _mm256_setzero_ps());
    }
  }
}

}  // namespace

// One sliver of op(B) for the micro-kernel (kernel_table.h, PackBSliver).
// C = S^T for the driver's transposed NT products (gemm.cc, SwapNt).
void Transpose(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd) {
  TransposeMatrix(src, lds, rows, cols, dst, ldd);
}

// A block of row panels of a transposed A (kernel_table.h, PackATransposed).
void PackATransposed(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                     index_t kc, int mr, float* dst) {
  PackATransposedPanels(a, lda, a_rows, i0, p0, rows, kc, mr, dst);
}

void PackBSliver(bool trans, const float* b, index_t ldb, index_t kc, index_t cols, int nr, float* dst) {
  if (trans) PackBTransposed(b, ldb, kc, cols, nr, dst);
  else PackBRows(b, ldb, kc, cols, nr, dst);
}

}  // namespace nn::kernels::avx2
