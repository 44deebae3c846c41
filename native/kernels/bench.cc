/*
 * Module Name: bench.cc
 *
 * Abstract: native timing loops for the benchmarks (scripts/bench-gemm.js), so that the figures
 * they print do not include the cost of crossing from JavaScript, plus the thread-count setters.
 */
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "kernel_table.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best GFLOP/s of run(reps) (which returns the flops it did) over `seconds`, counting calls of at
// least 10 ms; reps doubles until a call takes that long. The call that runs out the time is
// counted even when shorter, so there is always a figure: on a loaded machine the process may be
// descheduled for the whole budget between two short calls.
template <typename Run>
double BestGflops(double seconds, index_t reps, Run run) {
  double best = 0;
  const double start = Now();
  for (;;) {
    const double t0 = Now();
    const double flops = run(reps);
    const double dt = Now() - t0;
    const bool out_of_time = Now() - start >= seconds;
    if (dt > 0 && (dt >= 0.01 || out_of_time)) best = std::max(best, flops / dt * 1e-9);
    if (out_of_time && best > 0) return best;
    if (dt < 0.01) reps *= 2;
  }
}

}  // namespace

int NumThreads() { return DefaultNumThreads(); }
void SetNumThreads(int threads) { SetDefaultNumThreads(threads); }

double MeasureFmaPeakGflops(double seconds) {
  float sink = 0;
  const double best = BestGflops(seconds, index_t{1} << 16, [&](index_t iters) { return Table().fma_probe(iters, &sink); });
  return sink == -1.0f ? 0 : best;  // reading sink keeps the probe's work observable
}

double MeasureTileGflops(double seconds) {
  const KernelTable& t = Table();
  // the tile that big products with a row-major A run on (gemm.cc, PreferTile)
  const bool tall = t.sgemm_ukr_tall != nullptr;
  const SgemmUkr ukr = tall ? t.sgemm_ukr_tall : t.sgemm_ukr;
  const int mr = tall ? t.mr_tall : t.mr, nr = tall ? t.nr_tall : t.nr;
  // A as one packed panel (A(i, p) = a[p * mr + i]) and B as one packed sliver, kc deep: the
  // driver's kc, or less so that both fit in 32 KiB and stay in L1 (6 x 64: kc 112).
  index_t kc = t.kc;
  while (kc > 16 && kc * (mr + nr) * static_cast<index_t>(sizeof(float)) > 32 * 1024) kc -= 16;
  std::vector<float> storage(static_cast<std::size_t>(kc * (mr + nr) + mr * nr + 32));
  float* base = storage.data();
  while (reinterpret_cast<std::uintptr_t>(base) % 64 != 0) ++base;
  float* b = base;
  float* a = b + kc * nr;
  float* c = a + kc * mr;
  for (index_t i = 0; i < kc * nr; ++i) b[i] = static_cast<float>(i % 7) * 0.125f - 0.375f;
  for (index_t i = 0; i < kc * mr; ++i) a[i] = static_cast<float>(i % 5) * 0.25f - 0.5f;
  const double flops_per_call = 2.0 * mr * nr * static_cast<double>(kc);
  const double best = BestGflops(seconds, 1024, [&](index_t reps) {
    for (index_t r = 0; r < reps; ++r) ukr(kc, a, 1, mr, nullptr, b, c, nr, mr, nr, 1.0f, 1.0f, nullptr);
    return flops_per_call * static_cast<double>(reps);
  });
  return c[0] == -1.0f ? 0 : best;  // reading C keeps the tile's work observable
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
