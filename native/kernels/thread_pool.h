/*
 * Module Name: thread_pool.h
 *
 * Abstract: nnkit's persistent native thread pool. Threads are created once (lazily, up to the
 * largest count ever asked for) and reused; idle threads spin briefly, then sleep on a condition
 * variable. Every call names its own thread count, and several callers (a Node main thread and
 * worker_threads, say) may run jobs at once: each job is served by the caller itself plus
 * whichever pool threads are free, so a job never waits for another job to finish.
 */
#pragma once

#include "nn_kernels.h"

namespace nn::kernels {

// Runs task(i, context) for i in [0, tasks) on up to `threads` threads (the caller included)
// and returns when all are done. Tasks must be independent.
using ParallelTask = void (*)(index_t task, void* context);
void ParallelFor(int threads, index_t tasks, ParallelTask task, void* context);

// The process-wide default thread count (NNKIT_NUM_THREADS, else the number of cores).
int DefaultNumThreads();
void SetDefaultNumThreads(int threads);
// Number of hardware threads the process may use.
int HardwareThreads();

// Work over flat buffers is split into chunks of at least kMinChunk floats (128 KB), one task per
// thread. `unit` floats make one item (1 for elementwise kernels, a row for GatherRows) and chunk
// boundaries fall on multiples of `align` items (kPenaltyBlock for Penalty, so its float blocks
// are the same whatever the split).
constexpr index_t kMinChunk = 1 << 15;
constexpr index_t kMaxParallelTasks = 64;

template <typename Body>  // body(begin, count, task), in items
index_t ParallelRange(index_t items, index_t unit, index_t align, int threads, Body body) {
  const int resolved = threads > 0 ? threads : DefaultNumThreads();
  index_t want = items * unit / kMinChunk;
  if (want > resolved) want = resolved;
  if (want > kMaxParallelTasks) want = kMaxParallelTasks;
  if (want > items) want = items;
  if (want <= 1) {
    body(0, items, 0);
    return 1;
  }
  struct Context {
    Body* body;
    index_t items, per;
  } ctx{&body, items, ((items + want - 1) / want + align - 1) / align * align};
  const index_t tasks = (items + ctx.per - 1) / ctx.per;
  ParallelFor(static_cast<int>(want), tasks,
              [](index_t t, void* c) {
                Context& x = *static_cast<Context*>(c);
                const index_t begin = t * x.per;
                const index_t count = x.items - begin < x.per ? x.items - begin : x.per;
                (*x.body)(begin, count, t);
              },
              &ctx);
  return tasks;
}

}  // namespace nn::kernels
