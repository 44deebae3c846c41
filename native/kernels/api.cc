/*
 * Module Name: api.cc
 *
 * Abstract: the public entry points of nn_kernels.h that are a plain jump through the dispatch
 * table (GEMM has its own driver in gemm.cc).
 */
#include "kernel_table.h"

namespace nn::kernels {

void BiasAdd(float* y, const float* bias, index_t rows, index_t cols) {
  Table().bias_add(y, bias, rows, cols);
}
void BiasGrad(const float* dy, index_t rows, index_t cols, float* db) {
  Table().bias_grad(dy, rows, cols, db);
}
void ReluForward(const float* x, float* y, index_t n) { Table().relu_forward(x, y, n); }
void ReluBackward(const float* y, const float* dy, float* dx, index_t n) {
  Table().relu_backward(y, dy, dx, n);
}
double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores) {
  return Table().softmax_xent(scores, labels, n, c, dscores);
}
double L2Penalty(const float* w, index_t n, float lambda, float* grad) {
  return Table().l2_penalty(w, n, lambda, grad);
}
void SgdUpdate(float* w, const float* g, index_t n, float lr) { Table().sgd_update(w, g, n, lr); }
void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu) {
  Table().momentum_update(w, g, v, n, lr, mu);
}

}  // namespace nn::kernels
