/*
 * Module Name: gemm.cc
 *
 * Abstract: the ISA-agnostic single-precision GEMM driver. op(B) is packed: for each NC-wide
 * column panel and KC-deep slice, into NR-wide slivers (the transposes folded in, edges
 * zero-padded). A row-major A is read in place by the micro-kernel through its strides, MR rows
 * at a time (MLAS's scheme: no A packing on the skinny shapes of training, where it would cost as
 * much as the arithmetic); a short last row panel goes as row pointers, its first row repeated,
 * so the micro-kernel may always read MR rows. A transposed A is packed, a block of row panels at
 * a time. Loop order: for each MR-row panel of A (in L1), sweep every sliver of
 * the packed B panel (in L2). A row-major B is packed by the first row panel's tiles as they
 * compute (SgemmUkrPacking, where the ISA has it), not in a pass of its own.
 *
 * Tiles: the ISA's main tile (AVX-512: 12 x 32), or its wide one (8 x 48) for widths of an odd
 * number of 48-column slivers, where the main tile would end in a half-empty sliver (N = 50), or
 * its tall one (6 x 64) for parts at least 1024 rows high and 512 columns wide with a row-major A.
 * The last 1-4 columns of a narrow product go to a narrow kernel, block by block of A while the
 * block is in L1. Products at most 16 columns wide (an output layer) go to the ISA's small-N
 * kernel, one vector per row of C, blocks of rows over the threads. A's rows may be given as
 * indices into a larger matrix (a minibatch of a data set): they are read in place too, through
 * one pointer per row of each panel.
 *
 * An NT product with C wider than tall (dX = dZ W^T) runs as C^T = B A^T, each finished block
 * of C^T transposed into C (SwapNt).
 *
 * Threads: a product big enough is split into independent sub-products, one per thread, along
 * M, N, or K (then partial results are summed), whichever duplicates the least work. An optional
 * epilogue sees each finished block of rows of C on the thread that computed it (M splits and
 * single-threaded products only).
 */
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>  // SSE2 is part of the x86-64 baseline: no ISA flag needed
#endif

#include "kernel_table.h"
#include "scratch.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr double kMinFmaPerThread = 1 << 18;
// The small-N kernel runs through K this deep at a time (its packed B: 128 KiB), and its rows
// are split over threads in multiples of its row group.
constexpr index_t kSmallNDepthBlock = 2048;
constexpr index_t kSmallNRows = 8;
// At most this many floats of narrow-kernel sums carried across K blocks per thread (4 MiB: C up
// to 16k rows with 4 narrow columns); taller parts reduce each block into C.
constexpr index_t kMaxNarrowCarry = 1 << 20;
// A transposed A is packed this many MR-row panels at a time: each of its rows then yields a
// run of 16 * MR contiguous floats, which the hardware prefetcher follows.
constexpr index_t kPanelsPerBlock = 16;
// A B of at most this many floats (64 KiB) is packed by every part of an M split at next to no
// cost, so such products split along M (ChooseSplit).
constexpr double kSmallPackedB = 16384;
// The swapped NT product's copy of C^T is kept for the next call up to this many floats (16 MiB:
// a training job's dX products); a bigger one is freed after its call.
constexpr std::size_t kKeepSwapFloats = std::size_t{1} << 22;

thread_local Scratch t_pack_b;
thread_local Scratch t_panel_a;
thread_local Scratch t_partial;
thread_local Scratch t_narrow;
thread_local Scratch t_narrow_partial;
thread_local Scratch t_swap;
thread_local Scratch t_c_block;

inline index_t Min(index_t a, index_t b) { return a < b ? a : b; }
inline index_t Max(index_t a, index_t b) { return a > b ? a : b; }

// One NR-wide sliver of a transposed B: src holds `cols` rows of B (row j = column j of op(B)),
// kc floats each; dst[p * nr + j] = src[j * ldb + p], columns past `cols` zeroed. Goes 4 x 4
// blocks at a time through SSE transposes, so each source row is read sequentially.
void PackBTransposedSliver(const float* src, index_t ldb, index_t kc, index_t cols, int nr, float* dst) {
  index_t p = 0;
#if defined(__SSE2__)
  const index_t full = cols / 4 * 4;
  for (; p + 4 <= kc; p += 4) {
    for (index_t j = 0; j < full; j += 4) {
      __m128 r0 = _mm_loadu_ps(src + (j + 0) * ldb + p);
      __m128 r1 = _mm_loadu_ps(src + (j + 1) * ldb + p);
      __m128 r2 = _mm_loadu_ps(src + (j + 2) * ldb + p);
      __m128 r3 = _mm_loadu_ps(src + (j + 3) * ldb + p);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(dst + (p + 0) * nr + j, r0);
      _mm_storeu_ps(dst + (p + 1) * nr + j, r1);
      _mm_storeu_ps(dst + (p + 2) * nr + j, r2);
      _mm_storeu_ps(dst + (p + 3) * nr + j, r3);
    }
    for (index_t q = p; q < p + 4; ++q) {
      for (index_t j = full; j < cols; ++j) dst[q * nr + j] = src[j * ldb + q];
      for (index_t j = cols; j < nr; ++j) dst[q * nr + j] = 0.0f;
    }
  }
#endif
  for (; p < kc; ++p) {
    for (index_t j = 0; j < cols; ++j) dst[p * nr + j] = src[j * ldb + p];
    for (index_t j = cols; j < nr; ++j) dst[p * nr + j] = 0.0f;
  }
}

// Packs op(B)[p0 : p0 + kc, j0 : j0 + nc] into NR-wide slivers: dst[s][p][j], zero-padded columns.
// Through the ISA's packing routine where it has one (vector moves and 8 x 8 transposes, one
// sliver at a time); the portable loops below otherwise.
void PackB(const KernelTable& t, bool trans, const float* b, index_t ldb, index_t p0, index_t j0, index_t kc,
           index_t nc, int nr, float* dst) {
  for (index_t js = 0; js < nc; js += nr) {
    const index_t cols = Min(nr, nc - js);
    if (t.pack_b_sliver != nullptr) {
      t.pack_b_sliver(trans, trans ? b + (j0 + js) * ldb + p0 : b + p0 * ldb + (j0 + js), ldb, kc, cols, nr, dst);
    } else if (!trans) {
      const float* src = b + p0 * ldb + (j0 + js);  // op(B)(p, j) = B[p * ldb + j]
      if (cols == nr) {
        for (index_t p = 0; p < kc; ++p) std::memcpy(dst + p * nr, src + p * ldb, sizeof(float) * nr);
      } else {
        for (index_t p = 0; p < kc; ++p) {
          float* d = dst + p * nr;
          for (index_t j = 0; j < cols; ++j) d[j] = src[p * ldb + j];
          for (index_t j = cols; j < nr; ++j) d[j] = 0.0f;
        }
      }
    } else {
      PackBTransposedSliver(b + (j0 + js) * ldb + p0, ldb, kc, cols, nr, dst);
    }
    dst += kc * nr;
  }
}

// Row r of the stored A: r itself, or a_rows[r] when A's rows are picked by an index (a minibatch
// read straight from its data set).
inline index_t StoredRow(const std::int32_t* a_rows, index_t r) { return a_rows != nullptr ? a_rows[r] : r; }

// Packs rows [i0, i0 + rows) of op(A) = A^T (A stored k x m) into ceil(rows / mr) panels of the
// micro-kernel's transposed layout (A(i, p) = panel[p * mr + i]), panel s at dst + s * kc * mr.
// Each source row (one p) is read as one contiguous run, instead of MR floats from each of kc
// rows lda apart (on power-of-two lda those all fall into a single L1 set).
// Copies MR floats (MR a multiple of 2): SSE moves, unrolled for the tile heights in use.
template <int MR>
inline void CopyRun(float* d, const float* src) {
#if defined(__SSE2__)
  int i = 0;
  for (; i + 4 <= MR; i += 4) _mm_storeu_ps(d + i, _mm_loadu_ps(src + i));
  if (i < MR) _mm_storel_pi(reinterpret_cast<__m64*>(d + i), _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(src + i)));
#else
  for (int i = 0; i < MR; ++i) d[i] = src[i];
#endif
}

template <int MR>
void PackABlockTransposedT(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                           index_t kc, float* dst) {
  const index_t full = rows / MR, rest = rows % MR;
  for (index_t p = 0; p < kc; ++p) {
    const float* src = a + StoredRow(a_rows, p0 + p) * lda + i0;
    float* d = dst + p * MR;
    for (index_t s = 0; s < full; ++s) CopyRun<MR>(d + s * kc * MR, src + s * MR);
    if (rest != 0) {
      float* e = d + full * kc * MR;
      for (index_t i = 0; i < rest; ++i) e[i] = src[full * MR + i];
      for (index_t i = rest; i < MR; ++i) e[i] = 0.0f;
    }
  }
}

void PackABlockTransposed(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                          index_t kc, int mr, float* dst) {
  switch (mr) {
    case 4: return PackABlockTransposedT<4>(a, lda, a_rows, i0, p0, rows, kc, dst);
    case 6: return PackABlockTransposedT<6>(a, lda, a_rows, i0, p0, rows, kc, dst);
    case 8: return PackABlockTransposedT<8>(a, lda, a_rows, i0, p0, rows, kc, dst);
    case 12: return PackABlockTransposedT<12>(a, lda, a_rows, i0, p0, rows, kc, dst);
    default: break;
  }
  const index_t panels = (rows + mr - 1) / mr;
  for (index_t p = 0; p < kc; ++p) {
    const float* src = a + StoredRow(a_rows, p0 + p) * lda + i0;
    for (index_t s = 0; s < panels; ++s) {
      float* d = dst + s * kc * mr + p * mr;
      const index_t r = Min(mr, rows - s * mr);
      for (index_t i = 0; i < r; ++i) d[i] = src[s * mr + i];
      for (index_t i = r; i < mr; ++i) d[i] = 0.0f;
    }
  }
}

// C = beta * C on an m x n block (beta == 0 writes zeros without reading C).
void ScaleC(index_t m, index_t n, float beta, float* c, index_t ldc) {
  for (index_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (index_t j = 0; j < n; ++j) ci[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (index_t j = 0; j < n; ++j) ci[j] *= beta;
    }
  }
}

// The register tile a product runs with: the ISA's main micro-kernel, or its wide one.
struct Tile {
  SgemmUkr ukr;
  SgemmUkrPacking packing;  // the same tile packing a row-major B as it goes, or null
  int mr, nr;
  index_t nc;
};

Tile WideTile(const KernelTable& t) { return Tile{t.sgemm_ukr_wide, t.sgemm_ukr_wide_packing, t.mr_wide, t.nr_wide, t.nc_wide}; }

// Columns handed to the narrow kernel: the last r <= 4 of a width 16q + r in (16, 128].
index_t NarrowColumns(const KernelTable& t, index_t n) {
  const index_t r = n % 16;
  return t.sgemm_narrow != nullptr && n > 16 && n <= 128 && r <= 4 ? r : 0;
}

// The wide tile (e.g. 8 x 48) where the rest of the width is an odd number of 48-column slivers:
// the 12 x 32 tile would spend its last sliver on 16 columns, at half its rate.
Tile ChooseTile(const KernelTable& t, index_t n) {
  const index_t groups = (n - NarrowColumns(t, n) + 15) / 16;
  if (t.sgemm_ukr_wide != nullptr && groups % 3 == 0 && groups % 2 == 1) return WideTile(t);
  return Tile{t.sgemm_ukr, t.sgemm_ukr_packing, t.mr, t.nr, t.nc};
}

// The tall tile (e.g. 6 x 64: fewer loads per multiply-add than 12 x 32) in place of the main
// one, for a part of a product with a row-major A at least 1024 rows high and 512 columns wide
// whose last 64-column sliver is more than half full. In-process A/B on this machine's AVX-512
// (time, tall / main): NN squares 1024-2048 0.93-0.95 at 1 and 2 threads in one session, 0.99-1.01
// in a later one; NT 1024^2 0.94-0.96; but 1.01-1.02 for 256 columns per thread (the MLP's
// products on 2 threads), 1.13 for NT 128 x 512 x 784 on 2 threads (392 columns each) and 1.01 at
// 1 thread (784 = 12 x 64 + 16: the last sliver a quarter full), no gain with a transposed A, and,
// measured again, 1.01-1.04 for 128 rows (NN 128 x 784 x 512, 128 x 512 x 512, NT 128 x 512 x 512
// on one thread: 128 = 21 x 6 + 2 leaves a 2-row panel at a third of the rate, where 12 x 32
// leaves 8 rows) and 0.99-1.01 for 512^2.
bool UseTall(const KernelTable& t, bool trans_a, const Tile& tile, index_t m_part, index_t n_part) {
  if (t.sgemm_ukr_tall == nullptr || trans_a || tile.ukr != t.sgemm_ukr || m_part < 1024 || n_part < 512) return false;
  const index_t rest = n_part % t.nr_tall;
  return rest == 0 || rest > t.nr_tall / 2;
}

Tile TallTile(const KernelTable& t) { return Tile{t.sgemm_ukr_tall, t.sgemm_ukr_tall_packing, t.mr_tall, t.nr_tall, t.nc_tall}; }

// Rows or columns per part when `extent` is split into `parts` along tiles of `tile`: whole
// tiles, as evenly as they go.
index_t Chunk(index_t extent, index_t tile, index_t parts) { return ((extent + tile - 1) / tile + parts - 1) / parts * tile; }

struct GemmArgs {
  Tile tile;
  bool trans_a, trans_b;
  index_t m, n, k;
  float alpha;
  const float* a;
  index_t lda;
  const float* b;
  index_t ldb;
  float beta;
  float* c;
  index_t ldc;
  const std::int32_t* a_rows;  // null, or the stored rows of A to use (row r of A is row a_rows[r])
  // The last narrow_r columns of C (past n), from narrow_bc (narrow_r columns of op(B), k floats
  // each), computed block by block while each block of A is in L1 (a row-major A's MR x KC
  // panel, or a transposed A's packed block).
  int narrow_r;
  const float* narrow_bc;
  index_t narrow_ldbc;  // floats from one of those columns to the next
  // In-loop epilogue (only where InLoopEpilogue allows): when set, C's rows are not stored but
  // computed into a per-thread scratch block and handed to block_epilogue(part, row0 + i, rows, c,
  // ldc, context) as soon as they are final (rows row0 + i of the whole product, `part` the
  // caller's part).
  GemmEpilogue block_epilogue;
  void* block_context;
  index_t part, row0;
};

// The depth of GemmBlock's K blocks for a product k deep: k cut evenly into as many blocks as
// k / (1.25 t.kc) needs (multiples of 8), so that no short last block pays a pass over C for a
// few steps of depth (k = 784: 264 + 264 + 256, not 256 x 3 + 16). In-process A/B against
// t.kc-deep blocks (time): NN 128 x 784 x 512 0.94-0.97 on 2 threads, 0.99 on 1; 256 x 784 x 512
// and 1000 x 784 x 100 0.97 on 2 threads; shapes whose blocks did not change within +-1%.
index_t KcStep(const KernelTable& t, index_t k) {
  const index_t kc_cap = t.kc + t.kc / 4;
  const index_t blocks = (k + kc_cap - 1) / kc_cap;
  return Min(kc_cap, ((k + blocks - 1) / blocks + 7) / 8 * 8);
}

// The multiply-adds a tile spends on a part m x n: its row panels and slivers, the short last ones
// counted whole (a panel of 4 rows of 12 costs about what a full one does), the narrow columns left out.
double PaddedArea(const KernelTable& t, const Tile& tile, index_t m, index_t n) {
  const index_t cols = n - NarrowColumns(t, n);
  return static_cast<double>((m + tile.mr - 1) / tile.mr * tile.mr) * static_cast<double>((cols + tile.nr - 1) / tile.nr * tile.nr);
}

// g on the tall tile when UseTall says so for parts m_part rows high and n_part columns wide.
// Otherwise, for parts holding all of C's rows (one thread, or a split along N or K), on whichever
// of the ISA's tiles pads the part least, when that saves at least 3% of the main choice's work:
// M = 100 leaves 4 rows in a last panel of 12, where 8 x 48 leaves 4 of 8 and 6 x 64 4 of 6
// (a transposed A stays off the tall tile: see UseTall). C++ harness, 1 thread, runs of the two
// builds alternated 4 times (GFLOP/s, 12 x 32 -> the tile chosen): NN 100 x 50 x 3072 223-229 ->
// 235-241 on 6 x 64, NT 220-226 -> 226-232; TN, tile forced, 226 -> 230 on 8 x 48; NN and NT
// 100 x 784 x 512 (6 x 64) the same within noise. Row splits keep their tile: their parts' row
// counts come from the tile they start with (SgemmEpilogueRowChunk gives them to the dense layers).
void PreferTile(const KernelTable& t, GemmArgs& g, index_t m_part, index_t n_part, bool all_rows) {
  if (UseTall(t, g.trans_a, g.tile, m_part, n_part)) {
    g.tile = TallTile(t);
    return;
  }
  if (!all_rows) return;
  Tile best = g.tile;
  double best_area = PaddedArea(t, g.tile, m_part, n_part);
  const double limit = 0.97 * best_area;
  const auto consider = [&](const Tile& tile) {
    const double area = PaddedArea(t, tile, m_part, n_part);
    if (area <= limit && area < best_area) {
      best = tile;
      best_area = area;
    }
  };
  if (t.sgemm_ukr_wide != nullptr) consider(WideTile(t));
  if (t.sgemm_ukr_tall != nullptr && !g.trans_a) consider(TallTile(t));
  g.tile = best;
}

// The single-threaded product on one block of the problem (k > 0, alpha != 0).
Status GemmBlock(const GemmArgs& g) {
  const KernelTable& t = Table();
  const int mr = g.tile.mr, nr = g.tile.nr;
  const index_t nc_step = g.tile.nc;
  const index_t kc_step = KcStep(t, g.k);
  const index_t kc_max = Min(kc_step, g.k);
  const index_t nc_max = Min(nc_step, (g.n + nr - 1) / nr * nr);
  float* pack_b = t_pack_b.Get(static_cast<std::size_t>(nc_max * kc_max));
  // panels of a transposed A (a row-major A is read in place)
  float* panel_a = g.trans_a ? t_panel_a.Get(static_cast<std::size_t>(kPanelsPerBlock * mr * kc_max)) : nullptr;
  if (pack_b == nullptr || (g.trans_a && panel_a == nullptr)) return Status::OutOfMemory;
  // In-loop epilogue: C's rows of the current block of a transposed A, in scratch (ldc_s floats a row)
  const bool redirect = g.block_epilogue != nullptr && g.trans_a;
  const index_t ldc_s = g.n + g.narrow_r;
  float* c_scr = redirect ? t_c_block.Get(static_cast<std::size_t>(kPanelsPerBlock * mr * ldc_s)) : nullptr;
  if (redirect && c_scr == nullptr) return Status::OutOfMemory;
  index_t blk0 = 0;  // first row of that block
  // The narrow kernel's lane-wise sums (row-major A): kNarrowMaxLanes floats per row and narrow
  // column, carried from K block to K block for every row of C when there are several blocks
  // and they fit in kMaxNarrowCarry floats; otherwise each block's sums are reduced into C (one
  // MR-row panel's worth of scratch).
  const index_t narrow_row_floats = static_cast<index_t>(g.narrow_r) * kNarrowMaxLanes;
  const bool narrow_carry = g.k > kc_step && (g.m + mr) * narrow_row_floats <= kMaxNarrowCarry;
  float* narrow_partial = nullptr;
  if (g.narrow_r > 0 && !g.trans_a) {
    narrow_partial = t_narrow_partial.Get(static_cast<std::size_t>((narrow_carry ? g.m + mr : mr) * narrow_row_floats));
    if (narrow_partial == nullptr) return Status::OutOfMemory;
  }
  // the narrow columns of one MR-row panel (rows ir..) of the K block at pc, kc deep (its rows at
  // a + i * lda, or at a_ptrs[i])
  const auto narrow = [&](index_t ir, int mb, index_t pc, index_t kc, float beta, const float* a, index_t lda,
                          const float* const* a_ptrs) {
    if (narrow_carry) {
      t.sgemm_narrow(mb, g.narrow_r, kc, g.alpha, a, lda, a_ptrs, g.narrow_bc + pc, g.narrow_ldbc, g.beta, g.c + ir * g.ldc + g.n,
                     g.ldc, narrow_partial + ir * narrow_row_floats, pc == 0, pc + kc >= g.k);
    } else {
      t.sgemm_narrow(mb, g.narrow_r, kc, g.alpha, a, lda, a_ptrs, g.narrow_bc + pc, g.narrow_ldbc, beta, g.c + ir * g.ldc + g.n,
                     g.ldc, narrow_partial, true, true);
    }
  };

  // A row-major B is packed by the first row panel's tiles as they go, where the tile can
  // (SgemmUkrPacking); otherwise each panel of it is packed before the tiles run.
  const bool pack_in_tiles = g.tile.packing != nullptr && !g.trans_b;
  for (index_t jc = 0; jc < g.n; jc += nc_step) {
    const index_t nc = Min(nc_step, g.n - jc);
    for (index_t pc = 0; pc < g.k; pc += kc_step) {
      const index_t kc = Min(kc_step, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.0f;  // later K slices accumulate
      if (!pack_in_tiles) PackB(t, g.trans_b, g.b, g.ldb, pc, jc, kc, nc, nr, pack_b);
      // One MR-row panel of A against every sliver of the packed B panel (the first panel:
      // packing it, when pack_in_tiles); the first sliver's kernel carries the prefetch hint, if any.
      const auto sweep = [&](const float* ap, index_t rs, index_t cs, const float* const* a_ptrs, index_t ir, int mb,
                             const RowPrefetch* prefetch, bool first_panel) {
        float* crow = redirect ? c_scr + (ir - blk0) * ldc_s + jc : g.c + ir * g.ldc + jc;
        const index_t ldc = redirect ? ldc_s : g.ldc;
        for (index_t jr = 0; jr < nc; jr += nr) {
          const int nb = static_cast<int>(Min(nr, nc - jr));
          const RowPrefetch* hint = jr == 0 ? prefetch : nullptr;
          if (pack_in_tiles && first_panel) {
            g.tile.packing(kc, ap, rs, cs, a_ptrs, g.b + pc * g.ldb + jc + jr, g.ldb, pack_b + jr * kc, crow + jr,
                           ldc, mb, nb, g.alpha, beta, hint);
          } else {
            g.tile.ukr(kc, ap, rs, cs, a_ptrs, pack_b + jr * kc, crow + jr, ldc, mb, nb, g.alpha, beta, hint);
          }
        }
      };
      if (!g.trans_a && g.a_rows != nullptr) {
        // Indexed rows, read in place: the tiles and the narrow kernel take each panel's rows as
        // pointers (a short last panel repeats its first row, whose results are not stored).
        // The rows are scattered through a data set that is mostly not in cache: while a panel
        // is computed, the rows of the next one (or the first panel of the next K block) are
        // prefetched, so that it does not wait on memory.
        RowPrefetch next{};
        const float* rows[RowPrefetch::kMaxRows];
        for (index_t ir = 0; ir < g.m; ir += mr) {
          const int mb = static_cast<int>(Min(mr, g.m - ir));
          for (int i = 0; i < mr; ++i) {
            rows[i] = g.a + static_cast<index_t>(g.a_rows[ir + (i < mb ? i : 0)]) * g.lda + pc;
          }
          const bool last_panel = ir + mr >= g.m;
          const index_t next_ir = last_panel ? 0 : ir + mr, next_pc = last_panel ? pc + kc_step : pc;
          next.count = 0;
          next.length = Min(kc_step, g.k - next_pc);
          if (next_pc < g.k) {
            next.count = static_cast<int>(Min(Min(mr, RowPrefetch::kMaxRows), g.m - next_ir));
            for (int r = 0; r < next.count; ++r) next.rows[r] = g.a + static_cast<index_t>(g.a_rows[next_ir + r]) * g.lda + next_pc;
          }
          sweep(nullptr, 0, 1, rows, ir, mb, &next, ir == 0);
          if (g.narrow_r > 0) narrow(ir, mb, pc, kc, beta, nullptr, 0, rows);
        }
      } else if (!g.trans_a) {
        // Row-major A is read in place (op(A)(i, p) = A[i * lda + p]); a short last panel as row
        // pointers, its first row repeated past the end of A.
        for (index_t ir = 0; ir < g.m; ir += mr) {
          const int mb = static_cast<int>(Min(mr, g.m - ir));
          if (mb == mr) {
            sweep(g.a + ir * g.lda + pc, g.lda, 1, nullptr, ir, mb, nullptr, ir == 0);
          } else {
            const float* rows[RowPrefetch::kMaxRows];
            for (int i = 0; i < mr; ++i) rows[i] = g.a + (ir + (i < mb ? i : 0)) * g.lda + pc;
            sweep(nullptr, 0, 1, rows, ir, mb, nullptr, ir == 0);
          }
          if (g.narrow_r > 0) narrow(ir, mb, pc, kc, beta, g.a + ir * g.lda + pc, g.lda, nullptr);
        }
      } else {
        const index_t block_rows = kPanelsPerBlock * mr;
        for (index_t ic = 0; ic < g.m; ic += block_rows) {
          const index_t rows = Min(block_rows, g.m - ic);
          if (t.pack_a_transposed != nullptr) t.pack_a_transposed(g.a, g.lda, g.a_rows, ic, pc, rows, kc, mr, panel_a);
          else PackABlockTransposed(g.a, g.lda, g.a_rows, ic, pc, rows, kc, mr, panel_a);
          // with an in-loop epilogue, each panel's rows go to it as soon as the panel is done (while
          // they are in L1) when there are no narrow columns, else the block's after them
          const bool per_panel = redirect && g.narrow_r == 0;
          blk0 = ic;
          for (index_t s = 0; s * mr < rows; ++s) {
            const int mb = static_cast<int>(Min(mr, rows - s * mr));
            sweep(panel_a + s * kc * mr, 1, mr, nullptr, ic + s * mr, mb, nullptr, ic == 0 && s == 0);
            if (per_panel) g.block_epilogue(g.part, g.row0 + ic + s * mr, mb, c_scr + s * mr * ldc_s, ldc_s, g.block_context);
          }
          if (g.narrow_r > 0) {
            t.sgemm_narrow_packed(rows, mr, g.narrow_r, kc, g.alpha, panel_a, g.narrow_bc + pc, g.narrow_ldbc, beta,
                                  redirect ? c_scr + g.n : g.c + ic * g.ldc + g.n, redirect ? ldc_s : g.ldc);
          }
          if (redirect && !per_panel) g.block_epilogue(g.part, g.row0 + ic, rows, c_scr, ldc_s, g.block_context);
        }
      }
    }
  }
  return Status::Ok;
}

// GemmBlock, with the last r <= 4 columns of a narrow product (16 < n <= 128, n = 16q + r) given to
// the ISA's narrow kernel where it has one: in the micro-kernel they would fill a whole 16-lane
// vector of every rank-1 update (N = 50 uses 64 lanes for 50 columns).
Status GemmBlockNarrow(const GemmArgs& g) {
  const KernelTable& t = Table();
  const int r = static_cast<int>(NarrowColumns(t, g.n));
  if (r == 0) return GemmBlock(g);
  GemmArgs main = g;
  main.n = g.n - r;
  // The columns a whole number of 64 bytes apart, starting at the same offset within 64 bytes as
  // A (a row-major A's rows are all there when lda is a multiple of 16), so that the narrow kernel
  // can read both with aligned loads (x86/narrow.inc). In-process A/B against unaligned loads with
  // Bc packed k floats apart (time, new/old), AVX-512: NN 100 x 3072 x 50 0.93-0.95 on 1 thread,
  // 0.97 on 2; 100 x 3072 x 48 (no narrow column) 1.01; AVX2 0.99-1.00.
  const index_t ldbc = (g.k + 15) / 16 * 16;
  float* base = t_narrow.Get(static_cast<std::size_t>(r * ldbc + 16));
  if (base == nullptr) return Status::OutOfMemory;
  float* bc = base + reinterpret_cast<std::uintptr_t>(g.a) % 64 / sizeof(float);
  for (int j = 0; j < r; ++j) {
    const index_t col = main.n + j;
    float* d = bc + j * ldbc;
    if (g.trans_b) {
      std::memcpy(d, g.b + col * g.ldb, sizeof(float) * static_cast<std::size_t>(g.k));
    } else {
      for (index_t p = 0; p < g.k; ++p) d[p] = g.b[p * g.ldb + col];
    }
  }
  main.narrow_r = r;  // computed by GemmBlock, with each block of A still in L1
  main.narrow_bc = bc;
  main.narrow_ldbc = ldbc;
  return GemmBlock(main);
}

enum class Split { M, N, K };

// g restricted to op(A)'s rows (C's rows) from r0 on: the rows of a row-major A (or of its index),
// the columns of a transposed one.
void ShiftRows(GemmArgs& g, index_t r0) {
  if (g.trans_a) g.a += r0;
  else if (g.a_rows != nullptr) g.a_rows += r0;
  else g.a += r0 * g.lda;
  g.c += r0 * g.ldc;
}

// g restricted to the depth from p0 on: op(A)'s columns (a transposed A's rows, or its index
// entries) and op(B)'s rows.
void ShiftDepth(GemmArgs& g, index_t p0) {
  if (!g.trans_a) g.a += p0;
  else if (g.a_rows != nullptr) g.a_rows += p0;
  else g.a += p0 * g.lda;
  g.b += g.trans_b ? p0 : p0 * g.ldb;
}

// A product at most 16 columns wide (an output layer) on one thread, through the ISA's small-N
// kernel, K in blocks of kSmallNDepthBlock (later ones accumulating). The driver splits such
// products by blocks of rows; each part packs op(B) as one 16-wide sliver for itself (B,
// read-only and small, is in every core's cache; one copy packed by the calling thread had to
// travel to the others: 128 x 512 x 10 on 2 threads took 1.5x the tiles' time that way). The
// kernel reads A in place, transposed or not, where the tiles pack a transposed A. In-process A/B
// against the tiles (time, small-N / tiles), 1 and 2 threads: 128 x 512 x 10 NN (the MLP output
// layer) 0.84 / 0.72, its dW 512 x 128 x 10 TN 0.71 / 0.68, 3072 x 100 x 10 TN 0.88 / 0.86,
// 1000 x 3072 x 10 NN 0.68 / 0.64, 128 x 784 x 16 NN 0.95 / 0.98, 256 x 256 x 13 NT 0.95 / 0.97.
Status SmallNBlock(const GemmArgs& g) {
  const KernelTable& t = Table();
  float* bp = t_pack_b.Get(static_cast<std::size_t>(Min(kSmallNDepthBlock, g.k) * 16));
  if (bp == nullptr) return Status::OutOfMemory;
  for (index_t p0 = 0; p0 < g.k; p0 += kSmallNDepthBlock) {
    GemmArgs d = g;
    ShiftDepth(d, p0);
    d.k = Min(kSmallNDepthBlock, g.k - p0);
    PackB(t, d.trans_b, d.b, d.ldb, 0, 0, d.k, d.n, 16, bp);
    t.sgemm_small_n(d.trans_a, d.m, static_cast<int>(d.n), d.k, d.alpha, d.a, d.lda, d.a_rows, bp,
                    p0 == 0 ? g.beta : 1.0f, d.c, d.ldc);
  }
  return Status::Ok;
}

struct ParallelGemm {
  bool small_n;  // through SmallNBlock (split by rows only), else GemmBlockNarrow
  GemmArgs g;
  Split split;
  index_t chunk;       // rows, columns or depth per part (a multiple of MR, NR or 1)
  float** partials;    // K split: part p > 0 writes an m x n partial product here
  GemmEpilogue epilogue;
  void* context;
  bool in_loop;  // the epilogue may take C's rows in the loop, C not stored (SgemmWithEpilogue's c_in_loop)
  Status status[64];
};

// Whether GemmBlock can compute C's rows into scratch and hand them to an epilogue block by block
// as they become final, instead of storing C: a transposed A (dW = X^T dZ), one K block deep and
// one N block wide (each row of C then done in one pass), beta = 0.
bool InLoopEpilogue(const GemmArgs& g) {
  const KernelTable& t = Table();
  return g.trans_a && g.k <= KcStep(t, g.k) && g.n <= g.tile.nc && g.beta == 0.0f;
}

void RunPart(index_t part, void* context) {
  ParallelGemm& pg = *static_cast<ParallelGemm*>(context);
  GemmArgs g = pg.g;
  const index_t lo = part * pg.chunk;
  switch (pg.split) {
    case Split::M: {
      g.m = Min(pg.chunk, pg.g.m - lo);
      ShiftRows(g, lo);
      break;
    }
    case Split::N: {
      g.n = Min(pg.chunk, pg.g.n - lo);
      g.b = pg.g.trans_b ? pg.g.b + lo * pg.g.ldb : pg.g.b + lo;
      g.c = pg.g.c + lo;
      break;
    }
    case Split::K: {
      g.k = Min(pg.chunk, pg.g.k - lo);
      ShiftDepth(g, lo);
      if (part > 0) {
        g.c = pg.partials[part];
        g.ldc = pg.g.n;
        g.beta = 0.0f;
      }
      break;
    }
  }
  const bool in_loop = pg.in_loop && pg.split == Split::M && !pg.small_n && InLoopEpilogue(g);
  if (in_loop) {
    g.block_epilogue = pg.epilogue;
    g.block_context = pg.context;
    g.part = part;
    g.row0 = lo;
  }
  pg.status[part] = pg.small_n ? SmallNBlock(g) : GemmBlockNarrow(g);
  if (!in_loop && pg.epilogue != nullptr && pg.split == Split::M && pg.status[part] == Status::Ok) {
    pg.epilogue(part, lo, g.m, g.c, g.ldc, pg.context);
  }
}

// Picks pg's split into `parts` (M, N or K) and its chunk, moving it to the tall tile where that
// applies; false when none fits (the product then runs on one thread).
bool ChooseSplit(const KernelTable& t, ParallelGemm& pg, index_t parts) {
  const index_t m = pg.g.m, n = pg.g.n, k = pg.g.k;
  // Choose the split that duplicates the least: along M every part packs all of B (k * n);
  // along N every part reads all of A (m * k); along K the partial products cost m * n each.
  // With an epilogue, M whenever it can: the epilogue then runs on each part's rows while they are
  // in that core's cache, and those rows are the ones the element-split passes that follow (the
  // optimizer's update) give the same core. (MLP 784-512-512-10 on 2 threads, dW with an L2
  // penalty: N split then a penalty pass, 2.17 ms per iteration; M split, 2.09 ms.)
  // An N split costs something of its own on 2 cores: NN 128 x 784 x 512 and 128 x 512 x 512 take
  // 1.10-1.14x the time of their 1-thread half alone (C++ harness, in-process alternation). Two
  // threads each running a 1-thread half concurrently lose 5-9% when their C blocks are the two
  // halves of one C's rows, nothing with C blocks of their own (one thread writing half of a wide
  // C alone loses 0-3%), so it is the rows of C that both cores write (prefetches across the
  // halves, probably: no counters here). Computing each part into a contiguous block of its own
  // and copying it into C at the end did not pay once measured with the addon (in-process A/B,
  // time: 128 x 784 x 512 0.98, 128 x 512 x 512 1.03, 256^3 1.13; MLP training loop on 2 threads
  // 1.01), nor did M splits for those NN shapes (harness: 1.01-1.07). When the host places the two
  // vCPUs far apart (a cross-core round trip of about 400 ns instead of 80-130), writing halves of
  // the same rows costs 10%: 128 x 784 x 512, two 1-thread halves with B and C of their own 466-471
  // GFLOP/s, with their C the two halves of one 424, and 425 with 128 bytes between the halves
  // (near: 464-472 for all three). So a product whose B is small enough to pack on every part at
  // next to no cost splits along M, each part then writing whole rows: dX = dZ W^T of a 10-class
  // output layer (128 x 10 x 512), most of whose rows then go to the core that the activation pass
  // that follows gives them (AVX-512: parts of 72 and 56 rows, the pass's 64 and 64).
  // MLP 784-512-512-10 on 2 threads, in-process loop, both versions in one build alternated every 8
  // iterations: 1.1% less time an iteration far (6 of 7 windows of 1.5 s), the same near.
  const index_t mr = pg.g.tile.mr, nr = pg.g.tile.nr;
  const index_t m_tiles = (m + mr - 1) / mr, n_tiles = (n + nr - 1) / nr;
  const bool small_b = static_cast<double>(k) * n <= kSmallPackedB;
  const double cost_m = m_tiles >= parts ? (pg.epilogue != nullptr || small_b ? 0.0 : static_cast<double>(k) * n * parts) : 1e300;
  const double cost_n = n_tiles >= parts ? 0.5 * static_cast<double>(m) * k * parts : 1e300;
  const double cost_k = k >= 64 * parts ? 2.0 * static_cast<double>(m) * n * parts : 1e300;
  if (cost_m <= cost_n && cost_m <= cost_k) {
    pg.split = Split::M;
  } else if (cost_n <= cost_k) {
    pg.split = Split::N;
  } else if (cost_k < 1e300) {
    pg.split = Split::K;
  } else {
    return false;
  }
  // the tile may change (to the tall one): the chunks are cut along the final tile
  PreferTile(t, pg.g, pg.split == Split::M ? (m + parts - 1) / parts : m, pg.split == Split::N ? Chunk(n, nr, parts) : n,
             pg.split != Split::M);
  switch (pg.split) {
    case Split::M: pg.chunk = Chunk(m, pg.g.tile.mr, parts); break;
    case Split::N: pg.chunk = Chunk(n, pg.g.tile.nr, parts); break;
    case Split::K: pg.chunk = (k + parts - 1) / parts; break;
  }
  return true;
}

// The swapped NT product's transpose: S = C^T (n x rows, row-major, lds = rows) into C (rows x n,
// ldc). TransposeColumns writes C[:, j0 : j0 + cols] from S's rows j0 .. j0 + cols.
struct TransposeJob {
  const float* s;
  float* c;
  index_t rows, ldc;
};

void TransposeColumns(const TransposeJob& job, index_t j0, index_t cols) {
  const KernelTable& t = Table();
  const float* s = job.s + j0 * job.rows;
  float* c = job.c + j0;
  if (t.transpose != nullptr) {
    t.transpose(s, job.rows, job.rows, cols, c, job.ldc);
  } else {
    for (index_t i = 0; i < job.rows; ++i) {
      for (index_t q = 0; q < cols; ++q) c[i * job.ldc + q] = s[q * job.rows + i];
    }
  }
}

// The swapped product's epilogue: each finished block of C^T's rows, transposed into C on the
// thread that computed it while the block is in its cache.
void TransposeEpilogue(index_t, index_t r0, index_t rows, const float*, index_t, void* context) {
  TransposeColumns(*static_cast<const TransposeJob*>(context), r0, rows);
}

// Whether an NT product C = A B^T (beta = 0) runs faster as C^T = B A^T, then C = (C^T)^T: the
// micro-kernel's transposed operand is packed, and transposed while packed, so this packs A (m x k)
// and transposes C (m x n) instead of packing B (n x k). dX = dZ W^T of a dense layer wider than
// its minibatch is such a product. In-process A/B on this machine's AVX-512 (GFLOP/s, direct ->
// swapped): 128 x 512 x 784 (M x K x N) 158 -> 172 on 1 thread, 310 -> 342 on 2; 128 x 512 x 512
// 167 -> 177 and 310 -> 318; 32 x 300 x 1000 144 -> 181. 100 x 50 x 3072, where C is bigger than
// B, gained nothing even before the transpose: left direct. m > 16: the swapped product is m
// columns wide, and at most 16 would send it to the small-N kernel, not measured this way.
bool SwapNt(index_t m, index_t n, index_t k) { return m > 16 && 2 * m * (k + n) <= n * k; }

// The parts a product of `fma` multiply-adds is cut into on `threads` threads (before the split
// itself may round them down).
index_t Parts(double fma, int threads) {
  return Min(Min(threads, 64), Max(1, static_cast<index_t>(fma / kMinFmaPerThread)));
}

// Whether a product n columns wide goes to the ISA's small-N kernel (split by rows only).
bool SmallN(const KernelTable& t, index_t n) { return n <= 16 && t.sgemm_small_n != nullptr; }

}  // namespace

// Follows SgemmWithEpilogue's choices below (an epilogue given: no swap, M split where it fits).
index_t SgemmEpilogueRowChunk(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, int threads) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const KernelTable& t = Table();
  if (threads <= 0) threads = DefaultNumThreads();
  const index_t parts = Parts(static_cast<double>(m) * n * k, threads);
  if (parts <= 1 || SmallN(t, n)) return 0;
  ParallelGemm pg{};
  pg.g = GemmArgs{ChooseTile(t, n), trans_a, trans_b, m, n, k, 1.0f, nullptr, 0, nullptr, 0,
                  0.0f, nullptr, 0, nullptr, 0, nullptr, 0, nullptr, nullptr, 0, 0};
  pg.epilogue = TransposeEpilogue;  // any: only its presence counts
  if (!ChooseSplit(t, pg, parts) || pg.split != Split::M) return 0;
  return pg.chunk;
}

Status Sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
             index_t lda, const float* b, index_t ldb, float beta, float* c, index_t ldc, int threads) {
  return SgemmWithEpilogue(trans_a, trans_b, m, n, k, alpha, a, lda, nullptr, b, ldb, beta, c, ldc, threads, nullptr,
                           nullptr, false, nullptr);
}

Status SgemmWithEpilogue(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
                         index_t lda, const std::int32_t* a_rows, const float* b, index_t ldb, float beta, float* c,
                         index_t ldc, int threads, GemmEpilogue epilogue, void* context, bool c_in_loop,
                         bool* epilogue_ran) {
  if (m <= 0 || n <= 0) return Status::Ok;
  if (epilogue_ran != nullptr) *epilogue_ran = epilogue != nullptr;
  // the whole of C as one block, on the calling thread (single-threaded products)
  const auto whole = [&](Status s) {
    if (s == Status::Ok && epilogue != nullptr) epilogue(0, 0, m, c, ldc, context);
    return s;
  };
  if (k <= 0 || alpha == 0.0f) {
    ScaleC(m, n, beta, c, ldc);
    return whole(Status::Ok);
  }
  const KernelTable& t = Table();
  const double fma = static_cast<double>(m) * n * k;
  if (threads <= 0) threads = DefaultNumThreads();
  if (!trans_a && trans_b && a_rows == nullptr && epilogue == nullptr && beta == 0.0f && SwapNt(m, n, k)) {
    float* ct = t_swap.Get(static_cast<std::size_t>(n * m));
    if (ct == nullptr) return Status::OutOfMemory;
    TransposeJob job{ct, c, m, ldc};
    bool transposed = false;
    const Status s = SgemmWithEpilogue(false, true, n, m, k, alpha, b, ldb, nullptr, a, lda, 0.0f, ct, m, threads,
                                       TransposeEpilogue, &job, false, &transposed);
    // split along N or K: no part held whole rows of C^T
    if (s == Status::Ok && !transposed) TransposeColumns(job, 0, n);
    t_swap.Trim(kKeepSwapFloats);
    return s;
  }
  index_t parts = Parts(fma, threads);
  ParallelGemm pg{};
  pg.small_n = SmallN(t, n);
  pg.g = GemmArgs{ChooseTile(t, n), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                  beta, c, ldc, a_rows, 0, nullptr, 0, nullptr, nullptr, 0, 0};
  pg.epilogue = epilogue;
  pg.context = context;
  pg.in_loop = epilogue != nullptr && c_in_loop;
  if (pg.small_n) parts = Min(parts, (m + kSmallNRows - 1) / kSmallNRows);
  if (parts <= 1) {
    if (pg.small_n) return whole(SmallNBlock(pg.g));
    PreferTile(t, pg.g, m, n, true);
    if (pg.in_loop && InLoopEpilogue(pg.g)) {
      pg.g.block_epilogue = epilogue;
      pg.g.block_context = context;
      return GemmBlockNarrow(pg.g);
    }
    return whole(GemmBlockNarrow(pg.g));
  }
  if (pg.small_n) {
    pg.split = Split::M;
    pg.chunk = Chunk(m, kSmallNRows, parts);
  } else if (!ChooseSplit(t, pg, parts)) {
    PreferTile(t, pg.g, m, n, true);
    return whole(GemmBlockNarrow(pg.g));
  }

  const index_t extent = pg.split == Split::M ? m : pg.split == Split::N ? n : k;
  parts = (extent + pg.chunk - 1) / pg.chunk;

  float* partials[64] = {};
  if (pg.split == Split::K) {
    float* scratch = t_partial.Get(static_cast<std::size_t>((parts - 1) * m * n));
    if (scratch == nullptr) return Status::OutOfMemory;
    for (index_t p = 1; p < parts; ++p) partials[p] = scratch + (p - 1) * m * n;
    pg.partials = partials;
  }
  ParallelFor(static_cast<int>(parts), parts, RunPart, &pg);
  for (index_t p = 0; p < parts; ++p) {
    if (pg.status[p] != Status::Ok) return pg.status[p];
  }
  if (pg.split == Split::K) {
    for (index_t p = 1; p < parts; ++p) {
      const float* src = partials[p];
      for (index_t i = 0; i < m; ++i) {
        float* ci = c + i * ldc;
        const float* si = src + i * n;
        for (index_t j = 0; j < n; ++j) ci[j] += si[j];
      }
    }
    if (epilogue_ran != nullptr) *epilogue_ran = false;
    return Status::Ok;
  }
  if (pg.split == Split::N && epilogue_ran != nullptr) *epilogue_ran = false;
  return Status::Ok;
}

}  // namespace nn::kernels
