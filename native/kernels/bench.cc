/*
 * Module Name: bench.cc
 *
 * Abstract: native timing loops for the benchmarks (scripts/bench-gemm.js), so that the figures
 * they print do not include the cost of crossing from JavaScript, plus the thread-count setters.
 */
#include <chrono>

#include "kernel_table.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int NumThreads() { return DefaultNumThreads(); }
void SetNumThreads(int threads) { SetDefaultNumThreads(threads); }

double MeasureFmaPeakGflops(double seconds) {
  float sink = 0;
  index_t iters = 1 << 16;
  double best = 0;
  const double start = Now();
  while (Now() - start < seconds) {
    const double t0 = Now();
    const double flops = Table().fma_probe(iters, &sink);
    const double dt = Now() - t0;
    if (dt < 0.01) {
      iters *= 2;
      continue;
    }
    const double gflops = flops / dt * 1e-9;
    if (gflops > best) best = gflops;
  }
  return sink == -1.0f ? 0 : best;  // reading sink keeps the probe's work observable
}

double TimeSgemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, const float* a, index_t lda,
                 const float* b, index_t ldb, float* c, index_t ldc, int threads, double min_seconds) {
  Sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, threads);  // warm up
  index_t reps = 1;
  for (;;) {
    const double t0 = Now();
    for (index_t r = 0; r < reps; ++r) Sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, threads);
    const double dt = Now() - t0;
    if (dt >= min_seconds) return dt / static_cast<double>(reps);
    reps = dt <= 0 ? reps * 8 : static_cast<index_t>(reps * (min_seconds * 1.2 / dt)) + 1;
  }
}

}  // namespace nn::kernels
