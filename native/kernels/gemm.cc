/*
 * Module Name: gemm.cc
 *
 * Abstract: the ISA-agnostic single-precision GEMM driver (BLIS loop order). For each NC-wide
 * column panel and KC-deep slice of op(B), the slice is packed into NR-wide slivers; for each
 * MC-tall block of op(A) the block is packed into MR-tall slivers; the micro-kernel from the
 * dispatch table then sweeps the MR x NR tiles. Packing folds in the transposes and pads edges
 * with zeros, so the micro-kernel always runs a full tile and stores only the part inside C.
 */
#include <cstdlib>

#include "kernel_table.h"

namespace nn::kernels {
namespace {

constexpr std::size_t kAlign = 64;

// A per-thread, grow-only, 64-byte-aligned scratch buffer for packed panels.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* Get(std::size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      const std::size_t bytes = (floats * sizeof(float) + kAlign - 1) / kAlign * kAlign;
      data_ = static_cast<float*>(std::aligned_alloc(kAlign, bytes));
      capacity_ = data_ != nullptr ? floats : 0;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  std::size_t capacity_ = 0;
};

thread_local PackBuffer t_pack_a;
thread_local PackBuffer t_pack_b;

inline index_t Min(index_t a, index_t b) { return a < b ? a : b; }

// Packs op(A)[i0 : i0 + mc, p0 : p0 + kc] into MR-tall slivers: dst[s][p][i], zero-padded rows.
void PackA(bool trans, const float* a, index_t lda, index_t i0, index_t p0, index_t mc, index_t kc,
           int mr, float* dst) {
  for (index_t is = 0; is < mc; is += mr) {
    const index_t rows = Min(mr, mc - is);
    for (index_t p = 0; p < kc; ++p) {
      float* d = dst + p * mr;
      if (!trans) {
        const float* src = a + (i0 + is) * lda + (p0 + p);  // op(A)(i, p) = A[i * lda + p]
        for (index_t i = 0; i < rows; ++i) d[i] = src[i * lda];
      } else {
        const float* src = a + (p0 + p) * lda + (i0 + is);  // op(A)(i, p) = A[p * lda + i]
        for (index_t i = 0; i < rows; ++i) d[i] = src[i];
      }
      for (index_t i = rows; i < mr; ++i) d[i] = 0.0f;
    }
    dst += kc * mr;
  }
}

// Packs op(B)[p0 : p0 + kc, j0 : j0 + nc] into NR-wide slivers: dst[s][p][j], zero-padded columns.
void PackB(bool trans, const float* b, index_t ldb, index_t p0, index_t j0, index_t kc, index_t nc,
           int nr, float* dst) {
  for (index_t js = 0; js < nc; js += nr) {
    const index_t cols = Min(nr, nc - js);
    for (index_t p = 0; p < kc; ++p) {
      float* d = dst + p * nr;
      if (!trans) {
        const float* src = b + (p0 + p) * ldb + (j0 + js);  // op(B)(p, j) = B[p * ldb + j]
        for (index_t j = 0; j < cols; ++j) d[j] = src[j];
      } else {
        const float* src = b + (j0 + js) * ldb + (p0 + p);  // op(B)(p, j) = B[j * ldb + p]
        for (index_t j = 0; j < cols; ++j) d[j] = src[j * ldb];
      }
      for (index_t j = cols; j < nr; ++j) d[j] = 0.0f;
    }
    dst += kc * nr;
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

}  // namespace

Status Sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha,
             const float* a, index_t lda, const float* b, index_t ldb, float beta, float* c,
             index_t ldc) {
  if (m <= 0 || n <= 0) return Status::Ok;
  if (k <= 0 || alpha == 0.0f) {
    ScaleC(m, n, beta, c, ldc);
    return Status::Ok;
  }
  const KernelTable& t = Table();
  const int mr = t.mr, nr = t.nr;
  const index_t kc_max = Min(t.kc, k);
  const index_t mc_max = Min(t.mc, (m + mr - 1) / mr * mr);
  const index_t nc_max = Min(t.nc, (n + nr - 1) / nr * nr);
  float* pack_a = t_pack_a.Get(static_cast<std::size_t>(mc_max * kc_max));
  float* pack_b = t_pack_b.Get(static_cast<std::size_t>(nc_max * kc_max));
  if (pack_a == nullptr || pack_b == nullptr) return Status::OutOfMemory;

  for (index_t jc = 0; jc < n; jc += t.nc) {
    const index_t nc = Min(t.nc, n - jc);
    for (index_t pc = 0; pc < k; pc += t.kc) {
      const index_t kc = Min(t.kc, k - pc);
      const float beta_here = pc == 0 ? beta : 1.0f;  // later K slices accumulate
      PackB(trans_b, b, ldb, pc, jc, kc, nc, nr, pack_b);
      for (index_t ic = 0; ic < m; ic += t.mc) {
        const index_t mc = Min(t.mc, m - ic);
        PackA(trans_a, a, lda, ic, pc, mc, kc, mr, pack_a);
        for (index_t jr = 0; jr < nc; jr += nr) {
          const int nb = static_cast<int>(Min(nr, nc - jr));
          const float* bp = pack_b + (jr / nr) * kc * nr;
          for (index_t ir = 0; ir < mc; ir += mr) {
            const int mb = static_cast<int>(Min(mr, mc - ir));
            t.sgemm_ukr(kc, pack_a + (ir / mr) * kc * mr, bp, c + (ic + ir) * ldc + (jc + jr), ldc,
                        mb, nb, alpha, beta_here);
          }
        }
      }
    }
  }
  return Status::Ok;
}

}  // namespace nn::kernels
