/*
 * Module Name: ref/elementwise_ref.cc
 *
 * Abstract: scalar reference versions of the layer, loss and optimizer kernels. They are the
 * oracle the SIMD versions are tested against, and the path used on CPUs without AVX2.
 */
#include <cmath>

#include "../kernel_table.h"

namespace nn::kernels::ref {

void BiasAdd(float* y, const float* bias, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float* yr = y + r * cols;
    for (index_t j = 0; j < cols; ++j) yr[j] += bias[j];
  }
}

void BiasGrad(const float* dy, index_t rows, index_t cols, float* db) {
  for (index_t j = 0; j < cols; ++j) db[j] = 0.0f;
  for (index_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * cols;
    for (index_t j = 0; j < cols; ++j) db[j] += dyr[j];
  }
}

void ReluForward(const float* x, float* y, index_t n) {
  // NaN passes through (as numpy's maximum does): a diverged run must stay visible.
  for (index_t i = 0; i < n; ++i) y[i] = (x[i] > 0.0f || x[i] != x[i]) ? x[i] : 0.0f;
}

void ReluBackward(const float* y, const float* dy, float* dx, index_t n) {
  for (index_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores) {
  double total = 0.0;
  const float inv_n = 1.0f / static_cast<float>(n);
  for (index_t r = 0; r < n; ++r) {
    const float* s = scores + r * c;
    float mx = s[0];
    for (index_t j = 1; j < c; ++j) mx = (s[j] > mx || s[j] != s[j]) ? s[j] : mx;
    float sum = 0.0f;
    for (index_t j = 0; j < c; ++j) sum += std::exp(s[j] - mx);
    const float log_sum = std::log(sum);
    const std::int32_t y = labels[r];
    total += static_cast<double>(log_sum - (s[y] - mx));  // -log softmax(s)[y]
    if (dscores != nullptr) {
      float* d = dscores + r * c;
      const float inv_sum = 1.0f / sum;
      for (index_t j = 0; j < c; ++j) d[j] = std::exp(s[j] - mx) * inv_sum * inv_n;
      d[y] -= inv_n;
    }
  }
  return total / static_cast<double>(n);
}

}  // namespace nn::kernels::ref

namespace nn::kernels::ref {

double FmaProbe(index_t iters, float* sink) {
  float acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float x = 0.999999f, y = 1e-7f;
  for (index_t it = 0; it < iters; ++it) {
    for (float& a : acc) a = a * x + y;
  }
  float s = 0;
  for (float a : acc) s += a;
  *sink = s;
  return 2.0 * 8 * static_cast<double>(iters);
}

}  // namespace nn::kernels::ref

namespace nn::kernels::ref {
#include "../generic/loss_optim.inc"
}  // nn::kernels::ref

namespace nn::kernels::ref {

// The oracle for the SIMD activations: libm in double, rounded once to float.
void ActivationForward(Activation act, const float* x, float* y, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    const double v = x[i];
    switch (act) {
      case Activation::Linear: y[i] = x[i]; break;
      case Activation::Relu: y[i] = (x[i] > 0.0f || x[i] != x[i]) ? x[i] : 0.0f; break;
      case Activation::LeakyRelu: y[i] = x[i] < 0.0f ? x[i] * kLeakySlope : x[i]; break;
      case Activation::Tanh: y[i] = static_cast<float>(std::tanh(v)); break;
      case Activation::Sigmoid: y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-v))); break;
    }
  }
}

void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    switch (act) {
      case Activation::Linear: dx[i] = dy[i]; break;
      case Activation::Relu: dx[i] = y[i] > 0.0f ? dy[i] : 0.0f; break;
      case Activation::LeakyRelu: dx[i] = dy[i] * (y[i] > 0.0f ? 1.0f : kLeakySlope); break;
      case Activation::Tanh: dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
      case Activation::Sigmoid: dx[i] = dy[i] * y[i] * (1.0f - y[i]); break;
    }
  }
}

void VecExp(const float* x, float* y, index_t n) {
  for (index_t i = 0; i < n; ++i) y[i] = static_cast<float>(std::exp(static_cast<double>(x[i])));
}

}  // namespace nn::kernels::ref
