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
void SgdUpdate(float* w, const float* g, index_t n, float lr) { Table().sgd_update(w, g, n, lr); }
void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu) {
  Table().momentum_update(w, g, v, n, lr, mu);
}

void ActivationForward(Activation act, const float* x, float* y, index_t n) { Table().activation_forward(act, x, y, n); }
void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n) {
  Table().activation_backward(act, y, dy, dx, n);
}
void VecExp(const float* x, float* y, index_t n) { Table().vec_exp(x, y, n); }
double SvmLoss(const float* scores, const std::int32_t* labels, index_t n, index_t c, float* dscores) {
  return Table().svm_loss(scores, labels, n, c, dscores);
}
double MseLoss(const float* pred, const float* target, index_t n, index_t c, float* dpred) {
  return Table().mse_loss(pred, target, n, c, dpred);
}
void VecMul(const float* a, const float* b, float* y, index_t n) { Table().vec_mul(a, b, y, n); }
void DropoutForward(const float* x, float* y, float* mask, index_t n, float keep, std::uint32_t seed) {
  Table().dropout_forward(x, y, mask, n, keep, seed);
}
double Penalty(const float* w, index_t n, float l1, float l2, float* grad, bool accumulate) {
  return Table().penalty(w, n, l1, l2, grad, accumulate);
}
void NesterovUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu) {
  Table().nesterov_update(w, g, v, n, lr, mu);
}
void AdagradUpdate(float* w, const float* g, float* cache, index_t n, float lr, float eps) {
  Table().adagrad_update(w, g, cache, n, lr, eps);
}
void RmspropUpdate(float* w, const float* g, float* cache, index_t n, float lr, float decay, float eps) {
  Table().rmsprop_update(w, g, cache, n, lr, decay, eps);
}
void AdamUpdate(float* w, const float* g, float* m, float* v, index_t n, float lr, float b1, float b2, float eps,
                float c1, float c2) {
  Table().adam_update(w, g, m, v, n, lr, b1, b2, eps, c1, c2);
}

}  // namespace nn::kernels
