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
  const int threads = info.Length() > 13 && !info[13].IsUndefined() ? static_cast<int>(SizeArg(info, 13, "threads")) : 0;
  // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k when transposed).
  RequireLength(env, "A", a.ElementLength(), MatrixSpan(env, "A", ta ? k : m, ta ? m : k, lda));
  RequireLength(env, "B", b.ElementLength(), MatrixSpan(env, "B", tb ? n : k, tb ? k : n, ldb));
  RequireLength(env, "C", c.ElementLength(), MatrixSpan(env, "C", m, n, ldc));
  RequireDisjoint(env, "C", c, "A", a);
  RequireDisjoint(env, "C", c, "B", b);
  const kernels::Status s =
      kernels::Sgemm(ta, tb, m, n, k, alpha, a.Data(), lda, b.Data(), ldb, beta, c.Data(), ldc, threads);
  if (s == kernels::Status::OutOfMemory) ThrowCode(env, "Error", "NNKIT_ERR_MEMORY", "sgemm: out of memory for packing buffers");
  return env.Undefined();
}

// setNumThreads(n): the process-wide default thread count of the kernels
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const index_t n = PositiveArg(info, 0, "threads");
  if (n > 1024) ThrowCode(info.Env(), "RangeError", "NNKIT_ERR_ARG", "Expected integer in [1, 1024] for threads but received " + std::to_string(n));
  kernels::SetNumThreads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), kernels::NumThreads()); }

// fmaPeak(seconds) -> single-thread GFLOP/s of the active ISA's FMA units
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  const float seconds = FiniteArg(info, 0, "seconds");
  return Napi::Number::New(info.Env(), kernels::MeasureFmaPeakGflops(seconds));
}

// sgemmTilePeak(seconds) -> single-thread GFLOP/s of the large products' micro-kernel, operands in L1
Napi::Value SgemmTilePeak(const Napi::CallbackInfo& info) {
  const float seconds = FiniteArg(info, 0, "seconds");
  return Napi::Number::New(info.Env(), kernels::MeasureTileGflops(seconds));
}

// sgemmBench(transA, transB, m, n, k, A, lda, B, ldb, C, ldc, threads, minSeconds) -> seconds per call
Napi::Value SgemmBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = BoolArg(info, 0, "transA"), tb = BoolArg(info, 1, "transB");
  const index_t m = SizeArg(info, 2, "m"), n = SizeArg(info, 3, "n"), k = SizeArg(info, 4, "k");
  Napi::Float32Array a = Float32Arg(info, 5, "A");
  const index_t lda = SizeArg(info, 6, "lda");
  Napi::Float32Array b = Float32Arg(info, 7, "B");
  const index_t ldb = SizeArg(info, 8, "ldb");
  Napi::Float32Array c = Float32Arg(info, 9, "C");
  const index_t ldc = SizeArg(info, 10, "ldc");
  const int threads = static_cast<int>(SizeArg(info, 11, "threads"));
  const float min_seconds = FiniteArg(info, 12, "minSeconds");
  RequireLength(env, "A", a.ElementLength(), MatrixSpan(env, "A", ta ? k : m, ta ? m : k, lda));
  RequireLength(env, "B", b.ElementLength(), MatrixSpan(env, "B", tb ? n : k, tb ? k : n, ldb));
  RequireLength(env, "C", c.ElementLength(), MatrixSpan(env, "C", m, n, ldc));
  RequireDisjoint(env, "C", c, "A", a);
  RequireDisjoint(env, "C", c, "B", b);
  return Napi::Number::New(env, kernels::TimeSgemm(ta, tb, m, n, k, a.Data(), lda, b.Data(), ldb, c.Data(), ldc, threads, min_seconds));
}

// lowerThreadPriority(): the calling thread becomes a background thread (SCHED_IDLE) -> done?
Napi::Value LowerThreadPriority(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), kernels::MakeCurrentThreadIdle());
}

}  // namespace nn::binding
