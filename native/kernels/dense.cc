/*
 * Module Name: dense.cc
 *
 * Abstract: the fused dense layer, forward and backward, built from the GEMM driver and the
 * dispatched elementwise kernels. Forward: one GEMM, then bias and activation in a single pass
 * over a few output rows at a time while they are still in L1 (blocks of rows spread over the
 * pool). Backward:
 * activation derivative in place (chunks over the pool),
 * dW = X^T . dZ with the penalty's gradient added onto each block of rows of it as soon as the block
 * is done (or in a pass over the pool when the product was split by columns), db, and dX skipped
 * for the first layer.
 */
#include "kernel_table.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

struct PenaltyEpilogue {
  double (*penalty)(const float*, index_t, float, float, float*, bool);
  const float* w;
  float* dw;
  index_t ld;  // row length of w and dw
  float l1, l2;
  double parts[64];
};

// penalty(w) into parts[part], its gradient added onto dW, over one block of whole rows
void AddPenalty(index_t part, index_t r0, index_t rows, void* context) {
  PenaltyEpilogue& pe = *static_cast<PenaltyEpilogue*>(context);
  pe.parts[part] += pe.penalty(pe.w + r0 * pe.ld, rows * pe.ld, pe.l1, pe.l2, pe.dw + r0 * pe.ld, true);
}

}  // namespace

Status DenseForward(const float* x, const std::int32_t* x_rows, const float* w, const float* b, float* y, index_t n,
                    index_t in, index_t out, Activation act, int threads) {
  const Status s = SgemmWithEpilogue(false, false, n, out, in, 1.0f, x, in, x_rows, w, out, 0.0f, y, out, threads,
                                     nullptr, nullptr, nullptr);  // (n, out)
  if (s != Status::Ok) return s;
  const KernelTable& t = Table();
  // bias and activation a few rows at a time (about 16 KiB, so that the activation finds them in
  // L1), over the pool by blocks of rows. Row by row, the two calls per row cost more than their
  // work on narrow layers: a 100 x 64 x 50 ReLU layer took 6.1 us a call that way, 5.4-5.6 now.
  const index_t chunk = out >= 4096 ? 1 : 4096 / out;
  const auto rows = [&](index_t r0, index_t count, index_t) {
    for (index_t r = r0; r < r0 + count; r += chunk) {
      const index_t n_rows = r0 + count - r < chunk ? r0 + count - r : chunk;
      float* yr = y + r * out;
      if (b != nullptr) t.bias_add(yr, b, n_rows, out);
      if (act != Activation::Linear) t.activation_forward(act, yr, yr, n_rows * out);
    }
  };
  if (b != nullptr || act != Activation::Linear) ParallelRange(n, out, 1, threads, rows);
  return Status::Ok;
}

Status DenseBackward(const float* x, const std::int32_t* x_rows, const float* w, const float* y, const float* dy,
                     float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out, Activation act,
                     float l1, float l2, double* penalty, int threads) {
  const KernelTable& t = Table();
  // dZ = dY * act'(Z), from the output Y, over the pool by chunks of elements
  ParallelRange(n * out, 1, 16, threads, [&](index_t b0, index_t count, index_t) {
    t.activation_backward(act, y + b0, dy + b0, dz + b0, count);
  });
  const bool regularized = l1 != 0.0f || l2 != 0.0f;
  // dW = X^T . dZ, and the penalty's gradient added onto each block of rows of dW by the thread
  // that computed it, while the block is still in that core's cache; when the product was split
  // by columns, in a pass of its own over the pool (split by elements, as the optimizer's update
  // that follows it, so that each core finds its part of W and dW in its own cache)
  PenaltyEpilogue pe{t.penalty, w, dw, out, l1, l2, {}};
  bool fused = false;
  Status s = SgemmWithEpilogue(true, false, in, out, n, 1.0f, x, in, x_rows, dz, out, 0.0f, dw, out, threads,
                               regularized ? AddPenalty : nullptr, &pe, &fused);
  if (s != Status::Ok) return s;
  double total = 0.0;
  for (double part : pe.parts) total += part;  // in part order: the same for a given shape and thread count
  *penalty = regularized && !fused ? Penalty(w, in * out, l1, l2, dw, true, threads) : total;
  if (db != nullptr) t.bias_grad(dz, n, out, db);  // db = sum over rows of dZ
  if (dx != nullptr) s = Sgemm(false, true, n, in, out, 1.0f, dz, out, w, out, 0.0f, dx, in, threads);  // dX = dZ . W^T
  return s;
}

}  // namespace nn::kernels
