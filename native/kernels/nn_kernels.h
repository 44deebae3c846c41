/*
 * Module Name: nn_kernels.h
 *
 * Abstract: the public kernel API of nnkit's native core. Plain C++17: no napi, no exceptions,
 * no allocation in hot loops. Every entry point dispatches through the kernel table that
 * dispatch.cc fills once from cpuid (capped by the NNKIT_ISA environment variable).
 *
 * Conventions: matrices are row-major float32; `ld*` is the distance in elements between the
 * starts of two consecutive rows. Callers (the binding) have checked every length and index:
 * kernels only assert.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace nn::kernels {

using index_t = std::int64_t;

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

enum class Status : int { Ok = 0, UnknownIsa = 1, OutOfMemory = 2 };

// Fills the kernel table once. `requested` is the NNKIT_ISA value (nullptr or "" = best available).
// The path used is the lower of what was asked and what the CPU supports. Safe to call again:
// later calls return the first call's status.
Status InitDispatch(const char* requested);
Isa ActiveIsa();
Isa BestSupportedIsa();
const char* IsaName(Isa isa);

// C = alpha * op(A) * op(B) + beta * C, op(A): m x k, op(B): k x n, C: m x n.
// beta == 0: C is not read. alpha == 0 or k == 0: A and B are not read.
// threads: how many threads may work on it (0 = the process default, see thread_pool.h).
// Returns OutOfMemory when the per-thread packing buffers cannot be allocated.
Status Sgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, float alpha, const float* a,
             index_t lda, const float* b, index_t ldb, float beta, float* c, index_t ldc, int threads = 0);

// The process-wide default thread count for kernels (NNKIT_NUM_THREADS, else the core count).
int NumThreads();
void SetNumThreads(int threads);

// Benchmark helpers, timed in native loops (no JS crossing inside the timed region).
// The single-thread GFLOP/s of the active ISA's FMA units, measured for about `seconds`.
double MeasureFmaPeakGflops(double seconds);
// Seconds per call of Sgemm(alpha = 1, beta = 0), repeated for at least `min_seconds`.
double TimeSgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, const float* a, index_t lda,
                 const float* b, index_t ldb, float* c, index_t ldc, int threads, double min_seconds);

// y[r, :] += bias for r in [0, rows); y is rows x cols, contiguous.
void BiasAdd(float* y, const float* bias, index_t rows, index_t cols);
// db[j] = sum_r dy[r, j] (the bias gradient); dy is rows x cols, contiguous.
void BiasGrad(const float* dy, index_t rows, index_t cols, float* db);
// y = max(0, x). y may alias x.
void ReluForward(const float* x, float* y, index_t n);
// dx = dy where y > 0, else 0. dx may alias dy.
void ReluBackward(const float* y, const float* dy, float* dx, index_t n);
// Mean softmax cross-entropy of scores (n x c) against labels in [0, c). When dscores is not
// null it receives the gradient of the mean loss: (softmax(s) - onehot(y)) / n. dscores may
// alias scores.
double SoftmaxCrossEntropy(const float* scores, const std::int32_t* labels, index_t n, index_t c,
                           float* dscores);
// Returns 0.5 * lambda * sum(w^2); when grad is not null, grad = lambda * w.
double L2Penalty(const float* w, index_t n, float lambda, float* grad);
// w -= lr * g
void SgdUpdate(float* w, const float* g, index_t n, float lr);
// v = mu * v - lr * g; w += v
void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu);

}  // namespace nn::kernels
