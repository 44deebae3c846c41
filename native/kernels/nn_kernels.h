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

// Activation functions; the numbers cross the binding.
enum class Activation : int { Linear = 0, Relu = 1, LeakyRelu = 2, Tanh = 3, Sigmoid = 4 };
constexpr int kActivationCount = 5;
constexpr float kLeakySlope = 0.01f;

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
// The single-thread GFLOP/s of the micro-kernel that large products run on (the AVX-512 6 x 64
// tile, the AVX2 6 x 16, the scalar 4 x 8), all its operands in L1, for about `seconds`: the
// ceiling of a whole product's rate, which adds packing and the memory traffic.
double MeasureTileGflops(double seconds);
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
// y = act(x) (y may alias x); dx = dy * act'(from the output y) (dx may alias dy).
void ActivationForward(Activation act, const float* x, float* y, index_t n);
void ActivationBackward(Activation act, const float* y, const float* dy, float* dx, index_t n);
// y = exp(x), within 1 ulp of the correctly rounded result (y may alias x).
void VecExp(const float* x, float* y, index_t n);
// Mean multiclass SVM (hinge) loss: sum_{j != y} max(0, s_j - s_y + 1), averaged over the n rows;
// dscores (may alias scores) receives its gradient.
double SvmLoss(const float* scores, const std::int32_t* labels, index_t n, index_t c, float* dscores);
// Half the mean over rows of the squared error: 0.5 / n * sum (pred - target)^2 over n x c values;
// dpred (may alias pred) receives its gradient (pred - target) / n.
double MseLoss(const float* pred, const float* target, index_t n, index_t c, float* dpred);
// y = a * b elementwise (y may alias either): the dropout backward pass, dx = dy * mask.
void VecMul(const float* a, const float* b, float* y, index_t n);
// Inverted dropout with keep probability `keep` in (0, 1]: mask[i] = (u_i < keep) / keep, with
// u_i a counter-based hash of (seed, i), the same on every ISA; y = x * mask (y may alias x).
void DropoutForward(const float* x, float* y, float* mask, index_t n, float keep, std::uint32_t seed);
// Returns l1 * sum|w| + 0.5 * l2 * sum(w^2) (L1, L2 and elastic net are special cases). When grad is
// not null it receives l1 * sign(w) + l2 * w, added to its contents when `accumulate`, else written.
double Penalty(const float* w, index_t n, float l1, float l2, float* grad, bool accumulate, int threads = 0);
// w -= lr * g
void SgdUpdate(float* w, const float* g, index_t n, float lr, int threads = 0);
// v = mu * v - lr * g; w += v
void MomentumUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu, int threads = 0);
// Nesterov momentum, in the "look-ahead" form: v' = mu * v - lr * g; w += -mu * v + (1 + mu) * v'.
void NesterovUpdate(float* w, const float* g, float* v, index_t n, float lr, float mu, int threads = 0);
// cache += g^2; w -= lr * g / (sqrt(cache) + eps)
void AdagradUpdate(float* w, const float* g, float* cache, index_t n, float lr, float eps, int threads = 0);
// cache = decay * cache + (1 - decay) * g^2; w -= lr * g / (sqrt(cache) + eps)
void RmspropUpdate(float* w, const float* g, float* cache, index_t n, float lr, float decay, float eps, int threads = 0);
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr * (m * c1) / (sqrt(v * c2) + eps), where
// c1 = 1 / (1 - b1^t) and c2 = 1 / (1 - b2^t) are the bias corrections of step t.
void AdamUpdate(float* w, const float* g, float* m, float* v, index_t n, float lr, float b1, float b2, float eps,
                float c1, float c2, int threads = 0);
// (Penalty and the updates: `threads` <= 0 means the process default; buffers of at least 64K
// elements are split into chunks over the thread pool. Adagrad, RMSProp and Adam on the AVX paths
// multiply by a refined reciprocal of sqrt(...) + eps instead of dividing: each step within 3 ulp
// of the quotient, the reference path's error within 2.)

// dst row r = src row idx[r] (rows of row_len floats), for r in [0, count): a minibatch drawn from a
// data set. Indices must be in range (the binding checks them). Large gathers use the thread pool.
void GatherRows(const float* src, index_t row_len, const std::int32_t* idx, index_t count, float* dst, int threads = 0);

// Puts the calling thread in the SCHED_IDLE class (Linux; elsewhere a no-op that returns false):
// it runs whenever a core would otherwise idle, and a host's event-loop thread woken for a timer
// or a request preempts it at once. For training threads, which nothing else waits on.
bool MakeCurrentThreadIdle();

// Subnormal floats read as zero and results that would be subnormal written as zero (x86: the
// MXCSR's DAZ and FTZ bits; elsewhere nothing), on the calling thread for the object's lifetime;
// the previous mode is restored on exit. On x86 every operation that meets a subnormal takes a
// microcode assist: a GEMM over subnormal inputs runs about 100x slower, and training produces
// them (vanishing activations of a badly scaled net, Adam's squared gradients, saturated units).
// The binding holds one around every kernel call; the pool's threads run in this mode always.
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  unsigned saved_;
};

// Fused dense layer. Forward: y = act(x . w + b), x: n x in, w: in x out, b: out (or null).
// x_rows (or null): the input's row r is row x_rows[r] of x (a minibatch read straight from its
// data set; the indices must be in range, the binding checks them).
Status DenseForward(const float* x, const std::int32_t* x_rows, const float* w, const float* b, float* y, index_t n,
                    index_t in, index_t out, Activation act, int threads = 0);
// Backward from the layer's output y and its gradient dy (n x out): dz = dy * act'(y) (written
// into dz, which may alias dy), dw = x^T . dz + (l1 sign(w) + l2 w), db = column sums of dz (when
// db is not null), dx = dz . w^T (skipped when dx is null: the first layer). Returns the penalty.
// x_rows as in DenseForward.
Status DenseBackward(const float* x, const std::int32_t* x_rows, const float* w, const float* y, const float* dy,
                     float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out, Activation act,
                     float l1, float l2, double* penalty, int threads = 0);

// An optimizer step taken inside DenseBackwardUpdate, on each block of rows of W as soon as its
// gradient is complete (while the block is in the cache of the core that computed it), instead of
// in a pass of its own over every parameter after the whole backward pass.
enum class FusedUpdateKind : int { Sgd = 1, Momentum = 2, Nesterov = 3 };
struct FusedUpdate {
  FusedUpdateKind kind;
  float lr, mu;    // mu: momentum and Nesterov
  float* w_state;  // velocity of w, in x out (momentum and Nesterov; null for SGD)
  float* b;        // the bias (or null: none), updated from db
  float* b_state;  // its velocity, out (momentum and Nesterov)
};
// DenseBackward, then the update applied to w (and b) with the gradient dw (db): dz, dw, db and dx as
// there, and dx computed from w before it is updated. penalty[0] = the penalty of w before the
// update (what DenseBackward returns), penalty[1] = the penalty of the updated w (the next step's,
// so that a training loop can check a step's cost before updating with it without a pass of its
// own over the weights). Requires db when b is given.
Status DenseBackwardUpdate(const float* x, const std::int32_t* x_rows, float* w, const float* y, const float* dy,
                           float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out,
                           Activation act, float l1, float l2, const FusedUpdate& update, double penalty[2],
                           int threads = 0);

}  // namespace nn::kernels
