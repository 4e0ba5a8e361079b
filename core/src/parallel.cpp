// The kernels' thread pool (see parallel.hpp). Workers sleep on a condition variable between
// calls; run() publishes a task with a generation number, does part 0 itself, and waits until
// every worker has reported back.
#include "latentlab/parallel.hpp"

#include <algorithm>

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define LATENTLAB_HAVE_THREADS 1
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

#ifdef LATENTLAB_HAVE_THREADS
namespace {

thread_local bool inside_task = false;

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int parts, const std::function<void(int)>& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      parts_ = parts;
      pending_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    start_.notify_all();
    inside_task = true;
    for (int p = 0; p < parts; p += threads()) task(p);
    inside_task = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void work(int index) {
    inside_task = true;
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      const std::function<void(int)>* task = task_;
      const int parts = parts_;
      lock.unlock();
      for (int p = index; p < parts; p += threads()) (*task)(p);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int parts_ = 0, pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
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
