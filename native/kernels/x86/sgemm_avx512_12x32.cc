/*
 * Module Name: x86/sgemm_avx512_12x32.cc
 *
 * Abstract: AVX-512F GEMM micro-kernel with a 12 x 32 register tile (24 zmm accumulators, two
 * zmm loads of packed B and twelve broadcasts of A per rank-1 update). A is read in place
 * through its strides, as in the AVX2 kernel. Edge tiles store through lane masks; a sliver of at
 * most 16 columns and a last row panel of at most 8 or 4 rows use narrower tiles, and the last
 * 1-4 columns of a narrow product have a kernel of their own (SgemmNarrow). An 8 x 48 tile
 * (SgemmUkrWide) serves widths of 48 + r, where 12 x 32 would end in a 16-column sliver, and a
 * 6 x 64 tile (SgemmUkrTall) wide products with a row-major A. Each tile also comes in a
 * packing form (SgemmUkrPacking, SgemmUkrWidePacking, SgemmUkrTallPacking) that reads a
 * row-major B from its source and stores the packed sliver as it goes. Compiled with the
 * AVX-512 flags only; helpers have internal linkage.
 */
#include <immintrin.h>

#include <cstdint>

#include "../kernel_table.h"

namespace nn::kernels::avx512 {

#include "pack_b.inc"
#include "row_prefetch.inc"

namespace {

// Rows of B ahead that a packing tile prefetches (see TileKernel).
constexpr index_t kPackAhead = 8;

// The first n of 16 lanes.
inline __mmask16 FirstLanes(index_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << n) - 1u);
}

// One register tile: kM rows x kV vectors of a packed sliver kNrPacked floats wide, kM * kV <= 24
// zmm accumulators, kV loads of packed B and kM broadcasts of A per rank-1 update. The tiles in
// use: 12 x 32 (kV = 2, or 1 for a sliver at most 16 columns wide), 8 x 48 and 6 x 64, and
// fewer rows for the short last row panel (M = 100 leaves 4 rows of 12 or 8, M = 128 leaves 8
// of 12 and 2 of 6).
//
// kPack: B is read from its row-major source (b_src, rows ldb apart) instead of the packed sliver
// b, and each row is stored into `packed` as it goes (all kNrPacked lanes, zero past n), for the
// later row panels: the first row panel's tiles pack B while they compute.
//
// kPtrs: A's rows are read through one pointer each, A(i, p) = a_ptrs[i][p] (a minibatch in
// place: the driver no longer copies each panel of it). In-process A/B against the copy, dense
// forward 100 x 3072 x 48 through the minibatch index: 114 -> 101 us on 2 threads, 221 -> 196 on
// 1; 128 x 784 x 512 (16 slivers share each copy): 368 -> 364.
template <bool kUnitCol, int kNrPacked, int kV, int kM, bool kPrefetch, bool kPack, bool kPtrs>
void TileKernel(index_t k, const float* a, index_t rs, index_t cs, const float* const* a_ptrs, const float* b,
                float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch,
                const float* b_src, index_t ldb, float* packed) {
  static_assert(kM * kV <= 24 && 16 * kV <= kNrPacked, "24 accumulators, within the sliver");
  __mmask16 mask[kV];
#pragma GCC unroll 4
  for (int v = 0; v < kV; ++v) mask[v] = FirstLanes(n - 16 * v);
  __m512 acc[kM][kV];
#pragma GCC unroll 12
  for (int i = 0; i < kM; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < kV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // C's tile is read (beta != 0) or written after the loop: start bringing its lines in now
#pragma GCC unroll 12
  for (int i = 0; i < kM; ++i) {
    if (i >= m) break;
#pragma GCC unroll 4
    for (int v = 0; v < kV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
  }
  const float* rows[kM];
  if (kPtrs) {
#pragma GCC unroll 12
    for (int i = 0; i < kM; ++i) rows[i] = a_ptrs[i];
  }
  const index_t row = kUnitCol ? rs : 1;
  const index_t step = kUnitCol ? 1 : cs;
  // one rank-1 update
  const auto update = [&](index_t p) __attribute__((always_inline)) {
    __m512 bv[kV];
    if (kPack) {
      const float* src = b_src + p * ldb;
      // The source rows are ldb apart (a page holds a few of them), where the hardware
      // prefetchers lose track: fetch the row kPackAhead updates ahead. In-process A/B, 1 thread,
      // NN 128 x 512 x 512 and 128 x 784 x 512: 158-166 -> 167-172 GFLOP/s (4 ahead: 166-167).
      // MLP training loop, 2 threads (W just updated by the previous step), time against 8 ahead:
      // 16 ahead 1.005, 32 ahead 1.05.
      const float* ahead = src + kPackAhead * ldb;
#pragma GCC unroll 4
      for (int v = 0; v < kV; ++v) _mm_prefetch(reinterpret_cast<const char*>(ahead + 16 * v), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(ahead + 16 * kV - 1), _MM_HINT_T0);  // a row not 64-byte aligned
#pragma GCC unroll 4
      for (int v = 0; v < kV; ++v) {
        bv[v] = _mm512_maskz_loadu_ps(mask[v], src + 16 * v);
        _mm512_store_ps(packed + 16 * v, bv[v]);
      }
#pragma GCC unroll 4
      for (int v = kV; v < kNrPacked / 16; ++v) _mm512_store_ps(packed + 16 * v, _mm512_setzero_ps());
      packed += kNrPacked;
    } else {
#pragma GCC unroll 4
      for (int v = 0; v < kV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
      b += kNrPacked;
    }
    const float* ap = a + p * step;
#pragma GCC unroll 12
    for (int i = 0; i < kM; ++i) {
      const __m512 ai = _mm512_set1_ps(kPtrs ? rows[i][p] : ap[i * row]);
#pragma GCC unroll 4
      for (int v = 0; v < kV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  };
  if (kPrefetch) {
    UpdatesWithPrefetch(k, prefetch, update);
  } else {
    // Unrolled by 4: the loop's own pointer and counter updates, once per rank-1 update, took
    // issue slots from the multiply-adds. In-process A/B, 1 thread: 1024^2 and 2048^2 (6 x 64)
    // +6-7%, 100 x 3072 x 50 (8 x 48) +6%, the MLP's products (12 x 32) +1-3%. By 2 or 8: +0-4%.
#pragma GCC unroll 4
    for (index_t p = 0; p < k; ++p) update(p);
  }
  const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
  const bool beta0 = beta == 0.0f;
#pragma GCC unroll 12
  for (int i = 0; i < kM; ++i) {
    if (i >= m) break;
    float* ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kV; ++v) {
      __m512 r = _mm512_mul_ps(valpha, acc[i][v]);
      if (!beta0) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask[v], ci + 16 * v), r);
      _mm512_mask_storeu_ps(ci + 16 * v, mask[v], r);
    }
  }
}

// The tile for A's layout (contiguous rows, rows one float apart, or rows through pointers) with
// or without the prefetch hint (without it, the K loop is one plain loop).
template <int kNrPacked, int kV, int kM, bool kPack>
void DispatchLayout(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
                    float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch,
                    const float* b_src, index_t ldb, float* packed) {
  const bool pf = HasRows(prefetch);
  // the tile for one layout (kUnitCol, kPtrs), with or without the hint
  const auto tile = [&](auto with_hint, auto without_hint) {
    (pf ? with_hint : without_hint)(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta, prefetch, b_src, ldb, packed);
  };
  if (a_ptrs != nullptr) {
    tile(TileKernel<true, kNrPacked, kV, kM, true, kPack, true>, TileKernel<true, kNrPacked, kV, kM, false, kPack, true>);
  } else if (cs_a == 1) {
    tile(TileKernel<true, kNrPacked, kV, kM, true, kPack, false>, TileKernel<true, kNrPacked, kV, kM, false, kPack, false>);
  } else {
    tile(TileKernel<false, kNrPacked, kV, kM, true, kPack, false>,
         TileKernel<false, kNrPacked, kV, kM, false, kPack, false>);
  }
}

// Each tile's choice of variant by the rows and columns in use, once for the plain tile (kPack
// false: B packed at b) and once for its packing form (kPack: B read from b_src, ldb apart, and
// packed into `packed`; kernel_table.h, SgemmUkrPacking).
#define NN_TILE_ARGS k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta, prefetch, b_src, ldb, packed
#define NN_TILE_PARAMS                                                                                          \
  index_t k, const float *a, index_t rs_a, index_t cs_a, const float *const *a_ptrs, const float *b, float *c, \
      index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch *prefetch, const float *b_src,     \
      index_t ldb, float *packed

// The main 12 x 32 tile; a sliver at most 16 columns wide (the remainder of N) computes one
// vector, where the second would only multiply zero padding.
template <bool kPack>
void MainTile(NN_TILE_PARAMS) {
  if (m > 8) {
    if (n <= 16) DispatchLayout<kNr, 1, 12, kPack>(NN_TILE_ARGS);
    else DispatchLayout<kNr, 2, 12, kPack>(NN_TILE_ARGS);
  } else if (m > 4) {
    if (n <= 16) DispatchLayout<kNr, 1, 8, kPack>(NN_TILE_ARGS);
    else DispatchLayout<kNr, 2, 8, kPack>(NN_TILE_ARGS);
  } else {
    if (n <= 16) DispatchLayout<kNr, 1, 4, kPack>(NN_TILE_ARGS);
    else DispatchLayout<kNr, 2, 4, kPack>(NN_TILE_ARGS);
  }
}

// The 8 x 48 tile: widths of an odd number of 48-column slivers (11 loads for 24 FMAs).
template <bool kPack>
void WideTile(NN_TILE_PARAMS) {
  if (m > 4) DispatchLayout<kNrWide, 3, 8, kPack>(NN_TILE_ARGS);
  else DispatchLayout<kNrWide, 3, 4, kPack>(NN_TILE_ARGS);
}

// The 6 x 64 tile with the vectors of the sliver in use: n <= 16, 32, 48 or 64 columns.
template <int kM, bool kPack>
void TallTileWidth(NN_TILE_PARAMS) {
  if (n > 48) DispatchLayout<kNrTall, 4, kM, kPack>(NN_TILE_ARGS);
  else if (n > 32) DispatchLayout<kNrTall, 3, kM, kPack>(NN_TILE_ARGS);
  else if (n > 16) DispatchLayout<kNrTall, 2, kM, kPack>(NN_TILE_ARGS);
  else DispatchLayout<kNrTall, 1, kM, kPack>(NN_TILE_ARGS);
}

template <bool kPack>
void TallTile(NN_TILE_PARAMS) {
  if (m > 4) TallTileWidth<6, kPack>(NN_TILE_ARGS);
  else if (m > 2) TallTileWidth<4, kPack>(NN_TILE_ARGS);
  else TallTileWidth<2, kPack>(NN_TILE_ARGS);
}

#undef NN_TILE_PARAMS
#undef NN_TILE_ARGS

}  // namespace

// The entry points (kernel_table.h): plain, B already packed; packing, B read from its source
// and packed into b on the way (the driver's first row panel of each packed B panel).
void SgemmUkr(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
              float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch) {
  MainTile<false>(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta, prefetch, nullptr, 0, nullptr);
}

void SgemmUkrWide(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
                  float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch) {
  WideTile<false>(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta, prefetch, nullptr, 0, nullptr);
}

// The 6 x 64 tile: wide products with a row-major A (gemm.cc, UseTall).
void SgemmUkrTall(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
                  float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch) {
  TallTile<false>(k, a, rs_a, cs_a, a_ptrs, b, c, ldc, m, n, alpha, beta, prefetch, nullptr, 0, nullptr);
}

void SgemmUkrPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                     const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                     float beta, const RowPrefetch* prefetch) {
  MainTile<true>(k, a, rs_a, cs_a, a_ptrs, nullptr, c, ldc, m, n, alpha, beta, prefetch, b_src, ldb, b);
}

void SgemmUkrWidePacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                         const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                         float beta, const RowPrefetch* prefetch) {
  WideTile<true>(k, a, rs_a, cs_a, a_ptrs, nullptr, c, ldc, m, n, alpha, beta, prefetch, b_src, ldb, b);
}

void SgemmUkrTallPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                         const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                         float beta, const RowPrefetch* prefetch) {
  TallTile<true>(k, a, rs_a, cs_a, a_ptrs, nullptr, c, ldc, m, n, alpha, beta, prefetch, b_src, ldb, b);
}

namespace {

// The narrow kernels' vector type (x86/narrow.inc, which defines SgemmNarrow and
// SgemmNarrowPacked over it): 16 lanes.
struct NarrowVec {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  static V Zero() { return _mm512_setzero_ps(); }
  static Mask First(index_t n) { return n >= 16 ? static_cast<Mask>(0xFFFF) : static_cast<Mask>((1u << n) - 1u); }
  static Mask Range(int lo, int hi) { return static_cast<Mask>(((1u << hi) - 1u) & ~((1u << lo) - 1u)); }
  using Index = __m512i;
  static Index RotateIndex(int s) {
    return _mm512_and_si512(_mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(s)),
                            _mm512_set1_epi32(15));
  }
  static V Rotate(V v, Index idx) { return _mm512_permutexvar_ps(idx, v); }
  static V Load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V LoadAll(const float* p) { return _mm512_loadu_ps(p); }
  static V Set1(float x) { return _mm512_set1_ps(x); }
  static V Fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float Sum(V v) { return _mm512_reduce_add_ps(v); }
  static V SetHalves(float x, float y) { return _mm512_insertf32x8(_mm512_set1_ps(x), _mm256_set1_ps(y), 1); }
  static V FoldHalves(V v) { return _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E)); }
  static void Store(float* p, V v) { _mm512_store_ps(p, v); }
};

}  // namespace

#include "narrow.inc"

namespace {

// kM rows of C (16 lanes each, n used) over all of K: one broadcast of A and one FMA per row and
// rank-1 update, against one load of the packed B row; kM independent chains.
template <bool kTransA, int kM>
void SmallNRows(index_t i0, int n, index_t k, float alpha, const float* a, index_t lda, const std::int32_t* a_rows,
                const float* bp, float beta, float* c, index_t ldc) {
  __m512 acc[kM];
#pragma GCC unroll 8
  for (int q = 0; q < kM; ++q) acc[q] = _mm512_setzero_ps();
  if (kTransA) {
    for (index_t p = 0; p < k; ++p) {
      const float* ap = a + (a_rows != nullptr ? a_rows[p] : p) * lda + i0;
      const __m512 bv = _mm512_load_ps(bp + p * 16);
#pragma GCC unroll 8
      for (int q = 0; q < kM; ++q) acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(ap[q]), bv, acc[q]);
    }
  } else {
    const float* rows[kM];
#pragma GCC unroll 8
    for (int q = 0; q < kM; ++q) rows[q] = a + (a_rows != nullptr ? a_rows[i0 + q] : i0 + q) * lda;
    for (index_t p = 0; p < k; ++p) {
      const __m512 bv = _mm512_load_ps(bp + p * 16);
#pragma GCC unroll 8
      for (int q = 0; q < kM; ++q) acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(rows[q][p]), bv, acc[q]);
    }
  }
  const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1u);
  const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int q = 0; q < kM; ++q) {
    float* cq = c + (i0 + q) * ldc;
    __m512 r = _mm512_mul_ps(valpha, acc[q]);
    if (beta != 0.0f) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(lanes, cq), r);
    _mm512_mask_storeu_ps(cq, lanes, r);
  }
}

template <bool kTransA>
void SmallN(index_t m, int n, index_t k, float alpha, const float* a, index_t lda, const std::int32_t* a_rows,
            const float* bp, float beta, float* c, index_t ldc) {
  index_t i = 0;
  for (; i + 8 <= m; i += 8) SmallNRows<kTransA, 8>(i, n, k, alpha, a, lda, a_rows, bp, beta, c, ldc);
  if (i + 4 <= m) {
    SmallNRows<kTransA, 4>(i, n, k, alpha, a, lda, a_rows, bp, beta, c, ldc);
    i += 4;
  }
  for (; i < m; ++i) SmallNRows<kTransA, 1>(i, n, k, alpha, a, lda, a_rows, bp, beta, c, ldc);
}

}  // namespace

// Products at most 16 columns wide (an output layer: 10 classes), one 16-lane vector per row of C,
// eight rows at a time: the 12 x 32 tile would use 16 of its 32 lanes for 10 columns, and pack B
// 32 wide.
void SgemmSmallN(bool trans_a, index_t m, int n, index_t k, float alpha, const float* a, index_t lda,
                 const std::int32_t* a_rows, const float* bp, float beta, float* c, index_t ldc) {
  if (trans_a) SmallN<true>(m, n, k, alpha, a, lda, a_rows, bp, beta, c, ldc);
  else SmallN<false>(m, n, k, alpha, a, lda, a_rows, bp, beta, c, ldc);
}

namespace {

// One sliver of a non-transposed B: dst[p * nr + j] = B[p * ldb + j] for j < cols, zero up to nr
// (kV = nr / 16 vectors per row; masked loads past cols read zeros).
template <int kV>
void PackBRows(const float* b, index_t ldb, index_t kc, index_t cols, float* dst) {
  __mmask16 mask[kV];
#pragma GCC unroll 4
  for (int v = 0; v < kV; ++v) mask[v] = FirstLanes(cols - 16 * v);
  index_t p = 0;
  for (; p + 2 <= kc; p += 2) {
#pragma GCC unroll 4
    for (int v = 0; v < kV; ++v) {
      const __m512 r0 = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v);
      const __m512 r1 = _mm512_maskz_loadu_ps(mask[v], b + (p + 1) * ldb + 16 * v);
      _mm512_store_ps(dst + p * 16 * kV + 16 * v, r0);
      _mm512_store_ps(dst + (p + 1) * 16 * kV + 16 * v, r1);
    }
  }
  for (; p < kc; ++p) {
#pragma GCC unroll 4
    for (int v = 0; v < kV; ++v) _mm512_store_ps(dst + p * 16 * kV + 16 * v, _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v));
  }
}

// A 16 x 16 transpose through zmm registers: src rows i < in_rows (zero past them), each read at
// depths q < depth <= 16; dst row q (q < depth) gets depth q of every src row,
// dst[q * ldd + i] = src[i * lds + q], stored in the lanes of store_mask. Four stages of 16
// shuffles (pairs of floats, then quads, then 128-bit lanes twice): 64 shuffles for 256 floats,
// where pack_b.inc's 8 x 8 transposes (the AVX2 path's) take 96 with their inserts. Standalone,
// 1 thread, against those (time): packing 128 rows of B^T 512 deep into 32-wide slivers 0.50,
// 3072 rows 50 deep 0.78, 784 rows 512 deep into 64-wide ones 0.37-0.54; transposing 128 x 784
// 0.44-0.48.
inline void Transpose16(const float* src, index_t lds, int in_rows, int depth, float* dst, index_t ldd,
                        __mmask16 store_mask) {
  const __mmask16 depth_mask = FirstLanes(depth);
  __m512 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = i < in_rows ? _mm512_maskz_loadu_ps(depth_mask, src + i * lds) : _mm512_setzero_ps();
  // pairs: t[2i], t[2i + 1] interleave rows 2i and 2i + 1
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // quads: r[4i + q] holds, in each 128-bit lane l, rows 4i .. 4i + 3 at depth 4l + q
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // lanes: gather lane l of r[q], r[4 + q], r[8 + q], r[12 + q] into output row 4l + q
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512 h0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88), h1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
    const __m512 h2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88), h3 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
    const __m512 o[4] = {_mm512_shuffle_f32x4(h0, h2, 0x88), _mm512_shuffle_f32x4(h1, h3, 0x88),
                         _mm512_shuffle_f32x4(h0, h2, 0xDD), _mm512_shuffle_f32x4(h1, h3, 0xDD)};
#pragma GCC unroll 4
    for (int l = 0; l < 4; ++l) {
      if (4 * l + q < depth) _mm512_mask_storeu_ps(dst + (4 * l + q) * ldd, store_mask, o[l]);
    }
  }
}

// One sliver of a transposed B (PackBSliver's contract, nr a multiple of 16): 16 x 16 blocks, the
// zero columns past cols read as zero rows.
void PackBTransposed16(const float* src, index_t ldb, index_t kc, index_t cols, index_t nr, float* dst) {
  for (index_t j = 0; j < nr; j += 16) {
    const index_t in_rows = cols - j < 0 ? 0 : cols - j < 16 ? cols - j : 16;
    if (in_rows == 0) {
      for (index_t p = 0; p < kc; ++p) _mm512_storeu_ps(dst + p * nr + j, _mm512_setzero_ps());
      continue;
    }
    for (index_t p = 0; p < kc; p += 16) {
      const index_t depth = kc - p < 16 ? kc - p : 16;
      Transpose16(src + j * ldb + p, ldb, static_cast<int>(in_rows), static_cast<int>(depth), dst + p * nr + j, nr,
                  static_cast<__mmask16>(0xFFFF));
    }
  }
}

// TransposeMatrix's contract by 16 x 16 blocks, 16 rows of dst at a time.
void TransposeMatrix16(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd) {
  for (index_t i = 0; i < rows; i += 16) {
    const index_t depth = rows - i < 16 ? rows - i : 16;
    for (index_t j = 0; j < cols; j += 16) {
      const index_t width = cols - j < 16 ? cols - j : 16;
      Transpose16(src + j * lds + i, lds, static_cast<int>(width), static_cast<int>(depth), dst + i * ldd + j, ldd,
                  FirstLanes(width));
    }
  }
}

}  // namespace

// C = S^T for the driver's transposed NT products (gemm.cc, SwapNt). Rows of dst a multiple of
// 4 KiB apart all fall in one L1 set (12 ways): 16 of them at a time thrash it, so those go by 8
// (standalone, against the 8 x 8 transposes: 100 x 1024 1.6x the time by 16, 128 x 3072 1.1x).
void Transpose(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd) {
  if (ldd % 1024 == 0) TransposeMatrix(src, lds, rows, cols, dst, ldd);
  else TransposeMatrix16(src, lds, rows, cols, dst, ldd);
}

// A block of row panels of a transposed A (kernel_table.h, PackATransposed).
void PackATransposed(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                     index_t kc, int mr, float* dst) {
  PackATransposedPanels(a, lda, a_rows, i0, p0, rows, kc, mr, dst);
}

// One sliver of op(B) for the micro-kernels (kernel_table.h, PackBSliver).
void PackBSliver(bool trans, const float* b, index_t ldb, index_t kc, index_t cols, int nr, float* dst) {
  if (trans) return PackBTransposed16(b, ldb, kc, cols, nr, dst);
  switch (nr) {
    case 16: return PackBRows<1>(b, ldb, kc, cols, dst);
    case 32: return PackBRows<2>(b, ldb, kc, cols, dst);
    case 48: return PackBRows<3>(b, ldb, kc, cols, dst);
    default: return PackBRows<4>(b, ldb, kc, cols, dst);
  }
}

}  // namespace nn::kernels::avx512
