/*
 * Module Name: dense.cc
 *
 * Abstract: the fused dense layer, forward and backward, built from the GEMM driver and the
 * dispatched elementwise kernels. Forward: one GEMM, then bias and activation in a single pass
 * over each output row while it is still in L1. Backward: activation derivative in place,
 * dW = X^T . dZ, then the penalty's gradient added onto it, db, and dX skipped for the first layer.
 */
#include "kernel_table.h"

namespace nn::kernels {

Status DenseForward(const float* x, const float* w, const float* b, float* y, index_t n, index_t in, index_t out,
                    Activation act, int threads) {
  const Status s = Sgemm(false, false, n, out, in, 1.0f, x, in, w, out, 0.0f, y, out, threads);  // (n, out)
  if (s != Status::Ok) return s;
  const KernelTable& t = Table();
  for (index_t r = 0; r < n; ++r) {
    float* yr = y + r * out;
    if (b != nullptr) t.bias_add(yr, b, 1, out);
    if (act != Activation::Linear) t.activation_forward(act, yr, yr, out);
  }
  return Status::Ok;
}

Status DenseBackward(const float* x, const float* w, const float* y, const float* dy, float* dz, float* dw,
                     float* db, float* dx, index_t n, index_t in, index_t out, Activation act, float l1, float l2,
                     double* penalty, int threads) {
  const KernelTable& t = Table();
  t.activation_backward(act, y, dy, dz, n * out);  // dZ = dY * act'(Z), from the output Y
  const bool regularized = l1 != 0.0f || l2 != 0.0f;
  Status s = Sgemm(true, false, in, out, n, 1.0f, x, in, dz, out, 0.0f, dw, out, threads);
  if (s != Status::Ok) return s;
  // the penalty's gradient added onto X^T . dZ while dW is still in this core's cache
  *penalty = regularized ? Penalty(w, in * out, l1, l2, dw, true, threads) : 0.0;
  if (db != nullptr) t.bias_grad(dz, n, out, db);  // db = sum over rows of dZ
  if (dx != nullptr) s = Sgemm(false, true, n, in, out, 1.0f, dz, out, w, out, 0.0f, dx, in, threads);  // dX = dZ . W^T
  return s;
}

}  // namespace nn::kernels
