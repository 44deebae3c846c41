/*
 * Module Name: binding/layers.cc
 *
 * Abstract: dense-layer pieces (bias add and its gradient, ReLU forward/backward), the softmax
 * cross-entropy loss and the L2 penalty. Outputs are caller-allocated and written in place.
 */
#include <string>
#include <string_view>
#include <vector>

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

namespace {

// The arguments shared by the classification losses: (scores, labels, n, c, dscores | null), checked,
// every label in [0, c).
struct LossArgs {
  Napi::Float32Array scores, dscores;
  const std::int32_t* labels;
  index_t n, c;
  bool has_grad;
};

LossArgs ClassificationLossArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LossArgs a{};
  a.scores = Float32Arg(info, 0, "scores");
  Napi::Int32Array labels = Int32Arg(info, 1, "labels");
  a.n = PositiveArg(info, 2, "n");
  a.c = PositiveArg(info, 3, "c");
  a.dscores = OptionalFloat32Arg(info, 4, "dscores", &a.has_grad);
  RequireLength(env, "scores", a.scores.ElementLength(), a.n * a.c);
  RequireLength(env, "labels", labels.ElementLength(), a.n);
  if (a.has_grad) RequireLength(env, "dscores", a.dscores.ElementLength(), a.n * a.c);
  a.labels = labels.Data();
  for (index_t i = 0; i < a.n; ++i) {
    if (a.labels[i] < 0 || a.labels[i] >= a.c) {
      ThrowCode(env, "RangeError", "NNKIT_ERR_LABEL", "Expected label in [0, " + std::to_string(a.c) + ") for labels[" +
                std::to_string(i) + "] but received " + std::to_string(a.labels[i]));
    }
  }
  return a;
}

}  // namespace

// softmaxCrossEntropy(scores, labels, n, c, dscores | null) -> mean loss
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  LossArgs a = ClassificationLossArgs(info);
  return Napi::Number::New(info.Env(), kernels::SoftmaxCrossEntropy(a.scores.Data(), a.labels, a.n, a.c, a.has_grad ? a.dscores.Data() : nullptr));
}

}  // namespace nn::binding

namespace nn::binding {
namespace {

kernels::Activation ActivationArg(const Napi::CallbackInfo& info, size_t i) {
  const index_t a = SizeArg(info, i, "activation");
  if (a >= kernels::kActivationCount) {
    ThrowCode(info.Env(), "RangeError", "NNKIT_ERR_ARG",
              "Expected activation code in [0, " + std::to_string(kernels::kActivationCount) + ") but received " + std::to_string(a));
  }
  return static_cast<kernels::Activation>(a);
}

void ThrowStatus(Napi::Env env, kernels::Status s) {
  if (s == kernels::Status::OutOfMemory) ThrowCode(env, "Error", "NNKIT_ERR_MEMORY", "out of memory for kernel scratch buffers");
}

}  // namespace

// activationForward(act, x, y, n): y = act(x); y may be x
Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const kernels::Activation act = ActivationArg(info, 0);
  Napi::Float32Array x = Float32Arg(info, 1, "x");
  Napi::Float32Array y = Float32Arg(info, 2, "y");
  const index_t n = SizeArg(info, 3, "n");
  RequireLength(env, "x", x.ElementLength(), n);
  RequireLength(env, "y", y.ElementLength(), n);
  kernels::ActivationForward(act, x.Data(), y.Data(), n);
  return env.Undefined();
}

// activationBackward(act, y, dy, dx, n): dx = dy * act'(from y); dx may be dy
Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const kernels::Activation act = ActivationArg(info, 0);
  Napi::Float32Array y = Float32Arg(info, 1, "y");
  Napi::Float32Array dy = Float32Arg(info, 2, "dy");
  Napi::Float32Array dx = Float32Arg(info, 3, "dx");
  const index_t n = SizeArg(info, 4, "n");
  RequireLength(env, "y", y.ElementLength(), n);
  RequireLength(env, "dy", dy.ElementLength(), n);
  RequireLength(env, "dx", dx.ElementLength(), n);
  kernels::ActivationBackward(act, y.Data(), dy.Data(), dx.Data(), n);
  return env.Undefined();
}

// vecExp(x, y, n): y = exp(x)
Napi::Value VecExp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x = Float32Arg(info, 0, "x");
  Napi::Float32Array y = Float32Arg(info, 1, "y");
  const index_t n = SizeArg(info, 2, "n");
  RequireLength(env, "x", x.ElementLength(), n);
  RequireLength(env, "y", y.ElementLength(), n);
  kernels::VecExp(x.Data(), y.Data(), n);
  return env.Undefined();
}

// svmLoss(scores, labels, n, c, dscores | null) -> mean hinge loss
Napi::Value SvmLoss(const Napi::CallbackInfo& info) {
  LossArgs a = ClassificationLossArgs(info);
  return Napi::Number::New(info.Env(), kernels::SvmLoss(a.scores.Data(), a.labels, a.n, a.c, a.has_grad ? a.dscores.Data() : nullptr));
}

// mseLoss(pred, target, n, c, dpred | null) -> 0.5 * mean over rows of the squared error
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array pred = Float32Arg(info, 0, "pred");
  Napi::Float32Array target = Float32Arg(info, 1, "target");
  const index_t n = PositiveArg(info, 2, "n"), c = PositiveArg(info, 3, "c");
  bool has_grad = false;
  Napi::Float32Array dpred = OptionalFloat32Arg(info, 4, "dpred", &has_grad);
  RequireLength(env, "pred", pred.ElementLength(), n * c);
  RequireLength(env, "target", target.ElementLength(), n * c);
  if (has_grad) {
    RequireLength(env, "dpred", dpred.ElementLength(), n * c);
    RequireDisjoint(env, "dpred", dpred, "target", target);
  }
  return Napi::Number::New(env, kernels::MseLoss(pred.Data(), target.Data(), n, c, has_grad ? dpred.Data() : nullptr));
}

// gatherRows(src, rowLen, indices, dst, threads?): dst row r = src row indices[r]; every index is
// checked against the rows src holds.
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array src = Float32Arg(info, 0, "src");
  const index_t row_len = PositiveArg(info, 1, "rowLen");
  Napi::Int32Array idx = Int32Arg(info, 2, "indices");
  Napi::Float32Array dst = Float32Arg(info, 3, "dst");
  const index_t count = static_cast<index_t>(idx.ElementLength());
  const index_t rows = static_cast<index_t>(src.ElementLength()) / row_len;
  RequireLength(env, "dst", dst.ElementLength(), count * row_len);
  RequireDisjoint(env, "dst", dst, "src", src);
  const std::int32_t* ix = idx.Data();
  for (index_t r = 0; r < count; ++r) {
    if (ix[r] < 0 || ix[r] >= rows) {
      ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE",
                "Expected row index in [0, " + std::to_string(rows) + ") for indices[" + std::to_string(r) + "] but received " + std::to_string(ix[r]));
    }
  }
  kernels::GatherRows(src.Data(), row_len, ix, count, dst.Data(), ThreadsArg(info, 4));
  return env.Undefined();
}

// vecMul(a, b, y, n): y = a * b
Napi::Value VecMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array a = Float32Arg(info, 0, "a");
  Napi::Float32Array b = Float32Arg(info, 1, "b");
  Napi::Float32Array y = Float32Arg(info, 2, "y");
  const index_t n = SizeArg(info, 3, "n");
  RequireLength(env, "a", a.ElementLength(), n);
  RequireLength(env, "b", b.ElementLength(), n);
  RequireLength(env, "y", y.ElementLength(), n);
  kernels::VecMul(a.Data(), b.Data(), y.Data(), n);
  return env.Undefined();
}

// dropoutForward(x, y, mask, n, keep, seed): inverted dropout; y may be x
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x = Float32Arg(info, 0, "x");
  Napi::Float32Array y = Float32Arg(info, 1, "y");
  Napi::Float32Array mask = Float32Arg(info, 2, "mask");
  const index_t n = SizeArg(info, 3, "n");
  const float keep = FiniteArg(info, 4, "keep");
  const index_t seed = SizeArg(info, 5, "seed");
  if (!(keep > 0.0f && keep <= 1.0f)) ThrowCode(env, "RangeError", "NNKIT_ERR_ARG", "Expected number in (0, 1] for keep but received " + FormatNumber(keep));
  if (n > 0xFFFFFFFFll) ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE", "Expected at most 2^32 elements for n");
  RequireLength(env, "x", x.ElementLength(), n);
  RequireLength(env, "y", y.ElementLength(), n);
  RequireLength(env, "mask", mask.ElementLength(), n);
  RequireDisjoint(env, "mask", mask, "x", x);
  kernels::DropoutForward(x.Data(), y.Data(), mask.Data(), n, keep, static_cast<std::uint32_t>(seed));
  return env.Undefined();
}

// penalty(w, n, l1, l2, grad | null, accumulate, threads?) -> l1 sum|w| + l2/2 sum w^2
Napi::Value Penalty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array w = Float32Arg(info, 0, "w");
  const index_t n = SizeArg(info, 1, "n");
  const float l1 = FiniteArg(info, 2, "l1"), l2 = FiniteArg(info, 3, "l2");
  bool has_grad = false;
  Napi::Float32Array grad = OptionalFloat32Arg(info, 4, "grad", &has_grad);
  const bool accumulate = BoolArg(info, 5, "accumulate");
  RequireLength(env, "w", w.ElementLength(), n);
  if (has_grad) {
    RequireLength(env, "grad", grad.ElementLength(), n);
    RequireDisjoint(env, "grad", grad, "w", w);
  }
  return Napi::Number::New(env, kernels::Penalty(w.Data(), n, l1, l2, has_grad ? grad.Data() : nullptr, accumulate, ThreadsArg(info, 6)));
}

namespace {

// The optional row index of a dense layer's input (argument i): null or undefined, or an Int32Array
// of n indices into the rows of x (x then holds a whole data set, `in` floats per row), each
// checked. Without it x must hold exactly the n rows.
const std::int32_t* InputRowsArg(const Napi::CallbackInfo& info, size_t i, Napi::Float32Array x, index_t n, index_t in) {
  Napi::Env env = info.Env();
  const Napi::Value v = info[i];
  if (v.IsNull() || v.IsUndefined()) {
    RequireLength(env, "x", x.ElementLength(), n * in);
    return nullptr;
  }
  Napi::Int32Array rows = Int32Arg(info, i, "rows");
  if (static_cast<index_t>(rows.ElementLength()) != n) {
    ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE",
              "Expected " + std::to_string(n) + " row indices for rows but received " + std::to_string(rows.ElementLength()));
  }
  const index_t available = static_cast<index_t>(x.ElementLength()) / in;
  const std::int32_t* ix = rows.Data();
  for (index_t r = 0; r < n; ++r) {
    if (ix[r] < 0 || ix[r] >= available) {
      ThrowCode(env, "RangeError", "NNKIT_ERR_SHAPE",
                "Expected row index in [0, " + std::to_string(available) + ") for rows[" + std::to_string(r) + "] but received " + std::to_string(ix[r]));
    }
  }
  return ix;
}

}  // namespace

// denseForward(x, w, b | null, y, n, in, out, act, threads, rows?): y = act(x . w + b), the input's
// row r being row rows[r] of x when rows is given
Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x = Float32Arg(info, 0, "x");
  Napi::Float32Array w = Float32Arg(info, 1, "w");
  bool has_b = false;
  Napi::Float32Array b = OptionalFloat32Arg(info, 2, "b", &has_b);
  Napi::Float32Array y = Float32Arg(info, 3, "y");
  const index_t n = SizeArg(info, 4, "n"), in = PositiveArg(info, 5, "in"), out = PositiveArg(info, 6, "out");
  const kernels::Activation act = ActivationArg(info, 7);
  const int threads = static_cast<int>(SizeArg(info, 8, "threads"));
  const std::int32_t* rows = InputRowsArg(info, 9, x, n, in);
  RequireLength(env, "w", w.ElementLength(), in * out);
  if (has_b) RequireLength(env, "b", b.ElementLength(), out);
  RequireLength(env, "y", y.ElementLength(), n * out);
  RequireDisjoint(env, "y", y, "x", x);
  RequireDisjoint(env, "y", y, "w", w);
  ThrowStatus(env, kernels::DenseForward(x.Data(), rows, w.Data(), has_b ? b.Data() : nullptr, y.Data(), n, in, out, act, threads));
  return env.Undefined();
}

namespace {

// The arguments denseBackward and denseBackwardUpdate share, (x, w, y, dy, dz, dw, db | null,
// dx | null, n, in, out, act, l1, l2, threads, rows?), checked: lengths, and dw and dx apart from
// what they are computed from (dz may alias dy).
struct BackwardArgs {
  Napi::Float32Array x, w, y, dy, dz, dw, db, dx;
  bool has_db = false, has_dx = false;
  index_t n, in, out;
  kernels::Activation act;
  float l1, l2;
  int threads;
  const std::int32_t* rows;
};

BackwardArgs ParseBackwardArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BackwardArgs a;
  a.x = Float32Arg(info, 0, "x");
  a.w = Float32Arg(info, 1, "w");
  a.y = Float32Arg(info, 2, "y");
  a.dy = Float32Arg(info, 3, "dy");
  a.dz = Float32Arg(info, 4, "dz");
  a.dw = Float32Arg(info, 5, "dw");
  a.db = OptionalFloat32Arg(info, 6, "db", &a.has_db);
  a.dx = OptionalFloat32Arg(info, 7, "dx", &a.has_dx);
  a.n = SizeArg(info, 8, "n");
  a.in = PositiveArg(info, 9, "in");
  a.out = PositiveArg(info, 10, "out");
  a.act = ActivationArg(info, 11);
  a.l1 = FiniteArg(info, 12, "l1");
  a.l2 = FiniteArg(info, 13, "l2");
  a.threads = static_cast<int>(SizeArg(info, 14, "threads"));
  a.rows = InputRowsArg(info, 15, a.x, a.n, a.in);
  RequireLength(env, "w", a.w.ElementLength(), a.in * a.out);
  RequireLength(env, "y", a.y.ElementLength(), a.n * a.out);
  RequireLength(env, "dy", a.dy.ElementLength(), a.n * a.out);
  RequireLength(env, "dz", a.dz.ElementLength(), a.n * a.out);
  RequireLength(env, "dw", a.dw.ElementLength(), a.in * a.out);
  if (a.has_db) RequireLength(env, "db", a.db.ElementLength(), a.out);
  if (a.has_dx) RequireLength(env, "dx", a.dx.ElementLength(), a.n * a.in);
  for (const auto& [name, arr] : {std::pair<const char*, Napi::Float32Array>{"x", a.x}, {"w", a.w}, {"dz", a.dz}}) {
    RequireDisjoint(env, "dw", a.dw, name, arr);
  }
  if (a.has_dx) {
    RequireDisjoint(env, "dx", a.dx, "dz", a.dz);
    RequireDisjoint(env, "dx", a.dx, "w", a.w);
  }
  return a;
}

}  // namespace

// denseBackward(x, w, y, dy, dz, dw, db | null, dx | null, n, in, out, act, l1, l2, threads, rows?) -> penalty
Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BackwardArgs a = ParseBackwardArgs(info);
  double penalty = 0.0;
  ThrowStatus(env, kernels::DenseBackward(a.x.Data(), a.rows, a.w.Data(), a.y.Data(), a.dy.Data(), a.dz.Data(), a.dw.Data(),
                                          a.has_db ? a.db.Data() : nullptr, a.has_dx ? a.dx.Data() : nullptr, a.n, a.in,
                                          a.out, a.act, a.l1, a.l2, &penalty, a.threads));
  return Napi::Number::New(env, penalty);
}

// denseBackwardUpdate(x, w, y, dy, dz, dw, db | null, dx | null, n, in, out, act, l1, l2, threads, rows | null,
//                     kind, lr, mu, wState | null, b | null, bState | null, penalties): denseBackward, then an
// optimizer step (kind 1 SGD, 2 momentum, 3 Nesterov) on w and b taken inside it; penalties (a Float64Array
// of 2) receives the penalty of w before and after the step.
Napi::Value DenseBackwardUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BackwardArgs a = ParseBackwardArgs(info);
  Napi::Float32Array &x = a.x, &w = a.w, &y = a.y, &dy = a.dy, &dz = a.dz, &dw = a.dw, &db = a.db, &dx = a.dx;
  const bool has_db = a.has_db, has_dx = a.has_dx;
  const index_t in = a.in, out = a.out;
  bool has_ws = false, has_b = false, has_bs = false;
  const index_t kind = SizeArg(info, 16, "kind");
  if (kind < 1 || kind > 3) {
    ThrowCode(env, "RangeError", "NNKIT_ERR_ARG", "Expected update kind 1 (sgd), 2 (momentum) or 3 (nesterov) but received " + std::to_string(kind));
  }
  const float lr = FiniteArg(info, 17, "lr"), mu = FiniteArg(info, 18, "mu");
  Napi::Float32Array w_state = OptionalFloat32Arg(info, 19, "wState", &has_ws);
  Napi::Float32Array b = OptionalFloat32Arg(info, 20, "b", &has_b);
  Napi::Float32Array b_state = OptionalFloat32Arg(info, 21, "bState", &has_bs);
  const Napi::Value pv = info[22];
  if (!pv.IsTypedArray() || pv.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowCode(env, "TypeError", "NNKIT_ERR_ARG", "Expected Float64Array of 2 for penalties but received another value");
  }
  Napi::Float64Array penalties = pv.As<Napi::Float64Array>();
  RequireLength(env, "penalties", penalties.ElementLength(), 2);
  const bool stateful = kind != 1;
  if (stateful && !has_ws) ThrowCode(env, "TypeError", "NNKIT_ERR_ARG", "Expected Float32Array for wState (the velocity of momentum and nesterov) but received null");
  if (stateful) RequireLength(env, "wState", w_state.ElementLength(), in * out);
  if (has_b) {
    if (!has_db) ThrowCode(env, "TypeError", "NNKIT_ERR_ARG", "Expected Float32Array for db (b is updated from it) but received null");
    RequireLength(env, "b", b.ElementLength(), out);
    if (stateful && !has_bs) ThrowCode(env, "TypeError", "NNKIT_ERR_ARG", "Expected Float32Array for bState (the velocity of momentum and nesterov) but received null");
    if (stateful) RequireLength(env, "bState", b_state.ElementLength(), out);
  }
  // wState, bState, b and w are written too: each apart from every other array (dz may alias dy, as
  // in denseBackward, and ParseBackwardArgs checked dw and dx)
  std::vector<std::pair<const char*, Napi::Float32Array>> arrays = {{"x", x}, {"w", w}, {"y", y}, {"dy", dy}, {"dz", dz}, {"dw", dw}};
  if (has_db) arrays.emplace_back("db", db);
  if (has_dx) arrays.emplace_back("dx", dx);
  if (stateful) arrays.emplace_back("wState", w_state);
  if (has_b) arrays.emplace_back("b", b);
  if (has_b && stateful) arrays.emplace_back("bState", b_state);
  const auto apart = [&](std::string_view name, const Napi::Float32Array& arr) {
    for (const auto& [other, other_arr] : arrays) {
      if (other != name) RequireDisjoint(env, name.data(), arr, other, other_arr);
    }
  };
  if (stateful) apart("wState", w_state);
  if (has_b && stateful) apart("bState", b_state);
  if (has_b) apart("b", b);
  apart("w", w);
  kernels::FusedUpdate update{static_cast<kernels::FusedUpdateKind>(kind), lr, mu, stateful ? w_state.Data() : nullptr,
                              has_b ? b.Data() : nullptr, has_b && stateful ? b_state.Data() : nullptr};
  double result[2] = {0.0, 0.0};
  ThrowStatus(env, kernels::DenseBackwardUpdate(x.Data(), a.rows, w.Data(), y.Data(), dy.Data(), dz.Data(), dw.Data(),
                                                has_db ? db.Data() : nullptr, has_dx ? dx.Data() : nullptr, a.n, in, out,
                                                a.act, a.l1, a.l2, update, result, a.threads));
  penalties[0] = result[0];
  penalties[1] = result[1];
  return env.Undefined();
}

}  // namespace nn::binding
