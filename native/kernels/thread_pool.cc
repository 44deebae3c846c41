/*
 * Module Name: thread_pool.cc
 *
 * Abstract: implementation of thread_pool.h. A job is published on a list; pool threads pick
 * jobs that still want helpers and claim task indices from the job's atomic counter; the
 * caller claims tasks too, then waits for the helpers it recruited. The pool object is never
 * destroyed (threads sleep until the process exits), so process exit and worker_threads
 * termination never race with a destructor.
 */
#include "thread_pool.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define NN_PAUSE() _mm_pause()
#define NN_HAS_MXCSR 1
#else
#define NN_PAUSE() ((void)0)
#define NN_HAS_MXCSR 0
#endif

namespace nn::kernels {
namespace {

// Pool threads run this many nice levels below their creator, so that a host's event-loop
// thread, woken for a timer or a request, gets a core ahead of kernel work.
constexpr int kBackgroundNice = 5;

// Lowers the calling thread's priority by `delta` nice levels (Linux; elsewhere nothing).
bool LowerCurrentThreadPriority(int delta) {
#if defined(__linux__)
  // On Linux the nice value is per thread: PRIO_PROCESS with a thread id changes that thread only.
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, current + delta) == 0;
#else
  (void)delta;
  return false;
#endif
}

#if NN_HAS_MXCSR
constexpr unsigned kFlushToZero = 0x8000u;      // MXCSR.FTZ: subnormal results become zero
constexpr unsigned kDenormalsAreZero = 0x0040u; // MXCSR.DAZ: subnormal inputs read as zero
#endif

struct Job {
  ParallelTask task;
  void* context;
  index_t tasks;
  std::atomic<index_t> next{0};      // next task index to claim
  std::atomic<int> helpers_wanted{0};  // pool threads that may still join
  std::atomic<int> active{0};          // pool threads currently inside the job
  Job* prev = nullptr;
  Job* next_job = nullptr;
};

void RunTasks(Job* job) {
  for (;;) {
    const index_t i = job->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job->tasks) return;
    job->task(i, job->context);
  }
}

class Pool {
 public:
  void Run(int threads, index_t tasks, ParallelTask task, void* context) {
    Job job;
    job.task = task;
    job.context = context;
    job.tasks = tasks;
    const int helpers = static_cast<int>((threads - 1 < tasks - 1) ? threads - 1 : tasks - 1);
    if (helpers > 0) {
      EnsureThreads(helpers);
      job.helpers_wanted.store(helpers, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(mu_);
        Link(&job);
        generation_.fetch_add(1, std::memory_order_release);
      }
      cv_.notify_all();
    }
    RunTasks(&job);
    if (helpers > 0) {
      {
        // No new helper may enter once the job is unlinked.
        std::lock_guard<std::mutex> lock(mu_);
        Unlink(&job);
      }
      while (job.active.load(std::memory_order_acquire) != 0) NN_PAUSE();
    }
  }

 private:
  void EnsureThreads(int count) {
    std::lock_guard<std::mutex> lock(mu_);
    while (static_cast<int>(threads_.size()) < count) {
      threads_.emplace_back([this] { WorkerLoop(); });
      threads_.back().detach();
    }
  }

  void Link(Job* job) {
    job->next_job = head_;
    if (head_ != nullptr) head_->prev = job;
    head_ = job;
  }

  void Unlink(Job* job) {
    if (job->prev != nullptr) job->prev->next_job = job->next_job;
    else head_ = job->next_job;
    if (job->next_job != nullptr) job->next_job->prev = job->prev;
  }

  // Under mu_: a job that still wants a helper (and registers this thread in it), or nullptr.
  Job* Claim() {
    for (Job* j = head_; j != nullptr; j = j->next_job) {
      int wanted = j->helpers_wanted.load(std::memory_order_relaxed);
      if (wanted > 0 && j->next.load(std::memory_order_relaxed) < j->tasks) {
        j->helpers_wanted.store(wanted - 1, std::memory_order_relaxed);
        j->active.fetch_add(1, std::memory_order_acq_rel);
        return j;
      }
    }
    return nullptr;
  }

  void WorkerLoop() {
    LowerCurrentThreadPriority(kBackgroundNice);
#if NN_HAS_MXCSR
    _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);  // this thread runs kernels only
#endif
    for (;;) {
      Job* job = nullptr;
      // Spin a little first: training issues kernel calls back to back.
      const unsigned seen = generation_.load(std::memory_order_acquire);
      for (int spin = 0; spin < 4000 && job == nullptr; ++spin) {
        if (generation_.load(std::memory_order_acquire) != seen || spin == 0) {
          std::lock_guard<std::mutex> lock(mu_);
          job = Claim();
        }
        if (job == nullptr) NN_PAUSE();
      }
      if (job == nullptr) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] {
          job = Claim();
          return job != nullptr;
        });
      }
      RunTasks(job);
      job->active.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<unsigned> generation_{0};
  std::vector<std::thread> threads_;
  Job* head_ = nullptr;
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // never destroyed: see the file banner
  return *pool;
}

int InitialThreads() {
  const char* env = std::getenv("NNKIT_NUM_THREADS");
  if (env != nullptr) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
  }
  return HardwareThreads();
}

std::atomic<int> g_default_threads{0};

}  // namespace

int HardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int DefaultNumThreads() {
  int n = g_default_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = InitialThreads();
    g_default_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void SetDefaultNumThreads(int threads) { g_default_threads.store(threads < 1 ? 1 : threads, std::memory_order_relaxed); }

void ParallelFor(int threads, index_t tasks, ParallelTask task, void* context) {
  if (tasks <= 0) return;
  if (threads <= 1 || tasks == 1) {
    for (index_t i = 0; i < tasks; ++i) task(i, context);
    return;
  }
  ThePool().Run(threads, tasks, task, context);
}

ScopedFlushDenormals::ScopedFlushDenormals() {
#if NN_HAS_MXCSR
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#else
  saved_ = 0;
#endif
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#if NN_HAS_MXCSR
  _mm_setcsr(saved_);
#endif
}

bool MakeCurrentThreadIdle() {
#if defined(__linux__)
  sched_param param{};
  return sched_setscheduler(static_cast<pid_t>(syscall(SYS_gettid)), SCHED_IDLE, &param) == 0;
#else
  return false;
#endif
}

}  // namespace nn::kernels
