/*
 * Module Name: binding/optim.cc
 *
 * Abstract: parameter updates over flat buffers (all of a model's parameters in one call).
 */
#include <cmath>

#include "../kernels/nn_kernels.h"
#include "args.h"
#include "exports.h"

namespace nn::binding {

// sgdUpdate(w, g, n, lr, threads?): w -= lr * g
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array w = Float32Arg(info, 0, "w");
  Napi::Float32Array g = Float32Arg(info, 1, "g");
  const index_t n = SizeArg(info, 2, "n");
  const float lr = FiniteArg(info, 3, "lr");
  RequireLength(env, "w", w.ElementLength(), n);
  RequireLength(env, "g", g.ElementLength(), n);
  kernels::SgdUpdate(w.Data(), g.Data(), n, lr, ThreadsArg(info, 4));
  return env.Undefined();
}

// momentumUpdate(w, g, v, n, lr, mu, threads?): v = mu * v - lr * g; w += v
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
  kernels::MomentumUpdate(w.Data(), g.Data(), v.Data(), n, lr, mu, ThreadsArg(info, 6));
  return env.Undefined();
}

}  // namespace nn::binding

namespace nn::binding {
namespace {

// Checks the flat buffers of an update: every one holds n elements, state buffers apart from w.
index_t CheckBuffers(const Napi::CallbackInfo& info, std::initializer_list<std::pair<const char*, Napi::Float32Array>> arrays, size_t n_index) {
  Napi::Env env = info.Env();
  const index_t n = SizeArg(info, n_index, "n");
  for (const auto& [name, arr] : arrays) RequireLength(env, name, arr.ElementLength(), n);
  return n;
}

}  // namespace

// nesterovUpdate(w, g, v, n, lr, mu, threads?)
Napi::Value NesterovUpdate(const Napi::CallbackInfo& info) {
  Napi::Float32Array w = Float32Arg(info, 0, "w"), g = Float32Arg(info, 1, "g"), v = Float32Arg(info, 2, "v");
  const index_t n = CheckBuffers(info, {{"w", w}, {"g", g}, {"v", v}}, 3);
  const float lr = FiniteArg(info, 4, "lr"), mu = FiniteArg(info, 5, "mu");
  RequireDisjoint(info.Env(), "v", v, "w", w);
  kernels::NesterovUpdate(w.Data(), g.Data(), v.Data(), n, lr, mu, ThreadsArg(info, 6));
  return info.Env().Undefined();
}

// adagradUpdate(w, g, cache, n, lr, eps, threads?)
Napi::Value AdagradUpdate(const Napi::CallbackInfo& info) {
  Napi::Float32Array w = Float32Arg(info, 0, "w"), g = Float32Arg(info, 1, "g"), c = Float32Arg(info, 2, "cache");
  const index_t n = CheckBuffers(info, {{"w", w}, {"g", g}, {"cache", c}}, 3);
  const float lr = FiniteArg(info, 4, "lr"), eps = FiniteArg(info, 5, "eps");
  RequireDisjoint(info.Env(), "cache", c, "w", w);
  kernels::AdagradUpdate(w.Data(), g.Data(), c.Data(), n, lr, eps, ThreadsArg(info, 6));
  return info.Env().Undefined();
}

// rmspropUpdate(w, g, cache, n, lr, decay, eps, threads?)
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  Napi::Float32Array w = Float32Arg(info, 0, "w"), g = Float32Arg(info, 1, "g"), c = Float32Arg(info, 2, "cache");
  const index_t n = CheckBuffers(info, {{"w", w}, {"g", g}, {"cache", c}}, 3);
  const float lr = FiniteArg(info, 4, "lr"), decay = FiniteArg(info, 5, "decay"), eps = FiniteArg(info, 6, "eps");
  RequireDisjoint(info.Env(), "cache", c, "w", w);
  kernels::RmspropUpdate(w.Data(), g.Data(), c.Data(), n, lr, decay, eps, ThreadsArg(info, 7));
  return info.Env().Undefined();
}

// adamUpdate(w, g, m, v, n, lr, beta1, beta2, eps, step, threads?): step t >= 1 sets the bias corrections
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Napi::Float32Array w = Float32Arg(info, 0, "w"), g = Float32Arg(info, 1, "g");
  Napi::Float32Array m = Float32Arg(info, 2, "m"), v = Float32Arg(info, 3, "v");
  const index_t n = CheckBuffers(info, {{"w", w}, {"g", g}, {"m", m}, {"v", v}}, 4);
  const float lr = FiniteArg(info, 5, "lr"), b1 = FiniteArg(info, 6, "beta1"), b2 = FiniteArg(info, 7, "beta2");
  const float eps = FiniteArg(info, 8, "eps");
  const index_t step = PositiveArg(info, 9, "step");
  RequireDisjoint(info.Env(), "m", m, "w", w);
  RequireDisjoint(info.Env(), "v", v, "w", w);
  RequireDisjoint(info.Env(), "v", v, "m", m);
  const double c1 = 1.0 / (1.0 - std::pow(static_cast<double>(b1), static_cast<double>(step)));
  const double c2 = 1.0 / (1.0 - std::pow(static_cast<double>(b2), static_cast<double>(step)));
  kernels::AdamUpdate(w.Data(), g.Data(), m.Data(), v.Data(), n, lr, b1, b2, eps, static_cast<float>(c1), static_cast<float>(c2),
                      ThreadsArg(info, 10));
  return info.Env().Undefined();
}

}  // namespace nn::binding
