// Reproducible test values and a scoped thread-pool size, shared by the unit tests.
//
// Two generators, both independent of latentlab::Rng (which is itself under test) and identical
// on every platform:
//   Lcg       a 32-bit linear congruential generator: kernel, packed-linear, parallel, IDX and
//             safetensors tests. test_kernels and test_packed_linear derive bounds from the
//             values it draws: do not change its constants.
//   MtRandom  std::mt19937 (fully specified by the C++ standard) with our own word → float
//             mapping: the finite-difference gradient checks. How many coordinates they skip at
//             ReLU kinks (≤ 10% allowed) depends on the exact values, so they keep this stream.
// Helpers that draw from either:
//   uniform(rng, n, lo, hi)         n values in [lo, hi)
//   away_from_zero(rng, n, lo, hi)  lo ≤ |v| < hi with a random sign (inputs kept off ReLU kinks)
//   random_values(n, zeros, seed)   n values in [-1, 1), a fraction `zeros` of them exactly 0
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "latentlab/kernels/parallel.hpp"

namespace latentlab::test {

// Deterministic values in [-1, 1): a 32-bit LCG (Numerical Recipes constants, seed spread by
// Knuth's multiplicative hash).
struct Lcg {
  std::uint32_t state;
  explicit Lcg(std::uint32_t seed) : state(seed * 2654435761u + 12345u) {}
  std::uint32_t next_u32() {
    state = state * 1664525u + 1013904223u;
    return state;
  }
  float next() {  // [-1, 1), 24 random bits
    return static_cast<float>(next_u32() >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>((next_u32() >> 8) * (1.0 / 16777216.0)); }
  float sign() { return next_u32() >> 31 ? 1.0f : -1.0f; }  // the top bit: an LCG's low bits are weak
};

// std::mt19937 words, mapped to floats as Lcg does.
class MtRandom {
 public:
  explicit MtRandom(std::uint32_t seed) : gen_(seed) {}
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(gen_()); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>((next_u32() >> 8) * (1.0 / 16777216.0)); }
  float sign() { return next_u32() & 1u ? 1.0f : -1.0f; }

 private:
  std::mt19937 gen_;
};

// n values in [lo, hi).
template <class Generator>
std::vector<float> uniform(Generator& rng, std::size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(lo, hi);
  return v;
}

// n values with lo ≤ |v| < hi and a random sign (drawn first): keeps inputs of ReLU-type
// functions away from 0.
template <class Generator>
std::vector<float> away_from_zero(Generator& rng, std::size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (auto& x : v) {
    const float sign = rng.sign();
    x = sign * rng.uniform(lo, hi);
  }
  return v;
}

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
