/*
 * Module Name: kernel_table.h
 *
 * Abstract: the dispatch table and the per-ISA kernel symbols behind it. Every ISA provides the
 * same set of entry points in its own namespace (ref, avx2, avx512), each in files compiled with
 * that ISA's flags. This header holds declarations only: no inline or template code, so nothing
 * compiled with AVX flags can be shared with (and leak into) the baseline objects.
 */
#pragma once

#include "nn_kernels.h"

namespace nn::kernels {

// Micro-kernel contract (BLIS, with A read in place as in MLAS): for MR rows of A addressed as
// A(i, p) = a[i * rs_a + p * cs_a] (all MR rows readable; the driver packs a short last row
// panel) and a packed B sliver (k x NR, b[p * NR + j], 32-byte aligned), computes
// AB = sum_p A(:, p) B(p, :) and writes C[i, j] = alpha * AB[i, j] + beta * C[i, j] for
// i < m <= MR, j < n <= NR. beta == 0: C is not read.
//
// a_ptrs (or null): A's rows one pointer each, A(i, p) = a_ptrs[i][p], for rows scattered
// through a data set (a minibatch read in place through its row index); MR pointers, all
// readable (a short panel repeats a row, whose results are not stored); a, rs_a and cs_a are
// then not used.
//
// prefetch (or null): rows of A the kernels read next (the next panel of a minibatch read from
// its data set, which is mostly not in cache). A hint, which kernels may ignore: after every 16
// rank-1 updates the kernel prefetches 2 * count 64-byte lines into L2, going round the rows line
// by line, until `length` floats of each row are covered, so that the next panel finds them in L2
// instead of waiting on memory.
struct RowPrefetch {
  static constexpr int kMaxRows = 16;
  const float* rows[kMaxRows];  // first float to fetch in each row
  int count;                    // rows in use (1..kMaxRows; 0: nothing to fetch)
  index_t length;               // floats of each row to fetch
};
// The penalty kernel sums |w| and w^2 in float over blocks of this many weights, counted from
// the start of its range, then in double. Callers that split a buffer over threads cut it at
// multiples of it (api.cc), so the float blocks, and the value, do not depend on the split.
constexpr index_t kPenaltyBlock = 512;

using SgemmUkr = void (*)(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                          const float* b, float* c, index_t ldc, int m, int n, float alpha, float beta,
                          const RowPrefetch* prefetch);

// The micro-kernel packing its own sliver as it goes: the same product, with op(B) read from a
// row-major B (op(B)(p, j) = b_src[p * ldb + j], j < n; no transpose), and the sliver packed
// into b on the way exactly as PackBSliver(false, b_src, ldb, k, n, NR, b) packs it (zero past n),
// for the next row panels' plain calls. The driver's first row panel of each packed B panel
// (gemm.cc): the copy's stores ride along with the multiply-adds instead of a pass of their own.
// Null where an ISA has none (the driver then packs first).
using SgemmUkrPacking = void (*)(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                                 const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n,
                                 float alpha, float beta, const RowPrefetch* prefetch);

// The last r <= 4 columns of a product with a row-major A (see x86/narrow.inc), its rows at
// a + i * lda or, when a_ptrs is set, at a_ptrs[i] (m pointers); null where an ISA has none.
// Bc holds the r columns of op(B) one after another, ldbc apart (bc[j * ldbc + p]). Called once
// per K block of k floats, in order: the K blocks' dot products are kept lane by lane in
// `partial` (m * r * kNarrowMaxLanes floats, 64-byte aligned; `first`: the first block, they
// start from zero) and only the call for the `last` block reduces them and writes
// C[i, j] = alpha * sum + beta * C[i, j] (beta == 0: C is not read). A single block is first and
// last at once.
constexpr int kNarrowMaxLanes = 16;
using SgemmNarrow = void (*)(index_t m, int r, index_t k, float alpha, const float* a, index_t lda,
                             const float* const* a_ptrs, const float* bc, index_t ldbc, float beta, float* c,
                             index_t ldc, float* partial, bool first, bool last);

// The same r <= 4 columns for a block of a transposed A already packed for the micro-kernel:
// `rows` rows of op(A) in ceil(rows / mr) panels of mr rows, panel s at panels + s * k * mr with
// A(s * mr + i, p) = panels[s * k * mr + p * mr + i] (mr <= 16). Lets the driver compute them
// while the block is in L1, instead of reading A again for them.
using SgemmNarrowPacked = void (*)(index_t rows, int mr, int r, index_t k, float alpha, const float* panels,
                                   const float* bc, index_t ldbc, float beta, float* c, index_t ldc);

// A product at most 16 columns wide: C[0:m, 0:n] = alpha op(A) Bp + beta C, with op(B) packed as
// k rows of 16 floats, zero past n (bp[p * 16 + j], 64-byte aligned). op(A)(i, p) =
// A[row(i) * lda + p], or A[row(p) * lda + i] when trans_a, row(r) = a_rows ? a_rows[r] : r.
// beta == 0: C is not read. Null where an ISA has none.
using SgemmSmallN = void (*)(bool trans_a, index_t m, int n, index_t k, float alpha, const float* a, index_t lda,
                             const std::int32_t* a_rows, const float* bp, float beta, float* c, index_t ldc);

// One NR-wide sliver of op(B) packed for the micro-kernel: dst[p * nr + j] = op(B)(p, j) for
// p < kc, j < cols (cols <= nr), zero for cols <= j < nr, where op(B)(p, j) = b[p * ldb + j], or
// b[j * ldb + p] when trans. nr is one of the ISA's tile widths; dst is 64-byte aligned. Null
// where an ISA has none (the driver's portable loop then packs).
using PackBSliver = void (*)(bool trans, const float* b, index_t ldb, index_t kc, index_t cols, int nr, float* dst);

// Rows [i0, i0 + rows) of op(A) = A^T (A stored k x m, its row p stored at row a_rows[p0 + p] of
// a when a_rows is not null, else p0 + p), depths [p0, p0 + kc), packed into ceil(rows / mr)
// panels of mr rows for the micro-kernel: dst[s * kc * mr + p * mr + i] = A^T(i0 + s * mr + i,
// p0 + p), zero past `rows`. mr is one of the ISA's tile heights (x86: 6, 8 or 12). Null where an
// ISA has none (the driver's portable loop then packs).
using PackATransposedFn = void (*)(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0,
                                   index_t rows, index_t kc, int mr, float* dst);

// dst[i * ldd + j] = src[j * lds + i] for i < rows, j < cols (nothing else of dst is written).
// Null where an ISA has none (the driver's portable loop then transposes).
using TransposeMatrixFn = void (*)(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd);

struct KernelTable {
  Isa isa;
  // GEMM: micro-kernel, its register tile, and the cache blocking used around it.
  SgemmUkr sgemm_ukr;
  SgemmUkrPacking sgemm_ukr_packing;  // null where an ISA has none
  SgemmNarrow sgemm_narrow;
  SgemmNarrowPacked sgemm_narrow_packed;  // set where sgemm_narrow is
  SgemmSmallN sgemm_small_n;
  PackBSliver pack_b_sliver;
  PackATransposedFn pack_a_transposed;
  TransposeMatrixFn transpose;
  int mr, nr;
  index_t kc, nc;  // K and N cache blocks (the packed B panel is kc x nc)
  // A second, wider and shorter tile for products whose width is an odd multiple of 48 columns
  // (plus at most 4 narrow ones: N = 50), where the main tile would end in a half-empty sliver.
  // Null where an ISA has none.
  SgemmUkr sgemm_ukr_wide;
  SgemmUkrPacking sgemm_ukr_wide_packing;
  int mr_wide, nr_wide;
  index_t nc_wide;
  // A third, taller one (fewer loads per multiply-add) for big products with a row-major A: per
  // thread at least 1024 rows and 512 columns, the last sliver more than half full. Null where an
  // ISA has none.
  SgemmUkr sgemm_ukr_tall;
  SgemmUkrPacking sgemm_ukr_tall_packing;
  int mr_tall, nr_tall;
  index_t nc_tall;
  void (*bias_add)(float*, const float*, index_t, index_t);
  void (*bias_grad)(const float*, index_t, index_t, float*);
  void (*relu_forward)(const float*, float*, index_t);
  void (*relu_backward)(const float*, const float*, float*, index_t);
  double (*softmax_xent)(const float*, const std::int32_t*, index_t, index_t, float*);
  void (*sgd_update)(float*, const float*, index_t, float);
  void (*momentum_update)(float*, const float*, float*, index_t, float, float);
  // Runs `iters` rounds of independent FMAs on this ISA's widest vectors; returns the flop count
  // (and stores a checksum so the loop is not optimized away). For measuring the machine's peak.
  double (*fma_probe)(index_t iters, float* sink);
  void (*activation_forward)(Activation, const float*, float*, index_t);
  void (*activation_backward)(Activation, const float*, const float*, float*, index_t);
  void (*vec_exp)(const float*, float*, index_t);
  double (*svm_loss)(const float*, const std::int32_t*, index_t, index_t, float*);
  double (*mse_loss)(const float*, const float*, index_t, index_t, float*);
  void (*vec_mul)(const float*, const float*, float*, index_t);
  void (*dropout_forward)(const float*, float*, float*, index_t, float, std::uint32_t);
  double (*penalty)(const float*, index_t, float, float, float*, bool);
  void (*nesterov_update)(float*, const float*, float*, index_t, float, float);
  // An optimizer step with the penalty's gradient added to g first (FusedStep in nn_kernels.h):
  // (kind, w, g, v, n, lr, mu, l1, l2, before, after)
  void (*fused_step)(int, float*, const float*, float*, index_t, float, float, float, float, double*, double*);
  void (*adagrad_update)(float*, const float*, float*, index_t, float, float);
  void (*rmsprop_update)(float*, const float*, float*, index_t, float, float, float);
  void (*adam_update)(float*, const float*, float*, float*, index_t, float, float, float, float, float, float);
};

const KernelTable& Table();

// Sgemm that hands finished blocks of whole rows of C to `epilogue` on the thread that computed
// them, while they are still in that core's cache: epilogue(part, r0, rows, c, ldc, context) for
// disjoint blocks C[r0 : r0 + rows, :] covering C once (their values at c, rows ldc floats apart),
// `part` < 64 numbering the thread's share in a fixed order for a given shape and thread count
// (several blocks may share a part; those of one part come from one thread, in order). That
// happens when the product runs on one thread or is split along M (chosen whenever C has a row
// tile per thread when there is an epilogue); when it is split along N or K no block holds whole
// rows, the epilogue is not called and *epilogue_ran (when not null) is set to false.
// With c_in_loop, where the driver can (a transposed A, one K block deep, one N block wide,
// beta = 0: a dense layer's dW = X^T . dZ), the rows are computed into a per-thread scratch block
// and handed over as soon as they are final, a few at a time while they are in L1, and C is not
// written at all; elsewhere C is stored and handed over as without it.
// For the fused dense backward (the penalty's gradient added onto dW, or the optimizer's step
// taken from it). a_rows (or null): the stored A's row r is row a_rows[r] of `a` (op(A)'s rows
// when A is not transposed, its columns when it is): a minibatch read straight from its data set,
// without a copy.
using GemmEpilogue = void (*)(index_t part, index_t r0, index_t rows, const float* c, index_t ldc, void* context);
Status SgemmWithEpilogue(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
                         index_t lda, const std::int32_t* a_rows, const float* b, index_t ldb, float beta, float* c,
                         index_t ldc, int threads, GemmEpilogue epilogue, void* context, bool c_in_loop,
                         bool* epilogue_ran);
// The rows of C per part that SgemmWithEpilogue, given an epilogue, splits such a product into
// (part p: rows [p * chunk, (p + 1) * chunk)), or 0 where it would not split it by rows (one
// thread, or a product at most 16 columns wide).
index_t SgemmEpilogueRowChunk(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, int threads);

#define NN_DECLARE_ISA_KERNELS(ns)                                                             \
  namespace ns {                                                                               \
  void SgemmUkr(index_t k, const float* a, index_t rs_a, index_t cs_a,                         \
                const float* const* a_ptrs, const float* b, float* c, index_t ldc, int m,      \
                int n, float alpha, float beta, const RowPrefetch* prefetch);                  \
  void BiasAdd(float* y, const float* bias, index_t rows, index_t cols);                       \
  void BiasGrad(const float* dy, index_t rows, index_t cols, float* db);                       \
  void ReluForward(const float* x, float* y, index_t n);                                       \
  void ReluBackward(const float* y, const float* dy, float* dx, index_t n);                    \
  double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n,        \
                             index_t c, float* dscores);                                       \
  void SgdUpdate(float* w, const float* g, index_t n, float lr);                               \
  void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu);      \
  double FmaProbe(index_t iters, float* sink);                                                 \
  void ActivationForward(Activation act, const float* x, float* y, index_t n);                  \
  void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n); \
  void VecExp(const float* x, float* y, index_t n);                                             \
  double SvmLoss(const float* scores, const std::int32_t* labels, index_t n, index_t c,         \
                 float* dscores);                                                              \
  double MseLoss(const float* pred, const float* target, index_t n, index_t c, float* dpred);  \
  void VecMul(const float* a, const float* b, float* y, index_t n);                            \
  void DropoutForward(const float* x, float* y, float* mask, index_t n, float keep,             \
                      std::uint32_t seed);                                                     \
  double Penalty(const float* w, index_t n, float l1, float l2, float* grad, bool accumulate);  \
  void NesterovUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu);       \
  void AdagradUpdate(float* w, const float* g, float* cache, index_t n, float lr, float eps);   \
  void RmspropUpdate(float* w, const float* g, float* cache, index_t n, float lr, float decay,  \
                     float eps);                                                               \
  void AdamUpdate(float* w, const float* g, float* m, float* v, index_t n, float lr, float b1,  \
                  float b2, float eps, float c1, float c2);                                    \
  void FusedStep(int kind, float* w, const float* g, float* v, index_t n, float lr, float mu,   \
                 float l1, float l2, double* before, double* after);                           \
  }

NN_DECLARE_ISA_KERNELS(ref)
NN_DECLARE_ISA_KERNELS(avx2)
NN_DECLARE_ISA_KERNELS(avx512)
namespace avx2 {
void PackATransposed(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                     index_t kc, int mr, float* dst);
void SgemmUkrPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                     const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                     float beta, const RowPrefetch* prefetch);
void PackBSliver(bool trans, const float* b, index_t ldb, index_t kc, index_t cols, int nr, float* dst);
void Transpose(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd);
void SgemmNarrow(index_t m, int r, index_t k, float alpha, const float* a, index_t lda, const float* const* a_ptrs,
                 const float* bc, index_t ldbc, float beta, float* c, index_t ldc, float* partial, bool first,
                 bool last);
void SgemmNarrowPacked(index_t rows, int mr, int r, index_t k, float alpha, const float* panels, const float* bc,
                       index_t ldbc, float beta, float* c, index_t ldc);
}
namespace avx512 {
void PackATransposed(const float* a, index_t lda, const std::int32_t* a_rows, index_t i0, index_t p0, index_t rows,
                     index_t kc, int mr, float* dst);
void SgemmUkrTall(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
                  float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch);
void SgemmUkrTallPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                         const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                         float beta, const RowPrefetch* prefetch);
void PackBSliver(bool trans, const float* b, index_t ldb, index_t kc, index_t cols, int nr, float* dst);
void Transpose(const float* src, index_t lds, index_t rows, index_t cols, float* dst, index_t ldd);
void SgemmUkrWide(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs, const float* b,
                  float* c, index_t ldc, int m, int n, float alpha, float beta, const RowPrefetch* prefetch);
void SgemmUkrPacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                     const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                     float beta, const RowPrefetch* prefetch);
void SgemmUkrWidePacking(index_t k, const float* a, index_t rs_a, index_t cs_a, const float* const* a_ptrs,
                         const float* b_src, index_t ldb, float* b, float* c, index_t ldc, int m, int n, float alpha,
                         float beta, const RowPrefetch* prefetch);
void SgemmNarrow(index_t m, int r, index_t k, float alpha, const float* a, index_t lda, const float* const* a_ptrs,
                 const float* bc, index_t ldbc, float beta, float* c, index_t ldc, float* partial, bool first,
                 bool last);
void SgemmNarrowPacked(index_t rows, int mr, int r, index_t k, float alpha, const float* panels, const float* bc,
                       index_t ldbc, float beta, float* c, index_t ldc);
void SgemmSmallN(bool trans_a, index_t m, int n, index_t k, float alpha, const float* a, index_t lda,
                 const std::int32_t* a_rows, const float* bp, float beta, float* c, index_t ldc);
}

#undef NN_DECLARE_ISA_KERNELS

// Register tiles of each micro-kernel.
namespace ref { constexpr int kMr = 4, kNr = 8; }
namespace avx2 { constexpr int kMr = 6, kNr = 16; }
namespace avx512 { constexpr int kMr = 12, kNr = 32, kMrWide = 8, kNrWide = 48, kMrTall = 6, kNrTall = 64; }

}  // namespace nn::kernels
