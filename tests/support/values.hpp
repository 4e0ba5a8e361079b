// Small pieces several kernel and threading tests share: a reproducible value generator and a
// scoped thread-pool size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab::test {

// n values in [-1, 1) from a fixed LCG, each zero with probability `zeros` (a sparse matrix
// when zeros > 0, e.g. MNIST-like inputs at 0.8).
inline std::vector<float> random_values(std::size_t n, double zeros, std::uint32_t seed) {
  std::vector<float> x(n);
  std::uint32_t s = seed * 2654435761u + 7u;
  for (auto& v : x) {
    s = s * 1664525u + 1013904223u;
    const double u = (s >> 8) / double(1u << 24);
    s = s * 1664525u + 1013904223u;
    v = u < zeros ? 0.0f : static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return x;
}

// Sets the pool size for one scope and restores single-threaded kernels afterwards.
struct ScopedThreads {
  explicit ScopedThreads(int n) { parallel::set_thread_count(n); }
  ~ScopedThreads() { parallel::set_thread_count(1); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;
};

}  // namespace latentlab::test
