/*
 * Module Name: binding/layers.cc
 *
 * Abstract: dense-layer pieces (bias add and its gradient, ReLU forward/backward), the softmax
 * cross-entropy loss and the L2 penalty. Outputs are caller-allocated and written in place.
 */
#include "../kernels/nn_kernels.h"
#include "args.h"
#include "exports.h"

namespace nn::binding {

// biasAdd(y, bias, rows, cols): y[r, :] += bias
Napi::Value BiasAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array y = Float32Arg(info, 0, "y");
  Napi::Float32Array bias = Float32Arg(info, 1, "bias");
  const index_t rows = SizeArg(info, 2, "rows"), cols = SizeArg(info, 3, "cols");
  RequireLength(env, "y", y.ElementLength(), rows * cols);
  RequireLength(env, "bias", bias.ElementLength(), cols);
  RequireDisjoint(env, "y", y, "bias", bias);
  kernels::BiasAdd(y.Data(), bias.Data(), rows, cols);
  return env.Undefined();
}

// biasGrad(dy, rows, cols, db): db = column sums of dy
Napi::Value BiasGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array dy = Float32Arg(info, 0, "dy");
  const index_t rows = SizeArg(info, 1, "rows"), cols = SizeArg(info, 2, "cols");
  Napi::Float32Array db = Float32Arg(info, 3, "db");
  RequireLength(env, "dy", dy.ElementLength(), rows * cols);
  RequireLength(env, "db", db.ElementLength(), cols);
  RequireDisjoint(env, "db", db, "dy", dy);
  kernels::BiasGrad(dy.Data(), rows, cols, db.Data());
  return env.Undefined();
}

// reluForward(x, y, n): y = max(0, x); y may be x
Napi::Value ReluForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x = Float32Arg(info, 0, "x");
  Napi::Float32Array y = Float32Arg(info, 1, "y");
  const index_t n = SizeArg(info, 2, "n");
  RequireLength(env, "x", x.ElementLength(), n);
  RequireLength(env, "y", y.ElementLength(), n);
  kernels::ReluForward(x.Data(), y.Data(), n);
  return env.Undefined();
}

// reluBackward(y, dy, dx, n): dx = dy where y > 0, else 0; dx may be dy
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array y = Float32Arg(info, 0, "y");
  Napi::Float32Array dy = Float32Arg(info, 1, "dy");
  Napi::Float32Array dx = Float32Arg(info, 2, "dx");
  const index_t n = SizeArg(info, 3, "n");
  RequireLength(env, "y", y.ElementLength(), n);
  RequireLength(env, "dy", dy.ElementLength(), n);
  RequireLength(env, "dx", dx.ElementLength(), n);
  kernels::ReluBackward(y.Data(), dy.Data(), dx.Data(), n);
  return env.Undefined();
}

// softmaxCrossEntropy(scores, labels, n, c, dscores | null) -> mean loss
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array scores = Float32Arg(info, 0, "scores");
  Napi::Int32Array labels = Int32Arg(info, 1, "labels");
  const index_t n = PositiveArg(info, 2, "n"), c = PositiveArg(info, 3, "c");
  bool has_grad = false;
  Napi::Float32Array dscores = OptionalFloat32Arg(info, 4, "dscores", &has_grad);
  RequireLength(env, "scores", scores.ElementLength(), n * c);
  RequireLength(env, "labels", labels.ElementLength(), n);
  if (has_grad) RequireLength(env, "dscores", dscores.ElementLength(), n * c);
  const std::int32_t* y = labels.Data();
  for (index_t i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= c) {
      ThrowCode(env, "RangeError", "NNKIT_ERR_LABEL",
                "Expected label in [0, " + std::to_string(c) + ") for labels[" + std::to_string(i) +
                    "] but received " + std::to_string(y[i]));
    }
  }
  const double loss = kernels::SoftmaxCrossEntropy(scores.Data(), y, n, c, has_grad ? dscores.Data() : nullptr);
  return Napi::Number::New(env, loss);
}

// l2Penalty(w, n, lambda, grad | null) -> 0.5 * lambda * sum(w^2); grad = lambda * w
Napi::Value L2Penalty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array w = Float32Arg(info, 0, "w");
  const index_t n = SizeArg(info, 1, "n");
  const float lambda = FiniteArg(info, 2, "lambda");
  bool has_grad = false;
  Napi::Float32Array grad = OptionalFloat32Arg(info, 3, "grad", &has_grad);
  RequireLength(env, "w", w.ElementLength(), n);
  if (has_grad) RequireLength(env, "grad", grad.ElementLength(), n);
  return Napi::Number::New(env, kernels::L2Penalty(w.Data(), n, lambda, has_grad ? grad.Data() : nullptr));
}

}  // namespace nn::binding
