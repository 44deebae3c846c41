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

}  // namespace nn::kernels
