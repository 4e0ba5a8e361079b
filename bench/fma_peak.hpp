// The fp32 FMA peak reachable with xsimd::batch<float> (fma_peak.cpp prints it; bench_conv.cpp
// measures it in the same run as the kernels it judges).
//
// The loop runs CHAINS independent accumulator chains, acc[c] = acc[c] * m + a. Each chain
// waits for its previous FMA (latency ~4 cycles), so with two FMA pipes at least 8 chains
// are needed to keep both pipes busy; 24 leaves margin and still fits in 32 vector
// registers. Each FMA is 2 flops per lane, so flops = 2 · lanes · CHAINS · iterations.
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>
#include <cstdio>

namespace fma_peak {

using batch = xsimd::batch<float>;
constexpr int kChains = 24;

// Returns the sum of all lanes so the compiler cannot drop the work.
__attribute__((noinline)) inline float run_chains(long iterations, float m, float a) {
  batch acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = batch(1.0f + 0.001f * static_cast<float>(c));
  const batch vm(m);
  const batch va(a);
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 24
    for (int c = 0; c < kChains; ++c) acc[c] = xsimd::fma(acc[c], vm, va);
  }
  batch total(0.0f);
  for (int c = 0; c < kChains; ++c) total += acc[c];
  return xsimd::hadd(total);
}


// Best of 5 timed repetitions: GFLOP/s of `threads` threads each running the chains at once
// (1 = the single-core peak; 2 on this machine = both cores).
inline double measure(int threads, float m, float a, float& sink) {
  const long iterations = 20000000;
  double best = 0.0;
  std::vector<float> sums(static_cast<std::size_t>(threads));
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([&, t] { sums[t] = run_chains(iterations, m, a); });
    sums[0] = run_chains(iterations, m, a);
    for (auto& th : pool) th.join();
    const auto t1 = std::chrono::steady_clock::now();
    for (float v : sums) sink += v;
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double flops = 2.0 * batch::size * kChains * static_cast<double>(iterations) * threads;
    best = std::max(best, flops / seconds * 1e-9);
  }
  return best;
}

}  // namespace fma_peak
