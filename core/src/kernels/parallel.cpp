// The kernels' thread pool (see parallel.hpp). run() publishes a task with a generation
// number, does its own parts, then the parts of any worker that has not started yet, and waits
// until every worker that did start has reported back; workers and the caller spin briefly,
// then sleep on a condition variable (spin_then_wait).
#include "latentlab/kernels/parallel.hpp"

#include <algorithm>

#if !defined(__wasm__) || defined(__EMSCRIPTEN_PTHREADS__)
#define LATENTLAB_HAVE_THREADS 1
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace latentlab::parallel {

Range split(int total, int parts, int part, int granule) {
  const int units = (total + granule - 1) / granule;  // whole granules, the last may be partial
  const int per = units / parts, extra = units % parts;
  const int first = part * per + std::min(part, extra);
  const int count = per + (part < extra ? 1 : 0);
  return {std::min(total, first * granule), std::min(total, (first + count) * granule)};
}

int parts_for(std::size_t work, std::size_t min_per_part) {
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(thread_count()),
                                                std::max<std::size_t>(1, work / min_per_part)));
}

#ifdef LATENTLAB_HAVE_THREADS
namespace {

thread_local bool inside_task = false;

// Spins for up to kSpin on `ready`, then blocks on `cv` (under `mutex`) until it holds. A
// training step issues a GEMM every few microseconds, so a worker that just finished one
// usually sees the next before it would have fallen asleep: a futex wake-up (several µs,
// twice per call) is paid only after idle gaps. The bound keeps idle workers from burning a
// core that other processes could use.
constexpr auto kSpin = std::chrono::microseconds(50);

template <class Ready>
void spin_then_wait(std::mutex& mutex, std::condition_variable& cv, Ready ready) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0; !ready(); ++i) {
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) {
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, ready);
      return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

class Pool {
 public:
  explicit Pool(int threads) : claimed_(static_cast<std::size_t>(std::max(0, threads - 1))) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int parts, const std::function<void(int)>& task) {
    task_ = &task;
    parts_ = parts;
    const int workers = static_cast<int>(workers_.size());
    pending_.store(workers, std::memory_order_relaxed);
    std::uint64_t generation;
    {
      // Published under the mutex so a worker checking its wait predicate cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      generation = generation_.fetch_add(1, std::memory_order_release) + 1;
    }
    start_.notify_all();
    inside_task = true;
    for (int p = 0; p < parts; p += threads()) task(p);
    // A worker that has not started this task yet (descheduled on a busy machine, or still
    // waking up) has its parts done here instead of being waited for: which thread runs a part
    // does not change what the part computes.
    for (int w = 0; w < workers; ++w) {
      if (claim(w, generation)) {
        for (int p = w + 1; p < parts; p += threads()) task(p);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
    inside_task = false;
    spin_then_wait(mutex_, done_, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }

 private:
  // Worker w's parts of `generation` are claimed once, by the worker or by the caller:
  // claimed_[w] holds the last generation claimed (generation − 1 until this one is).
  bool claim(int w, std::uint64_t generation) {
    std::uint64_t expected = generation - 1;
    return claimed_[static_cast<std::size_t>(w)].compare_exchange_strong(expected, generation, std::memory_order_acq_rel);
  }

  void work(int index) {
    inside_task = true;
    std::uint64_t seen = 0;
    for (;;) {
      spin_then_wait(mutex_, start_, [&] {
        return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
      });
      if (stop_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      if (!claim(index - 1, seen)) continue;  // the caller ran these parts (or a later task is out)
      const std::function<void(int)>* task = task_;
      const int parts = parts_;
      for (int p = index; p < parts; p += threads()) (*task)(p);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);  // the caller may be checking its predicate
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int)>* task_ = nullptr;  // written before generation_ is bumped
  int parts_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::vector<std::atomic<std::uint64_t>> claimed_;  // per worker, see claim()
  std::atomic<bool> stop_{false};
};

std::unique_ptr<Pool>& pool() {
  static std::unique_ptr<Pool> instance;
  return instance;
}

}  // namespace

void set_thread_count(int n) {
  n = std::max(1, n);
  if (n == thread_count()) return;
  pool().reset();
  if (n > 1) pool() = std::make_unique<Pool>(n);
}

int thread_count() { return pool() ? pool()->threads() : 1; }

void run(int parts, const std::function<void(int)>& task) {
  if (parts <= 1 || !pool() || inside_task) {
    for (int p = 0; p < parts; ++p) task(p);
    return;
  }
  pool()->run(parts, task);
}

#else  // single-threaded WebAssembly

void set_thread_count(int) {}
int thread_count() { return 1; }
void run(int parts, const std::function<void(int)>& task) {
  for (int p = 0; p < parts; ++p) task(p);
}

#endif

}  // namespace latentlab::parallel
