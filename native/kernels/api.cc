/*
 * Module Name: api.cc
 *
 * Abstract: the public entry points of nn_kernels.h that are a plain jump through the dispatch
 * table (GEMM has its own driver in gemm.cc).
 */
#include <cstring>

#include "kernel_table.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

// An elementwise kernel over n floats, cut at multiples of kPenaltyBlock (the penalty's float
// sums then do not depend on the split).
template <typename Body>
index_t ParallelElements(index_t n, int threads, Body body) {
  return ParallelRange(n, 1, kPenaltyBlock, threads, body);
}

}  // namespace

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
void SgdUpdate(float* w, const float* g, index_t n, float lr, int threads) {
  const auto f = Table().sgd_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, c, lr); });
}
void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu, int threads) {
  const auto f = Table().momentum_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, v + b, c, lr, mu); });
}

void ActivationForward(Activation act, const float* x, float* y, index_t n) { Table().activation_forward(act, x, y, n); }
void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n) {
  Table().activation_backward(act, y, dy, dx, n);
}
void GatherRows(const float* src, index_t row_len, const std::int32_t* idx, index_t count, float* dst, int threads) {
  ParallelRange(count, row_len, 1, threads, [&](index_t b, index_t c, index_t) {
    for (index_t r = b; r < b + c; ++r) {
      std::memcpy(dst + r * row_len, src + static_cast<index_t>(idx[r]) * row_len, sizeof(float) * static_cast<std::size_t>(row_len));
    }
  });
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
double Penalty(const float* w, index_t n, float l1, float l2, float* grad, bool accumulate, int threads) {
  const auto f = Table().penalty;
  double parts[kMaxParallelTasks] = {};
  const index_t tasks = ParallelElements(n, threads, [&](index_t b, index_t c, index_t t) {
    parts[t] = f(w + b, c, l1, l2, grad != nullptr ? grad + b : nullptr, accumulate);
  });
  double total = 0.0;
  for (index_t t = 0; t < tasks; ++t) total += parts[t];  // in chunk order: the same for a given split
  return total;
}
void NesterovUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu, int threads) {
  const auto f = Table().nesterov_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, v + b, c, lr, mu); });
}
void AdagradUpdate(float* w, const float* g, float* cache, index_t n, float lr, float eps, int threads) {
  const auto f = Table().adagrad_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, cache + b, c, lr, eps); });
}
void RmspropUpdate(float* w, const float* g, float* cache, index_t n, float lr, float decay, float eps, int threads) {
  const auto f = Table().rmsprop_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, cache + b, c, lr, decay, eps); });
}
void AdamUpdate(float* w, const float* g, float* m, float* v, index_t n, float lr, float b1, float b2, float eps,
                float c1, float c2, int threads) {
  const auto f = Table().adam_update;
  ParallelElements(n, threads, [&](index_t b, index_t c, index_t) { f(w + b, g + b, m + b, v + b, c, lr, b1, b2, eps, c1, c2); });
}

}  // namespace nn::kernels
