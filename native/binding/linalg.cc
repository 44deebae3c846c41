/*
 * Module Name: binding/linalg.cc
 *
 * Abstract: sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc): BLAS semantics
 * on row-major Float32Arrays, C written in place.
 */
#include "../kernels/nn_kernels.h"
#include "args.h"
#include "exports.h"

namespace nn::binding {

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = BoolArg(info, 0, "transA"), tb = BoolArg(info, 1, "transB");
  const index_t m = SizeArg(info, 2, "m"), n = SizeArg(info, 3, "n"), k = SizeArg(info, 4, "k");
  const float alpha = FloatArg(info, 5, "alpha");
  Napi::Float32Array a = Float32Arg(info, 6, "A");
  const index_t lda = SizeArg(info, 7, "lda");
  Napi::Float32Array b = Float32Arg(info, 8, "B");
  const index_t ldb = SizeArg(info, 9, "ldb");
  const float beta = FloatArg(info, 10, "beta");
  Napi::Float32Array c = Float32Arg(info, 11, "C");
  const index_t ldc = SizeArg(info, 12, "ldc");
  // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k when transposed).
  RequireLength(env, "A", a.ElementLength(), MatrixSpan(env, "A", ta ? k : m, ta ? m : k, lda));
  RequireLength(env, "B", b.ElementLength(), MatrixSpan(env, "B", tb ? n : k, tb ? k : n, ldb));
  RequireLength(env, "C", c.ElementLength(), MatrixSpan(env, "C", m, n, ldc));
  RequireDisjoint(env, "C", c, "A", a);
  RequireDisjoint(env, "C", c, "B", b);
  const kernels::Status s =
      kernels::Sgemm(ta, tb, m, n, k, alpha, a.Data(), lda, b.Data(), ldb, beta, c.Data(), ldc);
  if (s == kernels::Status::OutOfMemory) ThrowCode(env, "Error", "NNKIT_ERR_MEMORY", "sgemm: out of memory for packing buffers");
  return env.Undefined();
}

}  // namespace nn::binding
