/*
 * Module Name: binding/optim.cc
 *
 * Abstract: parameter updates over flat buffers (all of a model's parameters in one call).
 */
#include "../kernels/nn_kernels.h"
#include "args.h"
#include "exports.h"

namespace nn::binding {

// sgdUpdate(w, g, n, lr): w -= lr * g
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array w = Float32Arg(info, 0, "w");
  Napi::Float32Array g = Float32Arg(info, 1, "g");
  const index_t n = SizeArg(info, 2, "n");
  const float lr = FiniteArg(info, 3, "lr");
  RequireLength(env, "w", w.ElementLength(), n);
  RequireLength(env, "g", g.ElementLength(), n);
  kernels::SgdUpdate(w.Data(), g.Data(), n, lr);
  return env.Undefined();
}

// momentumUpdate(w, g, v, n, lr, mu): v = mu * v - lr * g; w += v
Napi::Value MomentumUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array w = Float32Arg(info, 0, "w");
  Napi::Float32Array g = Float32Arg(info, 1, "g");
  Napi::Float32Array v = Float32Arg(info, 2, "v");
  const index_t n = SizeArg(info, 3, "n");
  const float lr = FiniteArg(info, 4, "lr"), mu = FiniteArg(info, 5, "mu");
  RequireLength(env, "w", w.ElementLength(), n);
  RequireLength(env, "g", g.ElementLength(), n);
  RequireLength(env, "v", v.ElementLength(), n);
  RequireDisjoint(env, "v", v, "w", w);
  kernels::MomentumUpdate(w.Data(), g.Data(), v.Data(), n, lr, mu);
  return env.Undefined();
}

}  // namespace nn::binding
