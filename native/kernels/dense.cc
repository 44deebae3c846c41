/*
 * Module Name: dense.cc
 *
 * Abstract: the fused dense layer, forward and backward, built from the GEMM driver and the
 * dispatched elementwise kernels. Forward: one GEMM, then bias and activation in a single pass
 * over a few output rows at a time while they are still in L1 (blocks of rows spread over the
 * pool); on several threads, where the backward pass would split dW by rows, the product split by
 * depth along those rows of W instead, the parts' sums added in that pass (DepthForward). Backward:
 * activation derivative in place (chunks over the pool),
 * dW = X^T . dZ with the penalty's gradient added onto each block of rows of it as soon as the block
 * is done (or in a pass over the pool when the product was split by columns), db, and dX skipped
 * for the first layer. With an optimizer step (DenseBackwardUpdate): dX first, then the step taken
 * from dW's rows inside the product as they become final (dW itself not stored where the GEMM
 * driver allows), then the bias's.
 */
#include "kernel_table.h"
#include "scratch.h"
#include "thread_pool.h"

namespace nn::kernels {
namespace {

// The dW product's epilogue: over each block of whole rows of dW (values at c, ldc apart), the
// penalty's gradient added on, or with an update the optimizer's step taken from it on those rows
// of W. Penalties summed per part (fixed for a given shape and thread count, so the totals are).
// The step moves W and its velocity through L3 (16 bytes a weight: MLP 784 x 512 on 1 thread,
// 124 us of a 741 us call), at the rate of a standalone update (about 49 GB/s a core). Prefetching
// the next panel's rows of both into L2 while the panel computes (hints to the micro-kernel)
// changed nothing: in-process A/B in the MLP training loop 1.005 (1 thread), 1.02 (2 threads).
struct DenseEpilogue {
  const KernelTable* t;
  float* w;  // written only with an update (DenseBackwardUpdate's w)
  float* dw;
  index_t ld;  // row length of w and dw
  float l1, l2;
  const FusedUpdate* update;  // or null
  // Per part, each on a cache line of its own: the step adds to them once per few rows of W, and
  // with the parts' sums side by side the two cores took that line from each other every time.
  // MLP 784-512-512-10 on 2 threads, in-process training loop, both versions in one build
  // alternated every 8 iterations: 0.9% less time an iteration with the vCPUs far apart (7 windows
  // of 1.5 s), the same when near.
  struct alignas(64) PartSums {
    double before;  // penalty of w (before the update)
    double after;   // penalty of the updated w
  } sums[64];
};

void DenseBackwardEpilogue(index_t part, index_t r0, index_t rows, const float* c, index_t ldc, void* context) {
  DenseEpilogue& e = *static_cast<DenseEpilogue*>(context);
  const index_t offset = r0 * e.ld;
  if (e.update == nullptr) {
    // c is dW's own rows here (no in-loop mode without an update)
    e.sums[part].before += e.t->penalty(e.w + offset, rows * e.ld, e.l1, e.l2, e.dw + offset, true);
    return;
  }
  // the rows are contiguous: dW's own (ldc = out) or the driver's scratch, which is as wide as C
  (void)ldc;
  e.t->fused_step(static_cast<int>(e.update->kind), e.w + offset, c,
                  e.update->w_state != nullptr ? e.update->w_state + offset : nullptr, rows * e.ld, e.update->lr,
                  e.update->mu, e.l1, e.l2, &e.sums[part].before, &e.sums[part].after);
}

// The forward product split by depth. On several threads, the update's backward pass splits dW =
// X^T . dZ by rows, and each core takes the step on its rows of W (and of the optimizer's
// state) from the rows of dW it computed. Splitting the forward X . W by columns, as the driver
// would, has each core read half of its columns' W from the rows the other core just updated, and
// the update then take those lines back: W crosses between the cores twice an iteration. Split by
// depth along the same rows, part p computes X[:, K_p] . W[K_p, :], the rows of W its core
// updates, and the parts' sums are added together (an n x out partial per part after the first:
// far less than W for a training batch). MLP 784-512-512-10, batch 128, 2 threads, this VM
// (in-process training loop, two builds alternated, us an iteration, means of 0.7 s samples):
// when the host had placed the two vCPUs far apart (a cross-core round trip of about 400 ns),
// 1211 against 1381 (17 and 12 samples; both layers' forward and backward gained: 260 / 294,
// 176 / 182, 393 / 439, 319 / 402); when they were close (80-130 ns), 1027 against 1016 (73 and
// 78 samples), and 1048-1053 against 1033-1038 in two other sets of 120. Through train()
// (samples/s): 103.6k against 90.8k far (19 and 12 runs), 121.9k against 122.2k near (56, 63).
// Measured and dropped: the sums, bias and activation pass by blocks of columns (those the next
// layer's split would give each core) instead of rows: train() 117.4k against 119.2k near, 97.0k
// against 101.4k far. And column ownership in the backward pass (each core dZ, dW and the step on
// its columns, as the forward's column split): 1.7x slower backward far, 4% near (each core then
// reads the whole minibatch and all of dZ).
constexpr index_t kMaxDepthPartial = 1 << 18;  // floats of partial sums (1 MiB); beyond, by columns

thread_local Scratch t_depth_partial;

struct DepthForward {
  const float* x;
  const std::int32_t* x_rows;
  const float* w;
  float* y;
  float* partial;  // part p > 0 writes its n x out sums at partial + (p - 1) * n * out
  index_t n, in, out, chunk;
  Status status[kMaxParallelTasks];
};

void DepthForwardPart(index_t part, void* context) {
  DepthForward& d = *static_cast<DepthForward*>(context);
  const index_t k0 = part * d.chunk;
  const index_t depth = d.in - k0 < d.chunk ? d.in - k0 : d.chunk;
  float* c = part == 0 ? d.y : d.partial + (part - 1) * d.n * d.out;
  // X's columns k0.. (x + k0: the driver adds each row's offset, indexed or not), W's rows k0..
  d.status[part] = SgemmWithEpilogue(false, false, d.n, d.out, depth, 1.0f, d.x + k0, d.in, d.x_rows,
                                     d.w + k0 * d.out, d.out, 0.0f, c, d.out, 1, nullptr, nullptr, false, nullptr);
}

Status Backward(const float* x, const std::int32_t* x_rows, const float* w, const float* y, const float* dy,
                float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out, Activation act,
                float l1, float l2, const FusedUpdate* update, double* penalty, double* penalty_after,
                int threads) {
  const KernelTable& t = Table();
  // dZ = dY * act'(Y), from the output Y, over the pool by chunks of elements
  ParallelRange(n * out, 1, 16, threads, [&](index_t b0, index_t count, index_t) {
    t.activation_backward(act, y + b0, dy + b0, dz + b0, count);
  });
  Status s = Status::Ok;
  // dX = dZ . W^T: first when W is about to change under the update
  const auto input_grad = [&] {
    if (dx != nullptr) s = Sgemm(false, true, n, in, out, 1.0f, dz, out, w, out, 0.0f, dx, in, threads);
  };
  if (update != nullptr) input_grad();
  if (s != Status::Ok) return s;
  const bool regularized = l1 != 0.0f || l2 != 0.0f;
  // dW = X^T . dZ. Without an update, the penalty's gradient is added onto each block of rows of dW
  // by the thread that computed it, while the block is still in that core's cache. With one, the
  // step (penalty gradient included) is taken from each few rows of dW as soon as they are final,
  // in L1, and dW is not stored at all where the driver can (c_in_loop). When the product was
  // split by columns, in a pass of its own over the pool instead (split by elements, as the
  // optimizer's update that follows it, so that each core finds its part of W and dW in its own
  // cache).
  DenseEpilogue e{&t, const_cast<float*>(w), dw, out, l1, l2, update, {}};
  bool ran = false;
  s = SgemmWithEpilogue(true, false, in, out, n, 1.0f, x, in, x_rows, dz, out, 0.0f, dw, out, threads,
                        regularized || update != nullptr ? DenseBackwardEpilogue : nullptr, &e, update != nullptr,
                        &ran);
  if (s != Status::Ok) return s;
  if (!ran && update == nullptr) {
    *penalty = regularized ? Penalty(w, in * out, l1, l2, dw, true, threads) : 0.0;
  } else if (!ran) {
    // one pass over dW as stored, cut at multiples of kPenaltyBlock as Penalty does
    float* wm = const_cast<float*>(w);
    ParallelRange(in * out, 1, kPenaltyBlock, threads, [&](index_t b0, index_t count, index_t task) {
      t.fused_step(static_cast<int>(update->kind), wm + b0, dw + b0,
                   update->w_state != nullptr ? update->w_state + b0 : nullptr, count, update->lr, update->mu, l1, l2,
                   &e.sums[task].before, &e.sums[task].after);
    });
  }
  if (ran || update != nullptr) {
    double before = 0.0, after = 0.0;
    for (index_t p = 0; p < 64; ++p) {  // in part order: the same for a given shape and thread count
      before += e.sums[p].before;
      after += e.sums[p].after;
    }
    *penalty = before;
    if (penalty_after != nullptr) *penalty_after = after;
  }
  if (db != nullptr) t.bias_grad(dz, n, out, db);  // db = sum over rows of dZ
  if (update != nullptr && update->b != nullptr) {
    double unused[2] = {0.0, 0.0};  // no penalty on the bias
    t.fused_step(static_cast<int>(update->kind), update->b, db, update->b_state, out, update->lr, update->mu, 0.0f,
                 0.0f, &unused[0], &unused[1]);
  }
  if (update == nullptr) input_grad();
  return s;
}

}  // namespace

Status DenseForward(const float* x, const std::int32_t* x_rows, const float* w, const float* b, float* y, index_t n,
                    index_t in, index_t out, Activation act, int threads) {
  const KernelTable& t = Table();
  // by depth along the rows of W that dW's split gives each core (see DepthForward), or as the
  // driver splits it
  const index_t depth = SgemmEpilogueRowChunk(true, false, in, out, n, threads);
  index_t parts = depth > 0 ? (in + depth - 1) / depth : 1;
  if (parts > kMaxParallelTasks || (parts - 1) * n * out > kMaxDepthPartial) parts = 1;
  const float* partial = nullptr;  // parts 1.. of the depth split's sums
  if (parts > 1) {
    float* sums = t_depth_partial.Get(static_cast<std::size_t>((parts - 1) * n * out));
    if (sums == nullptr) return Status::OutOfMemory;
    DepthForward d{x, x_rows, w, y, sums, n, in, out, depth, {}};
    ParallelFor(static_cast<int>(parts), parts, DepthForwardPart, &d);
    for (index_t p = 0; p < parts; ++p) {
      if (d.status[p] != Status::Ok) return d.status[p];
    }
    partial = sums;
  } else {
    const Status s = SgemmWithEpilogue(false, false, n, out, in, 1.0f, x, in, x_rows, w, out, 0.0f, y, out, threads,
                                       nullptr, nullptr, false, nullptr);  // (n, out)
    if (s != Status::Ok) return s;
  }
  // The depth split's other sums (in part order), then bias and activation, a few rows at a time
  // (about 16 KiB, so that the activation finds them in L1), over the pool by blocks of rows. Row
  // by row, the two calls per row cost more than their work on narrow layers: a 100 x 64 x 50 ReLU
  // layer took 6.1 us a call that way, 5.4-5.6 now.
  const index_t chunk = out >= 4096 ? 1 : 4096 / out;
  const auto rows = [&](index_t r0, index_t count, index_t) {
    for (index_t r = r0; r < r0 + count; r += chunk) {
      const index_t n_rows = r0 + count - r < chunk ? r0 + count - r : chunk;
      float* yr = y + r * out;
      for (index_t p = 1; p < parts; ++p) {
        // BiasAdd on one row adds a vector of `out` floats: here a part's row of sums
        for (index_t i = 0; i < n_rows; ++i) t.bias_add(yr + i * out, partial + ((p - 1) * n + r + i) * out, 1, out);
      }
      if (b != nullptr) t.bias_add(yr, b, n_rows, out);
      if (act != Activation::Linear) t.activation_forward(act, yr, yr, n_rows * out);
    }
  };
  if (parts > 1 || b != nullptr || act != Activation::Linear) ParallelRange(n, out, 1, threads, rows);
  return Status::Ok;
}

Status DenseBackward(const float* x, const std::int32_t* x_rows, const float* w, const float* y, const float* dy,
                     float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out, Activation act,
                     float l1, float l2, double* penalty, int threads) {
  return Backward(x, x_rows, w, y, dy, dz, dw, db, dx, n, in, out, act, l1, l2, nullptr, penalty, nullptr, threads);
}

Status DenseBackwardUpdate(const float* x, const std::int32_t* x_rows, float* w, const float* y, const float* dy,
                           float* dz, float* dw, float* db, float* dx, index_t n, index_t in, index_t out,
                           Activation act, float l1, float l2, const FusedUpdate& update, double penalty[2],
                           int threads) {
  return Backward(x, x_rows, w, y, dy, dz, dw, db, dx, n, in, out, act, l1, l2, &update, &penalty[0], &penalty[1],
                  threads);
}

}  // namespace nn::kernels
